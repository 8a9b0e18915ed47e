#pragma once

#include <tandem/actors/actor_base.hpp>
#include <tandem/session/spawn_session.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace tandem::session::detail {

/// The answers of one inbound batch, sent back as one frame once every call
/// in it is answered.
struct batch_state {
  std::vector<std::string> replies;
  std::size_t outstanding = 0;
  bool dispatching = true;
};

/// One session: a connection, the calls it carries both ways.
class session_actor final : public actor_base {
public:
  session_actor(actor_config& cfg, std::unique_ptr<connection> conn, session_options opts,
                std::shared_ptr<session_shared> shared);

  behavior make_behavior() override;
  void on_exit(const error& reason) override;

  // Used by call_state's answer_call / notify_caller on the session's thread.
  void finish_incoming(std::uint64_t serial, call_outcome outcome);
  void notify_incoming(std::uint64_t serial, std::string method, json params);

private:
  struct incoming_call {
    std::shared_ptr<call_state> state;
    std::shared_ptr<batch_state> batch;
    std::string id_key; // its key in incoming_by_id_ (calls only)
  };
  struct outgoing {
    std::string method;
    tandem::detail::unique_function<void(call_outcome)> complete;
    tandem::detail::unique_function<void(json)> on_stream;
    timer_handle timeout;
    duration timeout_after{};
  };

  void on_frame(std::string& text);
  void dispatch(rpc_request& req, const std::shared_ptr<batch_state>& batch);
  void park(incoming_call call);
  void answer(incoming_call& call, call_outcome outcome);
  void on_response(rpc_response& resp);
  bool on_stream_item(const json& params);
  void reply(const json& id, call_outcome outcome, const std::shared_ptr<batch_state>& batch);
  void flush(batch_state& batch);
  void cancel_incoming(const json& params);
  void cancel_all_incoming();
  void run_cancel_hooks(call_state& state);
  bool complete_outgoing(std::int64_t id, call_outcome outcome);
  void fail_all_outgoing(const error& reason);
  void send_cancel_request(std::int64_t id);
  void write(const rpc_message& msg);
  void on_closed(const error& reason);

  std::unique_ptr<connection> conn_;
  session_options opts_;
  std::shared_ptr<session_shared> shared_;
  session_handle self_handle_;
  bool closed_ = false;  // transport_closed received, or terminated
  bool closing_ = false; // close() asked for; frames still arriving are ignored
  std::uint64_t last_serial_ = 0;
  /// The call whose handler is running. Most are answered before it returns
  /// and never enter incoming_ (two hash-table nodes saved per call); those
  /// still open then are parked there.
  incoming_call* running_ = nullptr;
  std::unordered_map<std::uint64_t, incoming_call> incoming_;
  std::unordered_multimap<std::string, std::uint64_t> incoming_by_id_; // by id_key()
  std::unordered_map<std::int64_t, outgoing> outgoing_;
};

} // namespace tandem::session::detail

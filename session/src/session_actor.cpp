#include "session_actor.hpp"

#include <tandem/session/json_rpc_codec.hpp>
#include <tandem/runtime/detail/small_object_pool.hpp>
#include <tandem/session/rpc_notification.hpp>

#include <charconv>
#include <chrono>
#include <thread>
#include <utility>

namespace tandem::session {

namespace detail {

namespace {

bool on_core_thread(const call_state& c) {
  return c.core != nullptr && c.sync_thread.load(std::memory_order_acquire) == std::this_thread::get_id();
}

std::string describe_duration(duration d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return std::to_string(ms) + " ms";
}

/// An id as a key for finding calls by id: two ids have the same key exactly
/// when they dump to the same text, but the common ones (integers, plain
/// strings) are not dumped: that costs a serializer (an allocation, a
/// localeconv() call) each time.
std::string id_key(const json& id) {
  if (id.is_number_integer()) {
    // Integers (signed or not) dump as their digits, and nothing else does.
    char buf[24];
    auto r = id.is_number_unsigned() ? std::to_chars(buf, buf + sizeof buf, id.get<std::uint64_t>())
                                     : std::to_chars(buf, buf + sizeof buf, id.get<std::int64_t>());
    return std::string(buf, r.ptr);
  }
  if (id.is_string()) {
    // Strings dump as '"' + escaped text + '"', which is one-to-one with the
    // text; nothing else dumps with a leading '"'.
    return '"' + id.get_ref<const std::string&>();
  }
  return id.dump();
}

/// Memory for call states from the runtime's small-object pool (one per
/// call, usually freed on the session's thread right after the answer).
template <class T>
struct pooled {
  using value_type = T;
  pooled() = default;
  template <class U>
  pooled(const pooled<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(tandem::detail::allocate_small(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { tandem::detail::free_small(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const pooled<U>&) const noexcept { return true; }
  template <class U>
  bool operator!=(const pooled<U>&) const noexcept { return false; }
};

template <class... Fs>
struct overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
overloaded(Fs...) -> overloaded<Fs...>;

} // namespace

bool answer_call(call_state& c, call_outcome outcome) {
  if (c.answered.exchange(true, std::memory_order_acq_rel))
    return false;
  if (on_core_thread(c))
    c.core->finish_incoming(c.serial, std::move(outcome));
  else
    tandem::send(c.session, posted_answer{c.serial, std::move(outcome)});
  return true;
}

bool notify_caller(call_state& c, std::string method, json params) {
  if (c.answered.load(std::memory_order_acquire) || c.notification)
    return false;
  if (on_core_thread(c))
    c.core->notify_incoming(c.serial, std::move(method), std::move(params));
  else
    tandem::send(c.session, posted_notification{c.serial, std::move(method), std::move(params)});
  return true;
}

promise_guard::~promise_guard() {
  if (!state->answered.load(std::memory_order_acquire))
    answer_call(*state, call_outcome::failure(rpc_error{
                          rpc_code::internal_error,
                          "Internal error: the handler dropped its promise without answering"}));
}

void run_on(actor_base* target, tandem::detail::unique_function<void()> fn) {
  if (target == nullptr)
    return;
  // The same kind of message as actor_base::run_later's continuations.
  auto* m = tandem::detail::make_message(std::move(fn));
  m->kind = tandem::detail::message_kind::call;
  actor_base::deliver(target, m);
}

handler_result internal_error(const char* what) {
  return {false, call_outcome::failure(rpc_error{rpc_code::internal_error,
                                                 std::string{"Internal error: "} + what})};
}

// -- session_actor ------------------------------------------------------------

session_actor::session_actor(actor_config& cfg, std::unique_ptr<connection> conn,
                             session_options opts, std::shared_ptr<session_shared> shared)
    : actor_base(cfg), conn_(std::move(conn)), opts_(std::move(opts)), shared_(std::move(shared)) {
  if (!opts_.wire_codec)
    opts_.wire_codec = std::make_shared<json_rpc_codec>();
}

behavior session_actor::make_behavior() {
  self_handle_ = session_handle{this_actor(), shared_};
  conn_->start(this_actor());
  return behavior{
    [this](inbound_frame& f) {
      on_frame(f.text);
      if (conn_)
        conn_->frame_processed();
    },
    [this](transport_closed& c) { on_closed(c.reason); },
    [this](outgoing_call& c) -> response_promise<call_outcome> {
      response_promise<call_outcome> promise;
      auto complete = std::move(c.complete);
      if (!complete) {
        promise = make_response_promise<call_outcome>();
        complete = [promise](call_outcome o) mutable { promise.deliver(std::move(o)); };
      }
      if (closed_) {
        complete(call_outcome::failure(rpc_error{errc::channel_closed, "connection closed"}));
        return promise;
      }
      auto frame = opts_.wire_codec->encode(rpc_request{json(c.id), c.method, std::move(c.params)});
      if (!frame) {
        const auto& e = frame.error_value();
        complete(call_outcome::failure(rpc_error{rpc_code::invalid_params, e.message()}));
        return promise;
      }
      if (auto e = conn_->write(std::move(*frame))) {
        complete(call_outcome::failure(rpc_error{errc::channel_closed, "connection closed: " + e.message()}));
        return promise;
      }
      auto& entry = outgoing_[c.id];
      entry.method = std::move(c.method);
      entry.complete = std::move(complete);
      entry.on_stream = std::move(c.on_stream);
      entry.timeout_after = c.timeout;
      if (c.timeout > duration::zero())
        entry.timeout = delayed_send(this_actor(), c.timeout, call_timeout{c.id});
      return promise;
    },
    [this](outgoing_notification& n) {
      write(rpc_request{std::nullopt, std::move(n.method), std::move(n.params)});
    },
    [this](cancel_call c) {
      if (complete_outgoing(c.id, call_outcome::failure(
                                    rpc_error{rpc_code::request_cancelled, "Request cancelled"})))
        send_cancel_request(c.id);
    },
    [this](call_timeout t) {
      auto i = outgoing_.find(t.id);
      if (i == outgoing_.end())
        return; // answered or cancelled first
      auto what = "no response to \"" + i->second.method + "\" within "
                  + describe_duration(i->second.timeout_after);
      complete_outgoing(t.id, call_outcome::failure(rpc_error{errc::request_timeout, std::move(what)}));
      send_cancel_request(t.id);
    },
    [this](close_session) {
      if (!closed_ && conn_)
        conn_->close();
    },
    [this](posted_answer& a) { finish_incoming(a.serial, std::move(a.outcome)); },
    [this](posted_notification& n) { notify_incoming(n.serial, std::move(n.method), std::move(n.params)); },
  };
}

void session_actor::on_exit(const error& reason) {
  if (!closed_) {
    closed_ = true;
    auto what = reason ? "session terminated: " + tandem::to_string(reason) : std::string{"session terminated"};
    fail_all_outgoing(error{errc::channel_closed, what});
    cancel_all_incoming();
  }
  if (conn_)
    conn_->close();
  // Handles kept here would keep actors' memory alive in cycles.
  conn_.reset();
  opts_.notifications = actor{};
  opts_.methods.reset();
  self_handle_ = session_handle{};
}

// -- inbound ------------------------------------------------------------------

void session_actor::on_frame(std::string& text) {
  if (closed_ || closing_)
    return;
  auto frame = opts_.wire_codec->decode(text, opts_.limits.max_frame_bytes);
  if (frame.close) {
    system().log("session " + conn_->peer() + ": closing the connection: " + frame.close_reason);
    closing_ = true;
    conn_->close();
    return;
  }
  std::shared_ptr<batch_state> batch;
  if (frame.batch)
    batch = std::make_shared<batch_state>();
  for (auto& m : frame.messages) {
    std::visit(overloaded{
                 [&](rpc_request& r) { dispatch(r, batch); },
                 [&](rpc_response& r) { on_response(r); },
                 [&](rpc_invalid& r) { reply(r.id, call_outcome::failure(std::move(r.error)), batch); },
               },
               m);
    if (closed_)
      return;
  }
  if (batch) {
    batch->dispatching = false;
    flush(*batch);
  }
}

void session_actor::dispatch(rpc_request& req, const std::shared_ptr<batch_state>& batch) {
  if (req.method == "$/cancelRequest") {
    cancel_incoming(req.params);
    if (req.id)
      reply(*req.id, call_outcome::value(nullptr), batch);
    return;
  }
  if (req.is_notification() && req.method == stream_method && on_stream_item(req.params))
    return;
  const service::handler* h = opts_.methods ? opts_.methods->find(req.method) : nullptr;
  if (h == nullptr) {
    if (req.is_notification()) {
      if (opts_.notifications)
        tandem::send(opts_.notifications, rpc_notification{std::move(req.method), std::move(req.params)});
      return;
    }
    reply(*req.id,
          call_outcome::failure(rpc_error{rpc_code::method_not_found, "Method not found: " + req.method}),
          batch);
    return;
  }
  auto state = std::allocate_shared<call_state>(pooled<call_state>{});
  state->notification = req.is_notification();
  if (req.id)
    state->id = *req.id;
  state->method = std::move(req.method);
  state->serial = ++last_serial_;
  state->session = this_actor();
  state->core = this;
  incoming_call call{std::move(state), req.id ? batch : nullptr, {}};
  if (req.id && batch)
    ++batch->outstanding;
  call.state->sync_thread.store(std::this_thread::get_id(), std::memory_order_release);
  running_ = &call;
  handler_result result;
  try {
    call_context ctx{call.state, this, self_handle_};
    result = (*h)(ctx, std::move(req.params));
  } catch (...) {
    // Handlers made by service::add catch everything; should another throw,
    // the actor fails, and its call is cancelled with the others.
    call.state->sync_thread.store(std::thread::id{}, std::memory_order_release);
    if (running_ == &call) {
      running_ = nullptr;
      park(std::move(call));
    }
    throw;
  }
  call.state->sync_thread.store(std::thread::id{}, std::memory_order_release);
  if (running_ == nullptr)
    return; // answered while the handler ran
  running_ = nullptr;
  if (!result.deferred && !call.state->answered.exchange(true, std::memory_order_acq_rel)) {
    answer(call, std::move(result.outcome));
    return;
  }
  // Answered later: by a promise, a cancellation, the session's end (or
  // already, from another thread: its posted answer will find it here).
  park(std::move(call));
}

void session_actor::park(incoming_call call) {
  auto serial = call.state->serial;
  if (!call.state->notification) {
    call.id_key = id_key(call.state->id);
    incoming_by_id_.emplace(call.id_key, serial);
  }
  incoming_.emplace(serial, std::move(call));
}

void session_actor::on_response(rpc_response& resp) {
  if (!resp.id.is_number_integer())
    return; // not an id of ours: dropped
  auto id = resp.id.get<std::int64_t>();
  if (resp.error)
    complete_outgoing(id, call_outcome::failure(std::move(*resp.error)));
  else
    complete_outgoing(id, call_outcome::value(std::move(resp.result)));
  // An id no longer pending (timed out, cancelled) is a late answer: dropped.
}

bool session_actor::on_stream_item(const json& params) {
  if (!params.is_object())
    return false;
  auto id = params.find("id");
  if (id == params.end() || !id->is_number_integer())
    return false;
  auto i = outgoing_.find(id->get<std::int64_t>());
  if (i == outgoing_.end() || !i->second.on_stream)
    return false;
  auto value = params.find("value");
  i->second.on_stream(value == params.end() ? json() : *value);
  return true;
}

void session_actor::reply(const json& id, call_outcome outcome,
                          const std::shared_ptr<batch_state>& batch) {
  if (closed_)
    return;
  rpc_response resp{id, std::move(outcome.result), std::move(outcome.error)};
  auto frame = opts_.wire_codec->encode(resp);
  if (!frame) {
    // E.g. a handler's result or message is not valid UTF-8: the caller still
    // gets an answer.
    frame = opts_.wire_codec->encode(
      rpc_response{id, nullptr, rpc_error{rpc_code::internal_error, frame.error_value().message()}});
    if (!frame)
      return;
  }
  if (batch)
    batch->replies.push_back(std::move(*frame));
  else
    conn_->write(std::move(*frame));
}

void session_actor::flush(batch_state& batch) {
  if (batch.dispatching || batch.outstanding > 0 || batch.replies.empty() || closed_)
    return;
  auto frame = opts_.wire_codec->encode_batch(batch.replies);
  batch.replies.clear();
  conn_->write(std::move(frame));
}

void session_actor::finish_incoming(std::uint64_t serial, call_outcome outcome) {
  if (running_ != nullptr && running_->state->serial == serial) {
    auto& call = *running_;
    running_ = nullptr; // answered by its handler's context or promise before it returned
    answer(call, std::move(outcome));
    return;
  }
  auto i = incoming_.find(serial);
  if (i == incoming_.end())
    return;
  auto call = std::move(i->second);
  incoming_.erase(i);
  if (!call.state->notification) {
    auto range = incoming_by_id_.equal_range(call.id_key);
    for (auto j = range.first; j != range.second; ++j) {
      if (j->second == serial) {
        incoming_by_id_.erase(j);
        break;
      }
    }
  }
  answer(call, std::move(outcome));
}

void session_actor::answer(incoming_call& call, call_outcome outcome) {
  if (call.state->notification)
    return;
  reply(call.state->id, std::move(outcome), call.batch);
  if (call.batch) {
    --call.batch->outstanding;
    flush(*call.batch);
  }
}

void session_actor::notify_incoming(std::uint64_t serial, std::string method, json params) {
  bool open = (running_ != nullptr && running_->state->serial == serial) || incoming_.count(serial) != 0;
  if (closed_ || !open)
    return;
  write(rpc_request{std::nullopt, std::move(method), std::move(params)});
}

void session_actor::cancel_incoming(const json& params) {
  if (!params.is_object())
    return;
  auto id = params.find("id");
  if (id == params.end())
    return;
  std::vector<std::uint64_t> serials;
  auto range = incoming_by_id_.equal_range(id_key(*id));
  for (auto j = range.first; j != range.second; ++j)
    serials.push_back(j->second);
  for (auto serial : serials) {
    auto i = incoming_.find(serial);
    if (i == incoming_.end())
      continue;
    auto state = i->second.state;
    if (state->answered.exchange(true, std::memory_order_acq_rel))
      continue; // its answer is already on the way
    run_cancel_hooks(*state);
    finish_incoming(serial, call_outcome::failure(rpc_error{rpc_code::request_cancelled, "Request cancelled"}));
  }
}

void session_actor::run_cancel_hooks(call_state& state) {
  state.cancelled.store(true, std::memory_order_release);
  auto hooks = std::move(state.on_cancel);
  state.on_cancel.clear();
  for (auto& hook : hooks) {
    try {
      hook();
    } catch (const std::exception& e) {
      system().log("session: an on_cancel hook of \"" + state.method + "\" threw: " + e.what());
    } catch (...) {
      system().log("session: an on_cancel hook of \"" + state.method + "\" threw");
    }
  }
}

void session_actor::cancel_all_incoming() {
  auto calls = std::move(incoming_);
  incoming_.clear();
  incoming_by_id_.clear();
  for (auto& [serial, call] : calls)
    if (!call.state->answered.exchange(true, std::memory_order_acq_rel))
      run_cancel_hooks(*call.state);
}

// -- outgoing -----------------------------------------------------------------

bool session_actor::complete_outgoing(std::int64_t id, call_outcome outcome) {
  auto i = outgoing_.find(id);
  if (i == outgoing_.end())
    return false;
  auto entry = std::move(i->second);
  outgoing_.erase(i);
  entry.timeout.cancel();
  entry.complete(std::move(outcome));
  return true;
}

void session_actor::fail_all_outgoing(const error& reason) {
  auto calls = std::move(outgoing_);
  outgoing_.clear();
  for (auto& [id, entry] : calls) {
    entry.timeout.cancel();
    entry.complete(call_outcome::failure(rpc_error{reason.code(), reason.message()}));
  }
}

void session_actor::send_cancel_request(std::int64_t id) {
  write(rpc_request{std::nullopt, "$/cancelRequest", json{{"id", id}}});
}

void session_actor::write(const rpc_message& msg) {
  if (closed_)
    return;
  auto frame = opts_.wire_codec->encode(msg);
  if (!frame) {
    system().log("session " + conn_->peer() + ": message not sent: " + frame.error_value().message());
    return;
  }
  conn_->write(std::move(*frame));
}

void session_actor::on_closed(const error& reason) {
  if (closed_)
    return;
  closed_ = true;
  auto what = reason ? "connection closed: " + tandem::to_string(reason) : std::string{"connection closed"};
  fail_all_outgoing(error{errc::channel_closed, what});
  cancel_all_incoming();
  quit();
}

} // namespace detail

session_handle spawn_session(actor_system& sys, std::unique_ptr<connection> conn, session_options opts) {
  auto shared = std::make_shared<detail::session_shared>();
  spawn_options so;
  so.name = opts.name;
  auto a = sys.spawn<detail::session_actor>(std::move(so), std::move(conn), std::move(opts), shared);
  return session_handle{a, std::move(shared)};
}

} // namespace tandem::session

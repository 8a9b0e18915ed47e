#include <tandem/session/in_process.hpp>

#include <tandem/actors/actor_base.hpp>

#include <array>
#include <deque>
#include <mutex>

namespace tandem::session {

namespace {

// Both ends' state behind one mutex. Messages are sent while holding it, so
// a frame can never overtake transport_closed (sends are cheap and never
// call back into a transport).
struct pipe {
  std::mutex mutex;
  std::array<actor, 2> sessions;
  std::array<bool, 2> started{false, false};
  std::array<std::deque<std::string>, 2> early; // frames for an end not started yet
  bool closed = false;
  std::array<error, 2> close_reason;
};

class in_process_end final : public connection {
public:
  in_process_end(std::shared_ptr<pipe> p, int side) : pipe_(std::move(p)), side_(side) {}
  ~in_process_end() override { close(); }

  void start(actor session) override {
    std::lock_guard<std::mutex> guard{pipe_->mutex};
    if (pipe_->started[side_])
      return;
    pipe_->started[side_] = true;
    auto& early = pipe_->early[side_];
    for (auto& f : early)
      tandem::send(session, inbound_frame{std::move(f)});
    early.clear();
    if (pipe_->closed)
      tandem::send(session, transport_closed{pipe_->close_reason[side_]});
    else
      pipe_->sessions[side_] = std::move(session);
  }

  error write(std::string frame) override {
    std::lock_guard<std::mutex> guard{pipe_->mutex};
    if (pipe_->closed)
      return error{errc::receiver_down, "in-process connection closed"};
    int other = 1 - side_;
    if (pipe_->started[other])
      tandem::send(pipe_->sessions[other], inbound_frame{std::move(frame)});
    else
      pipe_->early[other].push_back(std::move(frame));
    return {};
  }

  void close() override {
    std::lock_guard<std::mutex> guard{pipe_->mutex};
    if (pipe_->closed)
      return;
    pipe_->closed = true;
    pipe_->close_reason[side_] = error{};
    pipe_->close_reason[1 - side_] = error{errc::channel_closed, "peer closed the connection"};
    for (int s = 0; s < 2; ++s) {
      if (pipe_->started[s]) {
        tandem::send(pipe_->sessions[s], transport_closed{pipe_->close_reason[s]});
        pipe_->sessions[s] = actor{}; // no cycle through the pipe
      }
    }
  }

  std::string peer() const override { return side_ == 0 ? "in-process:b" : "in-process:a"; }

private:
  std::shared_ptr<pipe> pipe_;
  int side_;
};

} // namespace

std::pair<std::unique_ptr<connection>, std::unique_ptr<connection>> make_in_process_pair() {
  auto p = std::make_shared<pipe>();
  return {std::make_unique<in_process_end>(p, 0), std::make_unique<in_process_end>(p, 1)};
}

} // namespace tandem::session

#include "native/io_actors.hpp"

#include <boost/asio/post.hpp>

#include <chrono>
#include <utility>

namespace tandem::session::native {

namespace {

// Turns per drain before socket handlers get their turn again: enough to
// answer a burst of frames in one go, few enough that reading and writing
// never wait long behind busy actors.
constexpr std::size_t turns_per_drain = 64;

// How often a drain steps back behind the socket handlers while these keep
// delivering frames (each step lets one more buffered frame be read).
constexpr int max_yields = 64;

} // namespace

io_actors::io_actors(std::shared_ptr<io_thread> io) : io_(std::move(io)), timer_(io_->context()) {
  loop_.set_wakeup([this] { wake(); });
  io_->set_actor_runner([this] { run_woken(); });
}

io_actors::~io_actors() {
  io_->set_actor_runner(nullptr);
  shutdown();
}

void io_actors::run_woken() {
  if (detached_ || running_ || !drain_posted_.load(std::memory_order_acquire))
    return;
  // The posted drain stays queued: it then only runs what was woken after
  // this run, without stepping back first.
  wakes_.store(0, std::memory_order_relaxed);
  if (run_some() < turns_per_drain)
    ran_inline_ = true;
}

std::size_t io_actors::run_some() {
  running_ = true;
  std::size_t turns;
  {
    io_thread::collecting_flushes writes{*io_};
    turns = loop_.run_turns(turns_per_drain);
  }
  running_ = false;
  arm_timer();
  return turns;
}

void io_actors::wake() {
  wakes_.fetch_add(1, std::memory_order_relaxed);
  // One drain in flight is enough: it clears the flag before it runs turns,
  // so work scheduled meanwhile posts the next one.
  if (drain_posted_.exchange(true, std::memory_order_acq_rel))
    return;
  if (!io_->post(io_->context().get_executor(), [this] { drain(); }))
    drain_posted_.store(false, std::memory_order_release); // stopping: shutdown() runs what is left
}

void io_actors::drain() {
  if (detached_) {
    drain_posted_.store(false, std::memory_order_release);
    return;
  }
  // A frame read here wakes the loop before the read of the next frame
  // already buffered completes (that completion is queued behind this
  // drain). Step back while frames keep coming, so that one drain answers
  // all that have arrived and their answers leave in one write, instead of
  // one drain and one send per frame. The first step is always taken (it
  // costs one hop); the next ones only while wakes arrive meanwhile.
  auto wakes = wakes_.exchange(0, std::memory_order_acq_rel);
  // A socket handler may have run what this drain was posted for
  // (run_woken): then, unless more was woken since, no frame is on its way.
  bool ran_inline = std::exchange(ran_inline_, false) && wakes == 0;
  if (!ran_inline && (yields_ == 0 || wakes > 0) && yields_ < max_yields) {
    ++yields_;
    if (io_->post(io_->context().get_executor(), [this] { drain(); }))
      return;
  }
  yields_ = 0;
  drain_posted_.store(false, std::memory_order_release);
  if (run_some() == turns_per_drain)
    wake(); // more to do: after the socket handlers queued meanwhile
}

void io_actors::arm_timer() {
  auto next = loop_.next_deadline();
  if (next == timer_at_)
    return;
  timer_at_ = next;
  if (next == time_point::max()) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(std::chrono::steady_clock::time_point{
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(next.time_since_epoch())});
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || detached_)
      return; // re-armed or cancelled: a newer wait is pending, or none is needed
    timer_at_ = time_point::max();
    wake();
  });
}

void io_actors::detach_from_io() {
  detached_ = true;
  io_->set_actor_runner(nullptr);
  timer_at_ = time_point::max();
  timer_.cancel();
}

void io_actors::shutdown() {
  if (shut_down_)
    return;
  shut_down_ = true;
  // The wakeup stays: senders on other threads may still call it, and once
  // the I/O thread has finished its posts are refused (gated), not queued.
  system_.shutdown();
}

} // namespace tandem::session::native

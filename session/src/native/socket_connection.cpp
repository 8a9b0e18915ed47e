#include "native/socket_connection.hpp"

#include <tandem/actors/actor_base.hpp>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>

namespace tandem::session::native {

socket_connection::socket_connection(std::shared_ptr<io_thread> io, strand_type strand,
                                     connection_limits limits, std::string peer)
    : io_(std::move(io)),
      strand_(std::move(strand)),
      limits_(limits),
      peer_(std::move(peer)) {}

void socket_connection::start(actor session) {
  auto self = shared_from_this();
  bool posted = io_->post(strand_, [self, session = std::move(session)]() mutable {
    if (self->started_)
      return;
    self->started_ = true;
    self->session_ = std::move(session);
    if (self->done_) { // failed before start (e.g. server stopping): say so once
      tandem::send(self->session_, transport_closed{error{errc::receiver_down, "connection closed before start"}});
      self->session_ = actor{};
      return;
    }
    self->start_read();
  });
  if (!posted)
    tandem::send(session, transport_closed{error{errc::system_shutdown, "transport stopped"}});
}

error socket_connection::write(std::string frame) {
  if (closed_flag_.load(std::memory_order_acquire))
    return error{errc::receiver_down, "connection closed: " + peer_};
  outbound_bytes_.fetch_add(frame.size(), std::memory_order_relaxed);
  if (io_->on_io_thread()) {
    // A session on the I/O thread (or anything else running there) is
    // serialized with the strand already: queue directly, and write what the
    // rest of this drain queues too in one go.
    queue_deferred(std::move(frame));
    return {};
  }
  auto self = shared_from_this();
  std::size_t size = frame.size();
  bool posted = io_->post(strand_, [self, frame = std::move(frame)]() mutable {
    self->push(std::move(frame));
  });
  if (!posted) {
    outbound_bytes_.fetch_sub(size, std::memory_order_relaxed);
    return error{errc::receiver_down, "transport stopped: " + peer_};
  }
  return {};
}

void socket_connection::close() {
  auto self = shared_from_this();
  io_->post(strand_, [self] { self->close_after_writes(error{}); });
}

void socket_connection::close_after_writes(error reason) {
  if (closing_ || done_)
    return;
  closing_ = true;
  close_reason_ = std::move(reason);
  if (!writing_)
    start_shutdown();
}

void socket_connection::enqueue(std::string frame) {
  outbound_bytes_.fetch_add(frame.size(), std::memory_order_relaxed);
  push(std::move(frame));
}

void socket_connection::push(std::string frame) {
  if (closing_ || done_) {
    outbound_bytes_.fetch_sub(frame.size(), std::memory_order_relaxed);
    return;
  }
  queue_.push_back(std::move(frame));
  if (!writing_)
    flush();
}

void socket_connection::queue_deferred(std::string frame) {
  if (closing_ || done_) {
    outbound_bytes_.fetch_sub(frame.size(), std::memory_order_relaxed);
    return;
  }
  queue_.push_back(std::move(frame));
  if (writing_ || flush_posted_)
    return; // on_written or the posted flush takes it
  flush_posted_ = true;
  auto self = shared_from_this();
  if (io_->collect_flush(self))
    return; // written when the run of sessions ends, with what it queues
  // Not through the strand: the one thread that runs every handler of this
  // io_context runs this one too, so it is serialized with the strand's
  // anyway, and skips the strand's queue (a lock, an invoker op).
  boost::asio::post(io_->context(), [self] { self->flush_deferred(); });
}

void socket_connection::flush_deferred() {
  flush_posted_ = false;
  if (!writing_)
    flush();
}

void socket_connection::abort(error reason) {
  auto self = shared_from_this();
  io_->post(strand_, [self, reason = std::move(reason)]() mutable { self->fail(std::move(reason)); });
}

void socket_connection::deliver(std::string frame) {
  if (done_ || closing_)
    return;
  inbound_frames_.fetch_add(1, std::memory_order_relaxed);
  tandem::send(session_, inbound_frame{std::move(frame)});
}

std::size_t socket_connection::inbound_cap() const noexcept {
  return std::max<std::size_t>(limits_.max_inbound_frames, 2);
}

void socket_connection::frame_processed() {
  auto before = inbound_frames_.fetch_sub(1, std::memory_order_acq_rel);
  // Reading paused at the cap; the count passes half of it exactly once on
  // the way down: that is when the strand should look again.
  if (before - 1 == inbound_cap() / 2) {
    auto self = shared_from_this();
    io_->post(strand_, [self] { self->maybe_resume_reading(); });
  }
}

bool socket_connection::over_limits() const noexcept {
  return outbound_bytes_.load(std::memory_order_relaxed) > limits_.max_outbound_bytes ||
         inbound_frames_.load(std::memory_order_acquire) >= inbound_cap();
}

void socket_connection::read_done() {
  if (closing_ || done_)
    return;
  if (over_limits()) {
    // Back-pressure: the peer does not read its answers fast enough, or its
    // session does not keep up with its requests; stop taking them until
    // both have come down to half.
    read_paused_ = true;
    return;
  }
  start_read();
}

void socket_connection::maybe_resume_reading() {
  if (read_paused_ && !closing_ && !done_ &&
      outbound_bytes_.load(std::memory_order_relaxed) <= limits_.max_outbound_bytes / 2 &&
      inbound_frames_.load(std::memory_order_acquire) <= inbound_cap() / 2) {
    read_paused_ = false;
    start_read();
  }
}

void socket_connection::flush() {
  if (queue_.empty() || done_)
    return;
  writing_ = true;
  start_write(queue_);
}

void socket_connection::on_written(std::size_t bytes, const boost::system::error_code& ec) {
  writing_ = false;
  outbound_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
  if (done_)
    return;
  if (ec) {
    fail(error{errc::receiver_down, "write to " + peer_ + " failed: " + ec.message()});
    return;
  }
  if (!queue_.empty()) {
    flush();
  } else if (closing_) {
    start_shutdown();
    return;
  }
  maybe_resume_reading();
}

void socket_connection::on_shutdown_done() {
  close_socket();
  finish(std::move(close_reason_));
}

void socket_connection::fail(error reason) {
  if (done_)
    return;
  close_socket();
  finish(std::move(reason));
}

void socket_connection::finish(error reason) {
  if (done_)
    return;
  done_ = true;
  closed_flag_.store(true, std::memory_order_release);
  std::size_t dropped = 0;
  for (auto& f : queue_)
    dropped += f.size();
  queue_.clear();
  outbound_bytes_.fetch_sub(dropped, std::memory_order_relaxed);
  if (started_) {
    tandem::send(session_, transport_closed{std::move(reason)});
    session_ = actor{}; // the session owns us, not the other way round
  }
}

connection_handle::~connection_handle() {
  impl_->close();
  if (owned_io_) {
    // A client: its I/O thread ends once the close has run its course
    // (bounded by the transports' timeouts).
    owned_io_->finish();
  }
}

} // namespace tandem::session::native

#pragma once

// What the TCP and WebSocket connections share: the outbound queue with its
// byte count and the count of frames delivered but not yet processed (the
// back-pressure policy of connection_limits: stop reading the peer while
// queued bytes exceed max_outbound_bytes or unprocessed frames reach
// max_inbound_frames, resume once both are down to half),
// delivery of frames and of the single transport_closed to the session
// actor, and the close sequence. Everything but write() and the counters runs
// on the I/O thread, serialized by the connection's strand -- or, where noted
// (the completions of a WebSocket server's reads and writes, a flush queued
// by a session on the I/O thread), by the io_context having that one thread.

#include "native/io_thread.hpp"

#include <tandem/actors/actor_base.hpp> // complete actor type: connections hold handles
#include <tandem/session/connection.hpp>

#include <boost/asio/strand.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace tandem::session::native {

using strand_type = boost::asio::strand<boost::asio::io_context::executor_type>;

class socket_connection : public std::enable_shared_from_this<socket_connection>, public deferred_flush {
public:
  socket_connection(std::shared_ptr<io_thread> io, strand_type strand, connection_limits limits, std::string peer);
  virtual ~socket_connection() = default;

  // --- called from any thread ----------------------------------------------
  void start(actor session);
  error write(std::string frame);
  /// Closes after queued frames are written.
  void close();
  /// Closes now, dropping queued frames (server stop after its grace period).
  void abort(error reason);
  /// The session handled a delivered frame (any thread).
  void frame_processed();
  const std::string& peer() const noexcept { return peer_; }
  const connection_limits& limits() const noexcept { return limits_; }
  std::size_t outbound_bytes() const noexcept { return outbound_bytes_.load(std::memory_order_relaxed); }
  bool closed() const noexcept { return closed_flag_.load(std::memory_order_acquire); }

protected:
  // --- strand only ------------------------------------------------------------
  virtual void start_read() = 0;
  /// Writes the frames, taking them out of `frames` (left empty, its
  /// capacity kept for the next batch); calls on_written when done.
  virtual void start_write(std::vector<std::string>& frames) = 0;
  /// Ends the transport politely (FIN / WebSocket close); calls on_shutdown_done.
  virtual void start_shutdown() = 0;
  /// Closes the socket at once.
  virtual void close_socket() noexcept = 0;

  /// A complete inbound frame.
  void deliver(std::string frame);
  /// A read finished; read again unless paused (back-pressure) or closing.
  void read_done();
  void on_written(std::size_t bytes, const boost::system::error_code& ec);
  void on_shutdown_done();
  /// The transport failed or the peer went away.
  void fail(error reason);
  /// Stops reading, shuts down once the queue is written; transport_closed
  /// then carries `reason`.
  void close_after_writes(error reason);
  /// Queues a frame from the strand itself.
  void enqueue(std::string frame);

  const strand_type& strand() const noexcept { return strand_; }
  bool closing() const noexcept { return closing_ || done_; }
  /// Too many bytes queued out or frames not yet processed: read no more.
  bool over_limits() const noexcept;

  std::shared_ptr<io_thread> io_;
  strand_type strand_;

private:
  void flush();
  void push(std::string counted_frame);
  /// push() from the I/O thread outside the strand: the write starts once
  /// the current run of sessions is done.
  void queue_deferred(std::string counted_frame);
  void flush_deferred() override;
  void finish(error reason);
  void maybe_resume_reading();
  std::size_t inbound_cap() const noexcept;

  connection_limits limits_;
  std::string peer_;
  actor session_;
  std::vector<std::string> queue_; // handed whole to start_write()
  bool started_ = false;
  bool writing_ = false;
  bool flush_posted_ = false;
  bool read_paused_ = false;
  bool closing_ = false;   // close() asked: no more reads, shut down after the queue
  bool done_ = false;      // transport_closed delivered
  error close_reason_;
  std::atomic<std::size_t> outbound_bytes_{0};
  std::atomic<std::size_t> inbound_frames_{0}; // delivered, not yet processed
  std::atomic<bool> closed_flag_{false};
};

/// The `connection` a session actor owns; forwards to a socket_connection.
/// Dropping it closes the connection after its queued frames; for a client
/// it also owns the I/O thread and joins it.
class connection_handle final : public connection {
public:
  connection_handle(std::shared_ptr<socket_connection> impl, std::shared_ptr<io_thread> owned_io = nullptr)
      : impl_(std::move(impl)), owned_io_(std::move(owned_io)) {}
  ~connection_handle() override;

  void start(actor session) override { impl_->start(std::move(session)); }
  error write(std::string frame) override { return impl_->write(std::move(frame)); }
  void close() override { impl_->close(); }
  std::string peer() const override { return impl_->peer(); }
  void frame_processed() override { impl_->frame_processed(); }

  const std::shared_ptr<socket_connection>& impl() const noexcept { return impl_; }

private:
  std::shared_ptr<socket_connection> impl_;
  std::shared_ptr<io_thread> owned_io_;
};

} // namespace tandem::session::native

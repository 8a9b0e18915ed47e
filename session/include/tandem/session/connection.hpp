#pragma once

// The seam between a session actor and the transport carrying its frames.
// A transport (in-process pair, TCP, WebSocket natively or in the browser)
// implements `connection`; the session actor owns it and never sees sockets.
// Inbound traffic reaches the session only as messages in its mailbox, so the
// session logic is the same on every transport and every backend.

#include <tandem/actors/actor.hpp>
#include <tandem/runtime/error.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace tandem::session {

/// One complete frame (a JSON-RPC message or batch), delivered to the session
/// actor by its transport, in arrival order.
struct inbound_frame {
  std::string text;
};

/// The transport is gone (peer closed, I/O error, frame limit violated
/// without a recoverable id, or closed locally). Delivered once, last.
struct transport_closed {
  tandem::error reason;
};

struct connection_limits {
  /// Largest frame accepted; a larger one is answered with -32600 where an
  /// id can be known, otherwise the connection is closed cleanly.
  std::size_t max_frame_bytes = 1u << 20;
  /// Outbound bytes queued but not yet written above which the transport
  /// stops reading this peer's requests until the queue drains below half.
  std::size_t max_outbound_bytes = 8u << 20;
  /// Frames delivered to the session but not yet handled (frame_processed)
  /// above which the transport stops reading until half of them are handled:
  /// a session that falls behind holds a bounded backlog, not the peer's
  /// whole stream, in its mailbox.
  std::size_t max_inbound_frames = 256;
  /// A WebSocket server connection whose peer sends nothing for half of this
  /// is pinged, and closed if it still sends nothing (not even the pong) by
  /// the end of it. Zero: never.
  std::chrono::milliseconds idle_timeout{300000};
};

/// The outbound half of a transport, used only by the session actor that
/// owns it. Implementations deliver `inbound_frame` and then exactly one
/// `transport_closed` to the actor given to `start`, from whatever thread
/// their I/O runs on (tandem::send is thread-safe).
class connection {
public:
  virtual ~connection() = default;

  /// Begins delivering inbound frames to `session`. Called once.
  virtual void start(actor session) = 0;

  /// Queues one frame for writing; never blocks. An error means the frame was
  /// not queued (errc::receiver_down once closed).
  virtual error write(std::string frame) = 0;

  /// Closes after queued frames are written; `transport_closed` follows.
  virtual void close() = 0;

  /// A short description of the peer for logs ("tcp://127.0.0.1:5123").
  virtual std::string peer() const = 0;

  /// The owner has handled one `inbound_frame`; callable from any thread.
  /// Owners must call it once per frame: transports that bound their inbound
  /// side (connection_limits::max_inbound_frames) stop reading otherwise.
  virtual void frame_processed() {}
};

} // namespace tandem::session

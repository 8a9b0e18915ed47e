#include "native/websocket_server_connection.hpp"

#include "native/websocket_connection.hpp" // configure(): the handshake's options

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <chrono>

#include <unistd.h>

namespace tandem::session::native {

namespace asio = boost::asio;
namespace beast = boost::beast;

namespace {

// Enough for a read of many pipelined calls; longer messages arrive over
// several reads.
constexpr std::size_t read_chunk = 16 * 1024;
// How long our close frame waits for the peer's answer (as Beast's
// handshake timeout did).
constexpr std::chrono::seconds close_wait{5};

} // namespace

websocket_server_connection::websocket_server_connection(std::shared_ptr<io_thread> io, strand_type strand,
                                                         connection_limits limits, std::string peer)
    : socket_connection(std::move(io), std::move(strand), limits, std::move(peer)),
      decoder_(limits.max_frame_bytes),
      close_timer_(this->strand_),
      idle_timer_(this->strand_) {}

void websocket_server_connection::accept(beast::tcp_stream stream,
                                         beast::http::request<beast::http::string_body> request,
                                         std::function<void(bool)> on_open) {
  handshake_.emplace(std::move(stream));
  websocket_connection::configure(*handshake_, limits(), true);
  auto self = std::static_pointer_cast<websocket_server_connection>(shared_from_this());
  handshake_->async_accept(request, asio::bind_executor(strand(), [self, on_open = std::move(on_open)](
                                                                     beast::error_code ec) {
                             if (!ec && self->handshake_ && !self->closed())
                               self->adopt(beast::get_lowest_layer(*self->handshake_).release_socket());
                             self->handshake_.reset(); // from here on the socket is framed here
                             if (!self->socket_) {
                               self->close_socket();
                               on_open(false);
                               return;
                             }
                             self->in_.resize(read_chunk);
                             self->watch_idle();
                             on_open(true);
                           }));
}

void websocket_server_connection::adopt(asio::ip::tcp::socket socket) {
  boost::system::error_code ec;
  auto protocol = socket.local_endpoint(ec).protocol();
  if (ec)
    return;
  auto fd = socket.release(ec);
  if (ec)
    return;
  socket_.emplace(io_->context().get_executor());
  socket_->assign(protocol, fd, ec);
  if (ec) {
    ::close(fd);
    socket_.reset();
  }
}

// -- reading ---------------------------------------------------------------------

void websocket_server_connection::start_read() {
  if (decoder_.paused()) { // frames left from the read that hit the inbound bound
    decoder_.feed({}, *this);
    after_decode();
    return;
  }
  read_some();
}

void websocket_server_connection::read_some() {
  if (reading_ || !socket_ || closed())
    return;
  reading_ = true;
  auto self = std::static_pointer_cast<websocket_server_connection>(shared_from_this());
  // Completions of reads and writes are not bound to the strand: they run on
  // the socket's executor, the io_context that one thread runs, so they are
  // serialized with the strand's handlers anyway, and skip its queue (a
  // lock and an invoker op each, twice per call).
  socket_->async_read_some(asio::buffer(in_), [self](beast::error_code ec, std::size_t n) { self->on_read(ec, n); });
}

void websocket_server_connection::on_read(const boost::system::error_code& ec, std::size_t n) {
  reading_ = false;
  if (closed())
    return;
  if (ec) {
    if (close_sent_) { // the peer went away after our close frame: the close is complete
      on_shutdown_done();
      return;
    }
    if (ec == asio::error::eof)
      fail(error{errc::receiver_down, decoder_.mid_frame()
                                          ? "peer closed in the middle of a frame: " + peer()
                                          : "peer closed without a close frame: " + peer()});
    else
      fail(error{errc::receiver_down, "read from " + peer() + " failed: " + ec.message()});
    return;
  }
  decoder_.feed({in_.data(), n}, *this);
  if (n < in_.size())
    io_->run_woken_actors(); // nothing more waiting: answer before reading again
  after_decode();
}

void websocket_server_connection::after_decode() {
  if (closed() || peer_closed_)
    return; // closed, or our answer to the peer's close frame is on its way
  if (close_sent_ || decoder_.finished()) {
    // Waiting for the peer's close frame (or, after a violation, its FIN),
    // whatever the back-pressure.
    read_some();
    return;
  }
  read_done(); // pauses while over the limits, else start_read()
}

bool websocket_server_connection::on_text(std::string message) {
  ++activity_;
  if (close_sent_)
    return true; // data after a close frame: dropped
  deliver(std::move(message));
  // The inbound bound counts messages: stop decoding at it, as a reader
  // that takes one message per read would.
  return !over_limits();
}

void websocket_server_connection::on_ping(std::string_view payload) {
  ++activity_;
  if (close_sent_)
    return;
  append_server_frame(next_, ws_opcode::pong, payload);
  kick();
}

void websocket_server_connection::on_pong(std::string_view) { ++activity_; }

void websocket_server_connection::on_close(std::uint16_t code, std::string_view) {
  ++activity_;
  if (close_sent_) { // the answer to ours
    on_shutdown_done();
    return;
  }
  // The peer's close: answer with its code, then close the socket (the
  // server closes TCP first, RFC 6455 section 7.1.1).
  peer_closed_ = true;
  send_close(code, {});
}

void websocket_server_connection::on_violation(std::uint16_t code, std::string what) {
  close_code_ = code;
  close_text_ = code == ws_close::unsupported_data ? "text frames only" : what;
  auto kind = code == ws_close::unsupported_data ? errc::invalid_argument : errc::receiver_down;
  // Answers already queued still go out; then our close frame.
  close_after_writes(error{kind, what + " from " + peer() + " (closed with " + std::to_string(code) + ")"});
}

// -- writing ---------------------------------------------------------------------

void websocket_server_connection::start_write(std::vector<std::string>& frames) {
  std::size_t bytes = 0;
  for (const auto& f : frames)
    bytes += f.size();
  if (close_sent_) {
    // Nothing may follow a close frame: these are dropped (as by a closed socket).
    frames.clear();
    auto self = std::static_pointer_cast<websocket_server_connection>(shared_from_this());
    asio::post(strand(), [self, bytes] { self->on_written(bytes, {}); });
    return;
  }
  next_.reserve(next_.size() + bytes + 10 * frames.size());
  for (const auto& f : frames)
    append_server_frame(next_, ws_opcode::text, f);
  frames.clear();
  next_has_batch_ = true;
  next_batch_bytes_ += bytes;
  kick();
}

void websocket_server_connection::kick() {
  if (writing_wire_ || next_.empty() || !socket_ || closed())
    return;
  wire_.swap(next_);
  next_.clear();
  wire_has_batch_ = std::exchange(next_has_batch_, false);
  wire_batch_bytes_ = std::exchange(next_batch_bytes_, 0);
  wire_has_close_ = std::exchange(next_has_close_, false);
  writing_wire_ = true;
  auto self = std::static_pointer_cast<websocket_server_connection>(shared_from_this());
  asio::async_write(*socket_, asio::buffer(wire_), [self](beast::error_code ec, std::size_t) { self->on_write_done(ec); });
}

void websocket_server_connection::on_write_done(const boost::system::error_code& ec) {
  writing_wire_ = false;
  bool had_batch = std::exchange(wire_has_batch_, false);
  bool had_close = std::exchange(wire_has_close_, false);
  auto bytes = std::exchange(wire_batch_bytes_, 0);
  wire_.clear();
  if (had_batch)
    on_written(bytes, ec); // may queue the next batch, or shut down
  if (closed())
    return;
  if (ec) {
    if (close_sent_)
      on_shutdown_done();
    else
      fail(error{errc::receiver_down, "write to " + peer() + " failed: " + ec.message()});
    return;
  }
  if (had_close) {
    if (peer_closed_) {
      fail(error{errc::receiver_down, "peer closed: " + peer()});
      return;
    }
    if (decoder_.finished()) {
      // After a violation the peer's close frame cannot be decoded: our FIN
      // ends its side, and its FIN (or the close timer) ends ours.
      boost::system::error_code ignored;
      socket_->shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    }
  }
  kick();
}

// -- closing ---------------------------------------------------------------------

void websocket_server_connection::start_shutdown() { send_close(close_code_, close_text_); }

void websocket_server_connection::send_close(std::uint16_t code, std::string_view reason) {
  if (close_sent_)
    return;
  close_sent_ = true;
  if (code == ws_close::no_status)
    append_server_frame(next_, ws_opcode::close, {}); // the peer's close had no code: neither has ours
  else
    append_close_frame(next_, code, reason);
  next_has_close_ = true;
  kick();
  auto self = std::static_pointer_cast<websocket_server_connection>(shared_from_this());
  close_timer_.expires_after(close_wait);
  close_timer_.async_wait(asio::bind_executor(strand(), [self](beast::error_code ec) {
    if (!ec && !self->closed())
      self->on_shutdown_done();
  }));
  if (!peer_closed_)
    read_some(); // for the peer's close frame, even if reading was paused
}

void websocket_server_connection::close_socket() noexcept {
  idle_timer_.cancel();
  close_timer_.cancel();
  boost::system::error_code ec;
  if (handshake_)
    beast::get_lowest_layer(*handshake_).socket().close(ec);
  if (socket_) {
    socket_->shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_->close(ec);
  }
}

void websocket_server_connection::watch_idle() {
  if (limits().idle_timeout <= std::chrono::milliseconds::zero() || closing())
    return;
  idle_timer_.expires_after(limits().idle_timeout / 2);
  auto self = std::static_pointer_cast<websocket_server_connection>(shared_from_this());
  idle_timer_.async_wait(asio::bind_executor(strand(), [self](beast::error_code ec) {
    if (ec || self->closing())
      return;
    if (self->activity_ != self->activity_seen_) {
      self->activity_seen_ = self->activity_;
      self->pinged_ = false;
    } else if (!self->pinged_) {
      self->pinged_ = true;
      append_server_frame(self->next_, ws_opcode::ping, {});
      self->kick();
    } else {
      self->fail(error{errc::receiver_down,
                       self->peer() + " sent nothing for " +
                           std::to_string(self->limits().idle_timeout.count()) + " ms (not even a pong)"});
      return;
    }
    self->watch_idle();
  }));
}

} // namespace tandem::session::native

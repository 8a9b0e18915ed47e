#include "native/websocket_connection.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket/error.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <chrono>

namespace tandem::session::native {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

websocket_connection::websocket_connection(std::shared_ptr<io_thread> io, strand_type strand, stream_type ws,
                                           connection_limits limits, std::string peer)
    : socket_connection(std::move(io), std::move(strand), limits, std::move(peer)), ws_(std::move(ws)) {}

void websocket_connection::configure(stream_type& ws, const connection_limits& limits, bool server) {
  auto timeouts = websocket::stream_base::timeout::suggested(server ? beast::role_type::server
                                                                    : beast::role_type::client);
  // Bounds the close handshake (and a stop) when the peer never answers.
  timeouts.handshake_timeout = std::chrono::seconds(5);
  // A server's idle check is its connection's own
  // (websocket_server_connection): Beast's re-arms a timer at every message
  // read (a timer syscall and a cancelled wait per message).
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  ws.set_option(timeouts);
  ws.read_message_max(limits.max_frame_bytes);
  ws.auto_fragment(false);
  ws.text(true);
  beast::get_lowest_layer(ws).expires_never(); // the websocket timeouts apply from here on
  beast::get_lowest_layer(ws).socket().set_option(asio::ip::tcp::no_delay{true});
}

void websocket_connection::start_read() {
  auto self = std::static_pointer_cast<websocket_connection>(shared_from_this());
  ws_.async_read(in_, asio::bind_executor(strand(), [self](beast::error_code ec, std::size_t) {
    if (self->closing()) // our own close or a failure already ends the connection
      return;
    if (ec) {
      if (ec == websocket::error::closed)
        self->fail(error{errc::receiver_down, "peer closed: " + self->peer()});
      else if (ec == websocket::error::message_too_big)
        self->fail(error{errc::receiver_down, "frame over " + std::to_string(self->limits().max_frame_bytes) +
                                                  " bytes from " + self->peer() + " (closed with 1009)"});
      else
        self->fail(error{errc::receiver_down, "read from " + self->peer() + " failed: " + ec.message()});
      return;
    }
    if (!self->ws_.got_text()) {
      self->in_.clear();
      self->close_code_ = websocket::close_reason{websocket::close_code::unknown_data, "text frames only"};
      self->close_after_writes(error{errc::invalid_argument,
                                     "binary frame from " + self->peer() + " (closed with 1003)"});
      return;
    }
    std::string frame = beast::buffers_to_string(self->in_.data());
    self->in_.clear();
    self->deliver(std::move(frame));
    self->read_done();
  }));
}

void websocket_connection::set_cork(bool on) noexcept {
#ifdef TCP_CORK
  // Each JSON-RPC answer is a WebSocket message of its own, written by Beast
  // with one send each; corked, those sends only fill the socket buffer and
  // the kernel pushes the batch as one segment when the cork comes off,
  // instead of running TCP transmit and the peer's wake-up per message.
  // (Beast writes every frame itself: control frames it sends on its own,
  // such as pongs, stay correctly framed.)
  if (on == corked_)
    return;
  int value = on ? 1 : 0;
  auto fd = beast::get_lowest_layer(ws_).socket().native_handle();
  if (::setsockopt(fd, IPPROTO_TCP, TCP_CORK, &value, sizeof value) == 0)
    corked_ = on;
#else
  (void) on;
#endif
}

void websocket_connection::start_write(std::vector<std::string>& frames) {
  writing_frames_.swap(frames); // frames gets the last batch's emptied vector
  if (writing_frames_.size() > 1)
    set_cork(true);
  write_next(0, 0);
}

void websocket_connection::write_next(std::size_t index, std::size_t bytes) {
  if (index == writing_frames_.size()) {
    writing_frames_.clear();
    set_cork(false); // pushes the batch
    on_written(bytes, {});
    return;
  }
  auto self = std::static_pointer_cast<websocket_connection>(shared_from_this());
  auto& frame = writing_frames_[index];
  std::size_t size = frame.size();
  ws_.async_write(asio::buffer(frame),
                  asio::bind_executor(strand(), [self, index, bytes, size](beast::error_code ec, std::size_t) {
                    if (ec) {
                      self->set_cork(false);
                      std::size_t rest = 0;
                      for (std::size_t i = index; i < self->writing_frames_.size(); ++i)
                        rest += self->writing_frames_[i].size();
                      self->writing_frames_.clear();
                      self->on_written(bytes + rest, ec);
                      return;
                    }
                    self->write_next(index + 1, bytes + size);
                  }));
}

void websocket_connection::start_shutdown() {
  auto self = std::static_pointer_cast<websocket_connection>(shared_from_this());
  ws_.async_close(close_code_,
                  asio::bind_executor(strand(), [self](beast::error_code) { self->on_shutdown_done(); }));
}

void websocket_connection::close_socket() noexcept {
  beast::error_code ec;
  beast::get_lowest_layer(ws_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  beast::get_lowest_layer(ws_).socket().close(ec);
}

} // namespace tandem::session::native

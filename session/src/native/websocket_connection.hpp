#pragma once

// One JSON-RPC message or batch per WebSocket text frame. A binary frame is
// not JSON-RPC here: the connection is closed with 1003 (unsupported data, as
// RFC 6455 suggests for an endpoint that only understands text). Beast
// enforces the rest: a message over max_frame_bytes closes with 1009, invalid
// UTF-8 in a text frame with 1007.

#include "native/socket_connection.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <cstdint>
#include <functional>

namespace tandem::session::native {

class websocket_connection final : public socket_connection {
public:
  using stream_type = boost::beast::websocket::stream<boost::beast::tcp_stream>;

  /// `ws` must have been opened on `strand`.
  websocket_connection(std::shared_ptr<io_thread> io, strand_type strand, stream_type ws,
                       connection_limits limits, std::string peer);

  /// Server side: completes the upgrade of `request`, then `on_open` (on the
  /// I/O thread) with true, or false if the handshake failed.
  void accept(boost::beast::http::request<boost::beast::http::string_body> request,
              std::function<void(bool)> on_open);

  /// Options for either side once the handshake is done.
  static void configure(stream_type& ws, const connection_limits& limits, bool server);

private:
  void start_read() override;
  void start_write(std::vector<std::string> frames) override;
  void start_shutdown() override;
  void close_socket() noexcept override;

  void write_next(std::size_t index, std::size_t bytes);
  void set_cork(bool on) noexcept;
  /// Server side: every idle_timeout / 2, pings a peer that sent nothing
  /// since the last look, and fails the connection if it still sent nothing.
  void watch_idle();

  stream_type ws_;
  boost::beast::websocket::close_reason close_code_{boost::beast::websocket::close_code::normal};
  boost::beast::flat_buffer in_;
  std::vector<std::string> writing_frames_;
  bool corked_ = false;
  boost::asio::steady_timer idle_timer_;
  std::uint64_t activity_ = 0; // frames read, control frames included
  std::uint64_t activity_seen_ = 0;
  bool pinged_ = false;
  bool ping_in_flight_ = false;
};

} // namespace tandem::session::native

#pragma once

// The client's end of a WebSocket (session::connect), on Beast: one JSON-RPC
// message or batch per text message. A binary frame is not JSON-RPC here: the
// connection is closed with 1003 (unsupported data, as RFC 6455 suggests for
// an endpoint that only understands text). Beast enforces the rest: a message
// over max_frame_bytes closes with 1009, invalid UTF-8 in a text frame with
// 1007. (The server's end frames itself: websocket_server_connection.hpp.)

#include "native/socket_connection.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <string>
#include <vector>

namespace tandem::session::native {

class websocket_connection final : public socket_connection {
public:
  using stream_type = boost::beast::websocket::stream<boost::beast::tcp_stream>;

  /// `ws` must have been opened on `strand`, its handshake done.
  websocket_connection(std::shared_ptr<io_thread> io, strand_type strand, stream_type ws,
                       connection_limits limits, std::string peer);

  /// Options for either side once the handshake is done.
  static void configure(stream_type& ws, const connection_limits& limits, bool server);

private:
  void start_read() override;
  void start_write(std::vector<std::string>& frames) override;
  void start_shutdown() override;
  void close_socket() noexcept override;

  void write_next(std::size_t index, std::size_t bytes);
  void set_cork(bool on) noexcept;

  stream_type ws_;
  boost::beast::websocket::close_reason close_code_{boost::beast::websocket::close_code::normal};
  boost::beast::flat_buffer in_;
  std::vector<std::string> writing_frames_;
  bool corked_ = false;
};

} // namespace tandem::session::native

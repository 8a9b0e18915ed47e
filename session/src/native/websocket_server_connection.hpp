#pragma once

// The server's end of a WebSocket: Beast does the HTTP upgrade, then the
// connection frames the socket itself (websocket_frames.hpp). One read is
// decoded in one pass, however many frames it brought; a batch of answers,
// with any pong or close frame the connection owes, goes out in one write
// (Beast writes every message with a composed operation and a send of its
// own). Behaviour as with Beast: one JSON-RPC message or batch per text
// message, fragmented or not; binary messages close with 1003, invalid UTF-8
// with 1007, a message over max_frame_bytes with 1009 (as soon as a frame
// header announces it), protocol violations with 1002; pings are answered,
// a silent peer is pinged and then dropped (connection_limits::idle_timeout).

#include "native/socket_connection.hpp"
#include "native/websocket_frames.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tandem::session::native {

class websocket_server_connection final : public socket_connection, private ws_frame_handler {
public:
  websocket_server_connection(std::shared_ptr<io_thread> io, strand_type strand, connection_limits limits,
                              std::string peer);

  /// Completes the upgrade of `request` on `stream` (opened on the strand),
  /// then `on_open` (on the I/O thread) with true, or false if it failed.
  void accept(boost::beast::tcp_stream stream, boost::beast::http::request<boost::beast::http::string_body> request,
              std::function<void(bool)> on_open);

private:
  using handshake_stream = boost::beast::websocket::stream<boost::beast::tcp_stream>;
  /// On the io_context's own executor: a socket accepted on the strand has
  /// the strand inside an any_io_executor, which every read and write copies
  /// (a heap allocation each). Handlers still run on the strand (bind_executor).
  using socket_type = boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;

  void adopt(boost::asio::ip::tcp::socket socket);

  void start_read() override;
  void start_write(std::vector<std::string>& frames) override;
  void start_shutdown() override;
  void close_socket() noexcept override;

  // ws_frame_handler, called while decoding a read
  bool on_text(std::string message) override;
  void on_ping(std::string_view payload) override;
  void on_pong(std::string_view payload) override;
  void on_close(std::uint16_t code, std::string_view reason) override;
  void on_violation(std::uint16_t code, std::string what) override;

  void read_some();
  void on_read(const boost::system::error_code& ec, std::size_t n);
  /// After a feed: read on, pause (back-pressure), or wait for the close.
  void after_decode();
  /// Starts a write of what is waiting, unless one is in flight.
  void kick();
  void on_write_done(const boost::system::error_code& ec);
  /// Sends our close frame (once) and waits, bounded, for the peer's.
  void send_close(std::uint16_t code, std::string_view reason);
  void watch_idle();

  std::optional<handshake_stream> handshake_;
  std::optional<socket_type> socket_;
  ws_frame_decoder decoder_;
  std::vector<char> in_;
  bool reading_ = false;

  // Writes: `next_` collects frames while `wire_` is being written.
  std::string wire_;
  std::string next_;
  bool writing_wire_ = false;
  bool next_has_batch_ = false;   // next_ holds the socket_connection's batch
  std::size_t next_batch_bytes_ = 0;
  bool wire_has_batch_ = false;
  std::size_t wire_batch_bytes_ = 0;
  bool next_has_close_ = false;
  bool wire_has_close_ = false;

  // Closing: our close frame sent (or queued); the peer's received.
  bool close_sent_ = false;
  bool peer_closed_ = false;
  std::uint16_t close_code_ = ws_close::normal;
  std::string close_text_;
  boost::asio::steady_timer close_timer_;

  boost::asio::steady_timer idle_timer_;
  std::uint64_t activity_ = 0; // frames read, control frames included
  std::uint64_t activity_seen_ = 0;
  bool pinged_ = false;
};

} // namespace tandem::session::native

#pragma once

// Test-side peers that speak the wire formats directly (no tandem code), so
// that tests can send exactly the bytes they mean, including broken ones.
// Every blocking step has a deadline: a wedged server fails the test, it
// does not hang it.

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

namespace tandem_test {

using namespace std::chrono_literals;

/// Polls `done` for up to `timeout` (real time: only for waiting on sockets).
template <class F>
bool eventually(F done, std::chrono::milliseconds timeout = 10000ms) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

/// Newline-delimited JSON over a plain socket.
class raw_tcp {
public:
  explicit raw_tcp(std::uint16_t port) : socket_(io_) {
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), port});
    socket_.set_option(boost::asio::ip::tcp::no_delay{true});
  }

  void send(const std::string& bytes) { boost::asio::write(socket_, boost::asio::buffer(bytes)); }
  void send_line(const std::string& line) { send(line + "\n"); }

  /// The next line without its "\n"; nothing on EOF, error or timeout.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout = 5000ms) {
    std::optional<std::string> out;
    boost::asio::async_read_until(socket_, buf_, '\n', [&](boost::system::error_code ec, std::size_t n) {
      if (ec)
        return;
      std::string line(boost::asio::buffers_begin(buf_.data()), boost::asio::buffers_begin(buf_.data()) + n - 1);
      buf_.consume(n);
      out = std::move(line);
    });
    run(timeout);
    return out;
  }

  /// True when the server closes the connection (EOF or reset) within the
  /// timeout; data still arriving is discarded.
  bool closed_by_peer(std::chrono::milliseconds timeout = 5000ms) {
    bool closed = false;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!closed && std::chrono::steady_clock::now() < deadline) {
      bool got = false;
      socket_.async_read_some(boost::asio::buffer(scratch_), [&](boost::system::error_code ec, std::size_t) {
        got = true;
        if (ec)
          closed = true;
      });
      run(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
      if (!got)
        break;
    }
    return closed;
  }

  boost::asio::ip::tcp::socket& socket() { return socket_; }

private:
  void run(std::chrono::milliseconds timeout) {
    io_.restart();
    io_.run_for(timeout);
    if (!io_.stopped()) { // timed out: cancel and let the handler see it
      socket_.cancel();
      io_.restart();
      io_.run();
    }
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::streambuf buf_;
  char scratch_[64 * 1024];
};

/// A WebSocket client on a plain socket.
class raw_ws {
public:
  raw_ws(std::uint16_t port, const std::string& path = "/rpc") : ws_(io_) {
    ws_.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), port});
    ws_.handshake("127.0.0.1:" + std::to_string(port), path);
    ws_.read_message_max(64u << 20);
  }

  void send_text(const std::string& text) {
    ws_.text(true);
    ws_.write(boost::asio::buffer(text));
  }
  void send_binary(const std::string& bytes) {
    ws_.binary(true);
    ws_.write(boost::asio::buffer(bytes));
  }

  /// The next message; nothing when the connection closed (see close_code)
  /// or on timeout.
  std::optional<std::string> read(std::chrono::milliseconds timeout = 5000ms) {
    std::optional<std::string> out;
    boost::beast::flat_buffer buffer;
    ws_.async_read(buffer, [&](boost::system::error_code ec, std::size_t) {
      if (ec) {
        error_ = ec;
        return;
      }
      out = boost::beast::buffers_to_string(buffer.data());
    });
    io_.restart();
    io_.run_for(timeout);
    if (!io_.stopped()) {
      boost::system::error_code ignored;
      ws_.next_layer().cancel(ignored);
      io_.restart();
      io_.run();
    }
    return out;
  }

  /// The close code the server sent (after read() returned nothing).
  std::uint16_t close_code() const { return ws_.reason().code; }
  const boost::system::error_code& last_error() const { return error_; }
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket>& stream() { return ws_; }

private:
  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
  boost::system::error_code error_;
};

/// One HTTP/1.1 request; the response (status and body) or nothing.
inline std::optional<boost::beast::http::response<boost::beast::http::string_body>>
http_request(std::uint16_t port, boost::beast::http::verb verb, const std::string& target) {
  namespace http = boost::beast::http;
  boost::asio::io_context io;
  boost::beast::tcp_stream stream{io};
  stream.connect({boost::asio::ip::make_address("127.0.0.1"), port});
  http::request<http::empty_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.keep_alive(false);
  http::write(stream, req);
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64u << 20);
  if (verb == http::verb::head)
    parser.skip(true);
  boost::system::error_code ec;
  http::read(stream, buffer, parser, ec);
  if (ec)
    return std::nullopt;
  return parser.release();
}

} // namespace tandem_test

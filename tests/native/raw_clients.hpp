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

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
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

/// A WebSocket peer that sends hand-made frames after Beast's handshake
/// (fragments, control frames between them, protocol violations) and reads
/// the server's frames as they are on the wire.
class framed_ws {
public:
  struct frame {
    std::uint8_t opcode;
    bool fin;
    std::string payload;
  };

  explicit framed_ws(std::uint16_t port, const std::string& path = "/rpc") : ws_(io_) {
    ws_.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), port});
    ws_.handshake("127.0.0.1:" + std::to_string(port), path);
  }

  /// A client frame: masked unless told otherwise.
  static std::string encode(std::uint8_t opcode, const std::string& payload, bool fin = true, bool masked = true) {
    std::string f;
    f.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
    unsigned char m = masked ? 0x80 : 0;
    auto n = payload.size();
    if (n < 126) {
      f.push_back(static_cast<char>(m | n));
    } else {
      f.push_back(static_cast<char>(m | 126));
      f.push_back(static_cast<char>(n >> 8));
      f.push_back(static_cast<char>(n & 0xff));
    }
    const char key[4] = {'\x11', '\x5e', '\x7a', '\x02'};
    if (masked)
      f.append(key, 4);
    for (std::size_t i = 0; i < n; ++i)
      f.push_back(masked ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i]);
    return f;
  }

  void send_raw(const std::string& bytes) { boost::asio::write(ws_.next_layer(), boost::asio::buffer(bytes)); }

  /// The server's next frame; nothing on EOF, error or timeout.
  std::optional<frame> read(std::chrono::milliseconds timeout = 5000ms) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto f = take())
        return f;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return std::nullopt;
      pollfd p{ws_.next_layer().native_handle(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        return std::nullopt;
      char buf[4096];
      auto n = ::recv(p.fd, buf, sizeof buf, 0);
      if (n <= 0)
        return std::nullopt;
      in_.append(buf, static_cast<std::size_t>(n));
    }
  }

  /// True when the server closes the TCP connection within the timeout.
  bool eof(std::chrono::milliseconds timeout = 5000ms) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return false;
      pollfd p{ws_.next_layer().native_handle(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        return false;
      char buf[4096];
      if (::recv(p.fd, buf, sizeof buf, 0) <= 0)
        return true;
    }
  }

private:
  std::optional<frame> take() {
    if (in_.size() < 2)
      return std::nullopt;
    auto b = [&](std::size_t i) { return static_cast<unsigned char>(in_[i]); };
    std::size_t len = b(1) & 0x7f, head = 2;
    if (len == 126) {
      if (in_.size() < 4)
        return std::nullopt;
      len = (std::size_t{b(2)} << 8) | b(3);
      head = 4;
    } else if (len == 127) {
      if (in_.size() < 10)
        return std::nullopt;
      len = 0;
      for (std::size_t i = 2; i < 10; ++i)
        len = (len << 8) | b(i);
      head = 10;
    }
    if (b(1) & 0x80)
      head += 4; // a masked server frame would be a server bug; the tests look at the bit
    if (in_.size() < head + len)
      return std::nullopt;
    frame f{static_cast<std::uint8_t>(b(0) & 0x0f), (b(0) & 0x80) != 0, in_.substr(head, len)};
    masked_ |= (b(1) & 0x80) != 0;
    in_.erase(0, head + len);
    return f;
  }

public:
  /// True if any frame read so far was masked (a server must not mask).
  bool saw_masked() const { return masked_; }

private:
  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws_;
  std::string in_;
  bool masked_ = false;
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

/// A client that writes `frame` over and over and reads nothing, to make a
/// server stop reading it. It writes from a thread of its own on a duplicate
/// of `socket`'s descriptor with plain send(): an asio socket must not be
/// used from two threads, and the test goes on reading through `socket`
/// (the duplicate shares its non-blocking mode, hence the poll).
class flooder {
public:
  flooder(boost::asio::ip::tcp::socket& socket, std::string frame, long frames)
      : frame_(std::move(frame)), frames_(frames), fd_(::dup(socket.native_handle())) {
    if (fd_ >= 0)
      writer_ = std::thread{[this] { write_all(); }};
  }
  flooder(const flooder&) = delete;
  flooder& operator=(const flooder&) = delete;
  ~flooder() { join(); }

  bool started() const { return fd_ >= 0; }
  /// Whole frames written so far.
  long sent() const { return sent_.load(); }

  /// Returns once no frame went out for `quiet` (the server stopped reading)
  /// or all are out, within `timeout`; calls `watch` about every millisecond.
  template <class F>
  void wait_until_blocked(F watch, std::chrono::milliseconds quiet = 500ms,
                          std::chrono::milliseconds timeout = 60000ms) {
    long last = -1;
    auto quiet_since = std::chrono::steady_clock::now();
    auto deadline = quiet_since + timeout;
    while (std::chrono::steady_clock::now() < deadline && sent() < frames_) {
      watch();
      if (sent() != last) {
        last = sent();
        quiet_since = std::chrono::steady_clock::now();
      } else if (std::chrono::steady_clock::now() - quiet_since > quiet) {
        return;
      }
      std::this_thread::sleep_for(1ms);
    }
  }

  /// Waits for the writer (it ends once all frames are out or a write fails).
  void join() {
    if (writer_.joinable())
      writer_.join();
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
  }

private:
  void write_all() {
    std::size_t off = 0;
    while (sent_ < frames_) {
      ssize_t n = ::send(fd_, frame_.data() + off, frame_.size() - off, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          pollfd p{fd_, POLLOUT, 0};
          ::poll(&p, 1, 100);
          continue;
        }
        if (errno == EINTR)
          continue;
        return;
      }
      off += static_cast<std::size_t>(n);
      if (off == frame_.size()) {
        off = 0;
        ++sent_;
      }
    }
  }

  std::string frame_;
  long frames_;
  int fd_;
  std::atomic<long> sent_{0};
  std::thread writer_;
};

} // namespace tandem_test

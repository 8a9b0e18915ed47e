#include <tandem/session/connect.hpp>

#include "native/io_thread.hpp"
#include "native/tcp_connection.hpp"
#include "native/websocket_connection.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>

#include <charconv>
#include <chrono>
#include <optional>

namespace tandem::session {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

struct parsed_url {
  std::string scheme, host, port, path;
};

expected<parsed_url> parse_url(std::string_view url) {
  parsed_url out;
  auto colon = url.find("://");
  if (colon == std::string_view::npos)
    return error{errc::invalid_argument, "not a URL: '" + std::string{url} + "'"};
  out.scheme = std::string{url.substr(0, colon)};
  std::string_view rest = url.substr(colon + 3);
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  out.path = slash == std::string_view::npos ? "/" : std::string{rest.substr(slash)};
  std::string_view host, port;
  if (!authority.empty() && authority.front() == '[') { // [::1]:port
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return error{errc::invalid_argument, "bad host in '" + std::string{url} + "'"};
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':')
      port = authority.substr(close + 2);
  } else {
    auto c = authority.rfind(':');
    host = authority.substr(0, c);
    if (c != std::string_view::npos)
      port = authority.substr(c + 1);
  }
  unsigned value = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (host.empty() || port.empty() || ec != std::errc{} || p != port.data() + port.size() || value == 0 ||
      value > 65535)
    return error{errc::invalid_argument, "URL needs HOST:PORT: '" + std::string{url} + "'"};
  out.host = std::string{host};
  out.port = std::string{port};
  if (out.scheme != "tcp" && out.scheme != "ws")
    return error{errc::invalid_argument, "unsupported scheme '" + out.scheme + "' (tcp:// or ws://)"};
  return out;
}

} // namespace

/// Runs the connection's I/O context on the calling thread (its own thread
/// has not started yet) until the step in progress has completed.
void run_step(asio::io_context& io, const std::optional<boost::system::error_code>& step) {
  while (!step && io.run_one() > 0) {
  }
}

expected<std::unique_ptr<connection>> connect(std::string_view url, connection_limits limits,
                                              std::chrono::milliseconds timeout) {
  auto parsed = parse_url(url);
  if (!parsed)
    return parsed.error_value();
  auto io = std::make_shared<native::io_thread>();
  auto& context = io->context();
  auto strand = asio::make_strand(context);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto timed_out = [&] { return std::chrono::steady_clock::now() >= deadline; };
  std::optional<boost::system::error_code> step;

  // Every step is asynchronous so that the deadline can cut it short: name
  // resolution under a timer, connect and handshake under the stream's expiry.
  tcp::resolver resolver{context};
  tcp::resolver::results_type endpoints;
  asio::steady_timer resolve_deadline{context, deadline};
  resolve_deadline.async_wait([&](const boost::system::error_code& ec) {
    if (!ec)
      resolver.cancel();
  });
  resolver.async_resolve(parsed->host, parsed->port,
                         [&](const boost::system::error_code& ec, tcp::resolver::results_type results) {
                           endpoints = std::move(results);
                           step = ec;
                         });
  run_step(context, step);
  resolve_deadline.cancel();
  context.poll(); // the cancelled wait refers to locals: let it finish here
  if (*step)
    return error{errc::receiver_down, timed_out() ? "cannot resolve " + parsed->host + ": timed out"
                                                  : "cannot resolve " + parsed->host + ": " + step->message()};

  beast::tcp_stream stream{strand};
  stream.expires_at(deadline);
  step.reset();
  stream.async_connect(endpoints, [&](const boost::system::error_code& ec, const tcp::endpoint&) { step = ec; });
  run_step(context, step);
  if (*step)
    return error{errc::receiver_down, "cannot connect to " + std::string{url} + ": " +
                                          (*step == beast::error::timeout ? std::string{"timed out"} : step->message())};

  std::shared_ptr<native::socket_connection> impl;
  if (parsed->scheme == "tcp") {
    stream.expires_never();
    impl = std::make_shared<native::tcp_connection>(io, strand, stream.release_socket(), limits);
  } else {
    native::websocket_connection::stream_type ws{std::move(stream)};
    step.reset();
    ws.async_handshake(parsed->host + ":" + parsed->port, parsed->path,
                       [&](const boost::system::error_code& ec) { step = ec; });
    run_step(context, step);
    if (*step)
      return error{errc::receiver_down, "WebSocket handshake with " + std::string{url} + " failed: " +
                                            (*step == beast::error::timeout ? std::string{"timed out"}
                                                                            : step->message())};
    native::websocket_connection::configure(ws, limits, false);
    impl = std::make_shared<native::websocket_connection>(io, strand, std::move(ws), limits, std::string{url});
  }
  io->run();
  return std::unique_ptr<connection>(std::make_unique<native::connection_handle>(std::move(impl), std::move(io)));
}

} // namespace tandem::session

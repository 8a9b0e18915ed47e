#pragma once

// Native only (Boost.Asio/Beast): listeners for TCP (newline-delimited JSON)
// and WebSocket (one message per text frame on `websocket_path`, static HTTP
// files from `static_dir` on the same port), run by one I/O thread the
// server owns. Each accepted connection goes to the accept handler, which
// typically spawns a session actor that owns it.

#include <tandem/runtime/expected.hpp>
#include <tandem/session/connection.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace tandem::session {

/// Called on the server's I/O thread with each new connection (not started).
using accept_handler = std::function<void(std::unique_ptr<connection>)>;

struct server_options {
  /// Address to bind; loopback unless told otherwise.
  std::string host = "127.0.0.1";
  /// WebSocket + static HTTP port: 0 picks an ephemeral one; nullopt: none.
  std::optional<std::uint16_t> websocket_port = std::uint16_t{0};
  /// Newline-delimited TCP port: 0 picks an ephemeral one; nullopt: none.
  std::optional<std::uint16_t> tcp_port = std::uint16_t{0};
  std::string websocket_path = "/rpc";
  /// Directory served over HTTP GET/HEAD on the WebSocket port; empty: none.
  std::string static_dir;
  connection_limits limits;
  /// How long stop() lets connections write what is queued and close
  /// politely before it cuts them.
  std::chrono::milliseconds stop_grace{2000};
};

class network_server {
public:
  /// Binds the listeners and starts accepting; errors if a bind fails.
  static expected<std::unique_ptr<network_server>> start(server_options options, accept_handler on_accept);

  network_server(const network_server&) = delete;
  network_server& operator=(const network_server&) = delete;
  ~network_server(); // stop()

  /// "ws://HOST:PORT/rpc" and "tcp://HOST:PORT" with the bound ports (empty
  /// when that listener is off).
  std::string websocket_url() const;
  std::string tcp_url() const;
  std::uint16_t websocket_port() const noexcept;
  std::uint16_t tcp_port() const noexcept;

  /// Connections open now (WebSocket sessions and TCP), for monitoring.
  std::size_t open_connections() const;
  /// Bytes queued for writing over all connections (the back-pressure cap
  /// keeps this bounded per connection).
  std::size_t outbound_bytes() const;

  /// Stops accepting, stops reading every connection, lets each write what
  /// is queued and close (their sessions get transport_closed, which fails
  /// their pending calls), cuts the ones still open after stop_grace, and
  /// joins the I/O thread. Idempotent; never call it from an accept handler.
  void stop();

  struct state;

private:
  explicit network_server(std::shared_ptr<state> s) : state_(std::move(s)) {}
  std::shared_ptr<state> state_;
};

} // namespace tandem::session

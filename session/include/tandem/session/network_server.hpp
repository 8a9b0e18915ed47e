#pragma once

// Native only (Boost.Asio/Beast): listeners for TCP (newline-delimited JSON)
// and WebSocket (one message per text frame on `websocket_path`, static HTTP
// files from `static_dir` on the same port), run by one I/O thread the
// server owns. Each accepted connection goes to the accept handler, which
// typically spawns a session actor that owns it.

#include <tandem/actors/actor_system.hpp>
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

/// The same, also given the actor system whose actors run on the server's
/// I/O thread (nullptr unless server_options::sessions is io_thread).
using accept_handler_on = std::function<void(std::unique_ptr<connection>, actor_system* io_actors)>;

/// Where the actors that own the connections run.
enum class session_thread {
  /// On the actor system the application gives (the CAF pool natively). The
  /// default: handlers may block or burn CPU without stalling anyone's I/O,
  /// and sessions use every core. Each call crosses threads twice (I/O thread
  /// -> session -> I/O thread).
  actor_system,
  /// On the server's I/O thread, on a cooperative loop that takes turns with
  /// the socket handlers: a call never leaves the thread, answers written in
  /// one drain go out together — several times the calls/s and a fraction of
  /// the latency (bench/RESULTS.md). Every handler must be short and never
  /// block: one slow handler stalls every connection of the server. Handlers
  /// may still talk to actors on other systems (requests, sends).
  io_thread,
};

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
  /// Where serve()'s sessions run; see session_thread.
  session_thread sessions = session_thread::actor_system;
  /// Spin before blocking: after the I/O thread has handled anything (a
  /// read, a write, an answer, a timer) it keeps polling its sockets without
  /// sleeping for this long, and blocks in epoll only once nothing has
  /// happened for the whole window. A request arriving within the window is
  /// handled without a wake-up of the I/O thread (the kernel's ~20-50 µs on
  /// each side of a loopback round trip): the latency of request/response
  /// traffic with one call at a time drops by about the wake-up
  /// (bench/RESULTS.md), for up to a core's worth of CPU while calls keep
  /// coming. An idle server costs nothing once the window has passed.
  /// 0 (the default): block as soon as there is nothing to do, as Asio,
  /// Tokio and CAF's I/O do. Worth turning on (50-200 µs: the window only
  /// has to cover a client's turnaround) for a latency-bound server with
  /// sessions = session_thread::io_thread and a core to spare; harmful when
  /// the spinning thread takes the core that the sessions' pool or the
  /// rest of the machine needs (bench/RESULTS.md). Negative: start() fails.
  std::chrono::microseconds idle_spin{0};
};

class network_server {
public:
  /// Binds the listeners and starts accepting; errors if a bind fails.
  static expected<std::unique_ptr<network_server>> start(server_options options, accept_handler on_accept);
  static expected<std::unique_ptr<network_server>> start(server_options options, accept_handler_on on_accept);

  network_server(const network_server&) = delete;
  network_server& operator=(const network_server&) = delete;
  ~network_server(); // stop()

  /// "ws://HOST:PORT/rpc" and "tcp://HOST:PORT" with the bound ports (empty
  /// when that listener is off).
  std::string websocket_url() const;
  std::string tcp_url() const;
  std::uint16_t websocket_port() const noexcept;
  std::uint16_t tcp_port() const noexcept;

  /// With options.sessions == session_thread::io_thread: the actor system
  /// whose actors run on the server's I/O thread (valid until stop() returns;
  /// stop() stops the actors still running there). Otherwise nullptr.
  actor_system* io_actors() const noexcept;

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

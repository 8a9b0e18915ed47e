#include <tandem/session/network_server.hpp>

#include "native/io_actors.hpp"
#include "native/io_thread.hpp"
#include "native/static_files.hpp"
#include "native/tcp_connection.hpp"
#include "native/websocket_server_connection.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

namespace tandem::session {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using native::io_thread;
using native::socket_connection;
using native::strand_type;

namespace {
class http_session;
}

struct network_server::state : std::enable_shared_from_this<network_server::state> {
  std::shared_ptr<io_thread> io; // made with the options (idle_spin)
  server_options options;
  accept_handler_on on_accept;
  std::unique_ptr<native::io_actors> io_actors; // session_thread::io_thread
  std::optional<tcp::acceptor> tcp_acceptor;
  std::optional<tcp::acceptor> ws_acceptor;
  std::uint16_t tcp_port = 0;
  std::uint16_t ws_port = 0;

  mutable std::mutex mutex; // guards the two registries and `stopped`
  std::vector<std::weak_ptr<socket_connection>> connections;
  std::vector<std::weak_ptr<http_session>> http_sessions;
  bool stopped = false;

  void accept_tcp();
  void accept_ws();
  /// Registers a connection and hands it to the user; false when stopping.
  void adopt(std::shared_ptr<socket_connection> conn);
  void track(const std::shared_ptr<http_session>& s);
};

namespace {

std::string describe(const tcp::socket& s, const char* scheme) {
  boost::system::error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec)
    return std::string{scheme} + "://?";
  return std::string{scheme} + "://" + ep.address().to_string() + ":" + std::to_string(ep.port());
}

// One HTTP connection on the WebSocket port: static files, or the upgrade
// to a WebSocket session on the RPC path.
class http_session : public std::enable_shared_from_this<http_session> {
public:
  http_session(std::shared_ptr<network_server::state> server, strand_type strand, tcp::socket socket)
      : server_(std::move(server)), strand_(std::move(strand)), stream_(std::move(socket)) {}

  void run() { read_request(); }

  void close() {
    auto self = shared_from_this();
    asio::post(strand_, [self] {
      if (self->upgraded_)
        return;
      beast::error_code ec;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      self->stream_.close();
    });
  }

private:
  void read_request() {
    parser_.emplace();
    parser_->header_limit(8 * 1024);
    parser_->body_limit(64 * 1024);
    stream_.expires_after(std::chrono::seconds(30));
    auto self = shared_from_this();
    http::async_read(stream_, buffer_, *parser_,
                     asio::bind_executor(strand_, [self](beast::error_code ec, std::size_t) {
                       self->on_request(ec);
                     }));
  }

  void on_request(beast::error_code ec) {
    if (ec) {
      stream_.close();
      return;
    }
    auto req = parser_->release();
    std::string_view target{req.target().data(), req.target().size()};
    std::string_view path = target.substr(0, target.find('?'));
    if (beast::websocket::is_upgrade(req)) {
      if (path != server_->options.websocket_path) {
        respond_status(req, http::status::not_found, "no WebSocket endpoint here\n");
        return;
      }
      upgrade(std::move(req));
      return;
    }
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      respond_status(req, http::status::method_not_allowed, "GET and HEAD only\n", "GET, HEAD");
      return;
    }
    if (path == server_->options.websocket_path) {
      respond_status(req, http::status::upgrade_required, "WebSocket endpoint\n");
      return;
    }
    std::optional<std::filesystem::path> file;
    if (!server_->options.static_dir.empty())
      file = native::resolve_static_path(server_->options.static_dir, target);
    if (!file) {
      respond_status(req, http::status::not_found, "not found\n");
      return;
    }
    http::file_body::value_type body;
    beast::error_code open_ec;
    body.open(file->c_str(), beast::file_mode::scan, open_ec);
    if (open_ec) {
      respond_status(req, http::status::not_found, "not found\n");
      return;
    }
    auto size = body.size();
    auto res = std::make_shared<http::response<http::file_body>>(
        std::piecewise_construct, std::make_tuple(std::move(body)), std::make_tuple(http::status::ok, req.version()));
    res->set(http::field::server, "tandem");
    res->set(http::field::content_type, std::string{native::content_type_for(*file)});
    res->set(http::field::cache_control, "no-cache");
    res->content_length(size);
    res->keep_alive(req.keep_alive());
    if (req.method() == http::verb::head) {
      auto head = std::make_shared<http::response<http::empty_body>>(http::status::ok, req.version());
      head->set(http::field::server, "tandem");
      head->set(http::field::content_type, std::string{native::content_type_for(*file)});
      head->content_length(size);
      head->keep_alive(req.keep_alive());
      send(head);
      return;
    }
    send(res);
  }

  template <class Response>
  void send(std::shared_ptr<Response> res) {
    auto self = shared_from_this();
    bool keep = res->keep_alive();
    http::async_write(stream_, *res, asio::bind_executor(strand_, [self, res, keep](beast::error_code ec, std::size_t) {
                        if (ec || !keep) {
                          beast::error_code ignored;
                          self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                          self->stream_.close();
                          return;
                        }
                        self->read_request();
                      }));
  }

  void respond_status(const http::request<http::string_body>& req, http::status status, std::string text,
                      const char* allow = nullptr) {
    auto res = std::make_shared<http::response<http::string_body>>(status, req.version());
    res->set(http::field::server, "tandem");
    res->set(http::field::content_type, "text/plain; charset=utf-8");
    if (allow)
      res->set(http::field::allow, allow);
    res->keep_alive(req.keep_alive());
    res->body() = std::move(text);
    res->prepare_payload();
    send(res);
  }

  void upgrade(http::request<http::string_body> req) {
    upgraded_ = true;
    std::string peer = describe(stream_.socket(), "ws");
    auto conn = std::make_shared<native::websocket_server_connection>(server_->io, strand_,
                                                                      server_->options.limits, std::move(peer));
    auto server = server_;
    conn->accept(std::move(stream_), std::move(req), [server, conn](bool ok) {
      if (ok)
        server->adopt(conn);
    });
  }

  std::shared_ptr<network_server::state> server_;
  strand_type strand_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool upgraded_ = false;
};

template <class T>
void prune(std::vector<std::weak_ptr<T>>& v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](const std::weak_ptr<T>& w) { return w.expired(); }), v.end());
}

expected<std::uint16_t> listen(std::optional<tcp::acceptor>& acceptor, asio::io_context& io, const std::string& host,
                               std::uint16_t port) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) {
    tcp::resolver resolver{io};
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec || results.empty())
      return error{errc::invalid_argument, "cannot resolve host '" + host + "': " + ec.message()};
    address = results.begin()->endpoint().address();
  }
  tcp::endpoint endpoint{address, port};
  acceptor.emplace(io);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec)
    acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    acceptor->bind(endpoint, ec);
  if (!ec)
    acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor.reset();
    return error{errc::invalid_argument,
                 "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message()};
  }
  return acceptor->local_endpoint().port();
}

std::string url_host(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

} // namespace

void network_server::state::adopt(std::shared_ptr<socket_connection> conn) {
  {
    std::lock_guard<std::mutex> lock{mutex};
    if (stopped) {
      conn->abort(error{errc::system_shutdown, "server stopping"});
      return;
    }
    prune(connections);
    connections.push_back(conn);
  }
  try {
    on_accept(std::make_unique<native::connection_handle>(conn), io_actors ? &io_actors->system() : nullptr);
  } catch (...) {
    // The handler could not take it (e.g. the actor system is stopping).
    conn->abort(error{errc::system_shutdown, "connection refused by the accept handler"});
  }
}

void network_server::state::track(const std::shared_ptr<http_session>& s) {
  std::lock_guard<std::mutex> lock{mutex};
  prune(http_sessions);
  http_sessions.push_back(s);
}

void network_server::state::accept_tcp() {
  auto self = shared_from_this();
  auto strand = asio::make_strand(io->context());
  tcp_acceptor->async_accept(strand, [self, strand](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !self->tcp_acceptor || !self->tcp_acceptor->is_open())
      return;
    if (!ec)
      self->adopt(std::make_shared<native::tcp_connection>(self->io, strand, std::move(socket), self->options.limits));
    // Errors such as EMFILE are per connection: keep accepting.
    self->accept_tcp();
  });
}

void network_server::state::accept_ws() {
  auto self = shared_from_this();
  auto strand = asio::make_strand(io->context());
  ws_acceptor->async_accept(strand, [self, strand](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !self->ws_acceptor || !self->ws_acceptor->is_open())
      return;
    if (!ec) {
      auto session = std::make_shared<http_session>(self, strand, std::move(socket));
      self->track(session);
      session->run();
    }
    self->accept_ws();
  });
}

expected<std::unique_ptr<network_server>> network_server::start(server_options options, accept_handler on_accept) {
  return start(std::move(options), accept_handler_on{[on_accept = std::move(on_accept)](
                                       std::unique_ptr<connection> conn, actor_system*) {
                 on_accept(std::move(conn));
               }});
}

expected<std::unique_ptr<network_server>> network_server::start(server_options options, accept_handler_on on_accept) {
  if (options.idle_spin < std::chrono::microseconds::zero())
    return error{errc::invalid_argument, "server_options::idle_spin must not be negative"};
  auto s = std::make_shared<state>();
  s->options = std::move(options);
  s->on_accept = std::move(on_accept);
  s->io = std::make_shared<io_thread>(s->options.idle_spin);
  if (s->options.sessions == session_thread::io_thread)
    s->io_actors = std::make_unique<native::io_actors>(s->io);
  auto& io = s->io->context();
  if (s->options.websocket_port) {
    auto port = listen(s->ws_acceptor, io, s->options.host, *s->options.websocket_port);
    if (!port)
      return port.error_value();
    s->ws_port = *port;
  }
  if (s->options.tcp_port) {
    auto port = listen(s->tcp_acceptor, io, s->options.host, *s->options.tcp_port);
    if (!port)
      return port.error_value();
    s->tcp_port = *port;
  }
  if (s->ws_acceptor)
    s->accept_ws();
  if (s->tcp_acceptor)
    s->accept_tcp();
  s->io->run();
  return std::unique_ptr<network_server>(new network_server(std::move(s)));
}

network_server::~network_server() { stop(); }

std::string network_server::websocket_url() const {
  if (!state_->options.websocket_port)
    return {};
  return "ws://" + url_host(state_->options.host) + ":" + std::to_string(state_->ws_port) +
         state_->options.websocket_path;
}

std::string network_server::tcp_url() const {
  if (!state_->options.tcp_port)
    return {};
  return "tcp://" + url_host(state_->options.host) + ":" + std::to_string(state_->tcp_port);
}

actor_system* network_server::io_actors() const noexcept {
  return state_->io_actors ? &state_->io_actors->system() : nullptr;
}

std::uint16_t network_server::websocket_port() const noexcept { return state_->ws_port; }
std::uint16_t network_server::tcp_port() const noexcept { return state_->tcp_port; }

std::size_t network_server::open_connections() const {
  std::lock_guard<std::mutex> lock{state_->mutex};
  std::size_t n = 0;
  for (auto& w : state_->connections)
    if (auto c = w.lock(); c && !c->closed())
      ++n;
  return n;
}

std::size_t network_server::outbound_bytes() const {
  std::lock_guard<std::mutex> lock{state_->mutex};
  std::size_t n = 0;
  for (auto& w : state_->connections)
    if (auto c = w.lock())
      n += c->outbound_bytes();
  return n;
}

void network_server::stop() {
  std::vector<std::shared_ptr<socket_connection>> conns;
  std::vector<std::shared_ptr<http_session>> https;
  {
    std::lock_guard<std::mutex> lock{state_->mutex};
    if (state_->stopped)
      return;
    state_->stopped = true;
    for (auto& w : state_->connections)
      if (auto c = w.lock())
        conns.push_back(std::move(c));
    for (auto& w : state_->http_sessions)
      if (auto h = w.lock())
        https.push_back(std::move(h));
  }
  auto s = state_;
  asio::post(s->io->context(), [s] {
    boost::system::error_code ec;
    if (s->tcp_acceptor)
      s->tcp_acceptor->close(ec);
    if (s->ws_acceptor)
      s->ws_acceptor->close(ec);
  });
  for (auto& h : https)
    h->close();
  for (auto& c : conns)
    c->close();
  // Polite closes first (queued answers are written); then cut what is left.
  auto deadline = std::chrono::steady_clock::now() + state_->options.stop_grace;
  auto all_closed = [&] {
    return std::all_of(conns.begin(), conns.end(), [](auto& c) { return c->closed(); });
  };
  while (!all_closed() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  for (auto& c : conns)
    if (!c->closed())
      c->abort(error{errc::system_shutdown, "server stopped"});
  // Connections accepted meanwhile were refused by adopt(); HTTP sessions and
  // closing sockets finish their handlers, then the thread runs out of work.
  conns.clear();
  https.clear();
  if (state_->io_actors) {
    // Its timer would keep the I/O thread running: the actors still there
    // are stopped below, on this thread, once the I/O thread is gone.
    auto* actors = state_->io_actors.get();
    state_->io->post(state_->io->context().get_executor(), [actors] { actors->detach_from_io(); });
  }
  state_->io->finish();
  if (state_->io_actors)
    state_->io_actors->shutdown();
  std::lock_guard<std::mutex> lock{state_->mutex};
  state_->tcp_acceptor.reset();
  state_->ws_acceptor.reset();
}

} // namespace tandem::session

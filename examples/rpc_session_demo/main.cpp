// rpc_session_demo: the demo service of protocol.md over JSON-RPC 2.0.
//
//   rpc_session_demo                  in-process: server and client sessions in
//                                     one actor system, no network (the default)
//   rpc_session_demo serve [--host H] [--port P] [--tcp-port P] [--static DIR]
//                          [--idle-spin-us US]
//                                     WebSocket on ws://H:P/rpc (and the files of
//                                     DIR over HTTP on the same port), TCP on
//                                     tcp://H:P; until SIGINT/SIGTERM. US: the
//                                     I/O thread polls that long before it
//                                     sleeps (server_options::idle_spin, 0)
//   rpc_session_demo client URL       calls a running server (tcp:// or ws://)

#include "demo_client.hpp"
#include "demo_service.hpp"

#include <tandem/session.hpp>
#include <tandem/session/connect.hpp>
#include <tandem/session/serve.hpp>
#include <tandem/tandem.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace rpc = tandem::session;

namespace {

constexpr const char* usage =
    "usage: rpc_session_demo                 run server and client in-process (no network)\n"
    "       rpc_session_demo serve [--host H] [--port P] [--tcp-port P] [--static DIR]\n"
    "           WebSocket ws://H:P/rpc plus DIR's files over HTTP (default 127.0.0.1:8080),\n"
    "           TCP tcp://H:P (default: the WebSocket port + 1; 0 = ephemeral)\n"
    "           [--idle-spin-us US]: poll US µs before sleeping (lower latency, more CPU; default 0)\n"
    "       rpc_session_demo client URL      call a running server (tcp://H:P or ws://H:P/rpc)\n";

/// Spawns the client and its session over `conn`; runs until both are done.
int run_client(tandem::actor_system& sys, std::unique_ptr<rpc::connection> conn) {
  auto report = std::make_shared<demo::client_report>();
  auto client = sys.spawn<demo::client>(report);
  rpc::session_options opts;
  opts.notifications = client;
  opts.name = "demo-client";
  auto peer = rpc::spawn_session(sys, std::move(conn), opts);
  tandem::send(client, demo::begin_calls{peer});
  sys.await_all_actors_done();
  return report->failures == 0 && report->calls > 0 ? 0 : 1;
}

int in_process(const char* self) {
  std::printf("tandem rpc_session_demo: in-process\n"
              "A server session and a client session in one actor system, connected by the\n"
              "in-process transport; every frame still goes through the JSON-RPC 2.0 codec.\n\n");
  tandem::actor_system sys;
  auto [server_end, client_end] = rpc::make_in_process_pair();
  rpc::session_options server;
  server.methods = demo::make_service();
  server.name = "demo-server";
  rpc::spawn_session(sys, std::move(server_end), server);
  int rc = run_client(sys, std::move(client_end));
  std::printf("\nNext, over the network:\n"
              "  %s serve --static build/wasm/examples/browser_page/site\n"
              "      serves ws://127.0.0.1:8080/rpc and tcp://127.0.0.1:8081; open http://127.0.0.1:8080/\n"
              "      for the browser page (build it first: cmake --preset wasm && cmake --build --preset wasm)\n"
              "  %s client ws://127.0.0.1:8080/rpc      (or tcp://127.0.0.1:8081)\n",
              self, self);
  return rc;
}

int client(const std::string& url) {
  auto conn = rpc::connect(url);
  if (!conn) {
    std::fprintf(stderr, "rpc_session_demo: %s\n", tandem::to_string(conn.error_value()).c_str());
    return 1;
  }
  std::printf("tandem rpc_session_demo: client of %s\n\n", url.c_str());
  std::fflush(stdout);
  tandem::actor_system sys;
  return run_client(sys, std::move(*conn));
}

bool parse_port(const char* text, std::uint16_t& out) {
  char* end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v < 0 || v > 65535)
    return false;
  out = static_cast<std::uint16_t>(v);
  return true;
}

int serve(int argc, char** argv) {
  rpc::server_options opts;
  std::uint16_t port = 8080;
  std::optional<std::uint16_t> tcp_port;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--host" && has_value) {
      opts.host = argv[++i];
    } else if (arg == "--port" && has_value) {
      if (!parse_port(argv[++i], port))
        return std::fprintf(stderr, "rpc_session_demo: bad port '%s'\n", argv[i]), 2;
    } else if (arg == "--tcp-port" && has_value) {
      std::uint16_t p = 0;
      if (!parse_port(argv[++i], p))
        return std::fprintf(stderr, "rpc_session_demo: bad port '%s'\n", argv[i]), 2;
      tcp_port = p;
    } else if (arg == "--static" && has_value) {
      opts.static_dir = argv[++i];
    } else if (arg == "--idle-spin-us" && has_value) {
      char* end = nullptr;
      long us = std::strtol(argv[++i], &end, 10);
      if (end == argv[i] || *end != '\0' || us < 0 || us > 1'000'000)
        return std::fprintf(stderr, "rpc_session_demo: bad --idle-spin-us '%s' (0..1000000)\n", argv[i]), 2;
      opts.idle_spin = std::chrono::microseconds{us};
    } else {
      std::fprintf(stderr, "rpc_session_demo: unknown argument '%s'\n%s", arg.c_str(), usage);
      return 2;
    }
  }
  opts.websocket_port = port;
  opts.tcp_port = tcp_port ? *tcp_port : (port == 0 || port == 65535 ? 0 : port + 1);
  // The demo's handlers never block (delay and ticks are timers), so its
  // sessions can run on the server's I/O thread: a call never crosses
  // threads (bench/RESULTS.md: at one call at a time, ~1.7x the calls/s and
  // half the p99 of sessions on the pool). A service whose handlers block or
  // compute for long keeps the default.
  opts.sessions = rpc::session_thread::io_thread;

  // The signals are taken by sigwait below: block them before any thread
  // starts, so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  tandem::actor_system sys;
  rpc::session_options session;
  session.methods = demo::make_service();
  auto server = rpc::serve(sys, opts, session);
  if (!server) {
    std::fprintf(stderr, "rpc_session_demo: %s\n", tandem::to_string(server.error_value()).c_str());
    return 1;
  }
  std::printf("%s\n%s\n", (*server)->websocket_url().c_str(), (*server)->tcp_url().c_str());
  if (!opts.static_dir.empty())
    std::printf("serving %s on http://%s:%u/\n", opts.static_dir.c_str(), opts.host.c_str(),
                static_cast<unsigned>((*server)->websocket_port()));
  std::fflush(stdout);

  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "rpc_session_demo: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  (*server)->stop(); // every connection closes; their sessions fail what is pending and quit
  sys.await_all_actors_done();
  std::fprintf(stderr, "rpc_session_demo: stopped\n");
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  if (argc == 1)
    return in_process(argv[0]);
  std::string mode = argv[1];
  if (mode == "serve")
    return serve(argc, argv);
  if (mode == "client" && argc == 3)
    return client(argv[2]);
  std::fputs(usage, mode == "--help" || mode == "-h" ? stdout : stderr);
  return mode == "--help" || mode == "-h" ? 0 : 2;
}

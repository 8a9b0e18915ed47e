// rpc: JSON-RPC calls per second and p50/p99 latency of `add`, with C calls
// outstanding on one connection (--concurrency, default 1).
//
//   --impl tandem-inproc  a tandem client session calling a tandem server
//                         session over the in-process transport (codec both ways)
//   --impl tandem-tcp     the load generator below against rpc's own tandem
//                         server (serve(), demo service) over TCP
//   --impl tandem-ws      the same over WebSocket
//   --impl tandem-tcp-io, tandem-ws-io
//                         the same with the server's sessions on its I/O
//                         thread (server_options::sessions = io_thread)
//   --impl tandem-*-spin  (e.g. tandem-ws-io-spin) the same with the server's
//                         I/O thread spinning before it blocks
//                         (server_options::idle_spin = --server-spin-us,
//                         default 100)
//   --impl node-ws        the same generator against --url (the node reference,
//                         bench/rpc_node_server.mjs, started by bench/run)
//
// The network load generator is plain Boost.Asio/Beast (no tandem code), so
// tandem's server and node's are driven identically. Latency is per call,
// from queueing the request to reading its response.
//
//   --generator lean      (default) after Beast's handshake the generator
//                         frames itself: every answer that one read brings
//                         is framed in place and scanned for its id and
//                         result (no JSON parser), and the requests that
//                         replace them go out in one write. It costs the
//                         generator ~1 µs per call instead of ~5, which
//                         would otherwise share the two cores with the server.
//   --generator blocking  the first figures' generator: Beast's blocking
//                         read per answer (nlohmann parse) and one write per
//                         request.
//   --generator-spin-us N the lean generator polls its socket (recv with
//                         MSG_DONTWAIT) for up to N µs after writing before
//                         it blocks in recv: at C=1 the answer is then read
//                         without a wake-up of the generator. Default 0 (it
//                         blocks at once). The same for every server.

#include "bench_support.hpp"
#include "../examples/rpc_session_demo/demo_service.hpp"

#include <tandem/session.hpp>
#include <tandem/session/serve.hpp>
#include <tandem/tandem.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <string_view>

namespace {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;
using bench::clock;
using tandem::session::json;

struct result {
  double seconds = 0;
  std::vector<double> latencies_us;
};

std::string request_frame(long id) {
  return R"({"jsonrpc":"2.0","method":"add","params":[)" + std::to_string(id) + R"(,1],"id":)" +
         std::to_string(id) + "}";
}

/// The id of a response frame and a check of its result (id + 1).
long response_id(const std::string& frame) {
  auto j = json::parse(frame);
  long id = j.at("id").get<long>();
  bench::check(j.at("result").get<long>() == id + 1, "wrong result: " + frame);
  return id;
}

/// Keeps `concurrency` calls outstanding until `n` are answered: one
/// connection, requests written as answers come back.
template <class Transport>
result drive(Transport& t, long n, long concurrency) {
  result r;
  r.latencies_us.reserve(static_cast<std::size_t>(n));
  std::vector<clock::time_point> sent(static_cast<std::size_t>(n));
  long next = 0, done = 0;
  auto t0 = clock::now();
  for (; next < std::min(n, concurrency); ++next) {
    sent[static_cast<std::size_t>(next)] = clock::now();
    t.write(request_frame(next));
  }
  t.flush();
  while (done < n) {
    long id = response_id(t.read());
    r.latencies_us.push_back(std::chrono::duration<double, std::micro>(clock::now() - sent[static_cast<std::size_t>(id)]).count());
    ++done;
    if (next < n) {
      sent[static_cast<std::size_t>(next)] = clock::now();
      t.write(request_frame(next));
      ++next;
    }
    if (!t.pending_reads())
      t.flush();
  }
  r.seconds = bench::seconds_since(t0);
  return r;
}

/// Newline-delimited JSON over a blocking socket.
struct tcp_transport {
  explicit tcp_transport(std::uint16_t port) : socket(io) {
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    socket.set_option(tcp::no_delay{true});
  }
  void write(std::string f) {
    out += f;
    out += '\n';
  }
  void flush() {
    asio::write(socket, asio::buffer(out));
    out.clear();
  }
  bool pending_reads() { return false; }
  std::string read() {
    auto n = asio::read_until(socket, buf, '\n');
    std::string line(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + static_cast<long>(n) - 1);
    buf.consume(n);
    return line;
  }
  asio::io_context io;
  tcp::socket socket;
  asio::streambuf buf;
  std::string out;
};

/// One text frame per message over a blocking WebSocket.
struct ws_transport {
  ws_transport(const std::string& host, const std::string& port, const std::string& path) : ws(io) {
    tcp::resolver resolver{io};
    asio::connect(ws.next_layer(), resolver.resolve(host, port));
    ws.next_layer().set_option(tcp::no_delay{true});
    ws.handshake(host + ":" + port, path);
    ws.text(true);
  }
  void write(std::string f) { out.push_back(std::move(f)); }
  void flush() {
    for (auto& f : out)
      ws.write(asio::buffer(f));
    out.clear();
  }
  bool pending_reads() { return false; }
  std::string read() {
    buffer.clear();
    ws.read(buffer);
    return boost::beast::buffers_to_string(buffer.data());
  }
  ~ws_transport() {
    boost::system::error_code ec;
    ws.close(websocket::close_code::normal, ec);
  }
  asio::io_context io;
  websocket::stream<tcp::socket> ws;
  boost::beast::flat_buffer buffer;
  std::vector<std::string> out;
};

// -- the lean generator --------------------------------------------------------

/// A request's JSON text into `out` (the same bytes as request_frame).
std::size_t put_request(char* out, long id) {
  char num[24];
  auto len = static_cast<std::size_t>(std::to_chars(num, num + sizeof num, id).ptr - num);
  char* p = out;
  auto put = [&p](std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  };
  put(R"({"jsonrpc":"2.0","method":"add","params":[)");
  put({num, len});
  put(",1],\"id\":");
  put({num, len});
  put("}");
  return static_cast<std::size_t>(p - out);
}
constexpr std::size_t max_request = 96;

long number_after(std::string_view text, std::string_view key) {
  // (Messages are built on failure only: the checks run once per call.)
  auto at = text.find(key);
  if (at == std::string_view::npos)
    bench::fail("no " + std::string{key} + " in answer: " + std::string{text});
  const char* p = text.data() + at + key.size();
  const char* end = text.data() + text.size();
  while (p != end && *p == ' ')
    ++p;
  long v = 0;
  if (std::from_chars(p, end, v).ec != std::errc{})
    bench::fail("not a number after " + std::string{key} + ": " + std::string{text});
  return v;
}

/// The id of an answer, checking its result (id + 1) without a JSON parser:
/// both servers answer `add` with a flat object.
long scan_answer(std::string_view frame) {
  long id = number_after(frame, "\"id\":");
  if (number_after(frame, "\"result\":") != id + 1)
    bench::fail("wrong result: " + std::string{frame});
  return id;
}

/// Bytes read and not yet consumed, growing as needed.
struct read_buffer {
  std::vector<char> data = std::vector<char>(64 * 1024);
  std::size_t begin = 0, end = 0;
  /// > 0: poll the socket that long before blocking in recv (--generator-spin-us).
  std::chrono::nanoseconds spin{};

  template <class Socket>
  void fill(Socket& s) {
    if (begin == end)
      begin = end = 0;
    if (end == data.size()) {
      if (begin > 0) {
        std::memmove(data.data(), data.data() + begin, end - begin);
        end -= begin;
        begin = 0;
      } else {
        data.resize(data.size() * 2);
      }
    }
    if (spin > std::chrono::nanoseconds::zero()) {
      auto t0 = clock::now();
      do {
        auto n = ::recv(s.native_handle(), data.data() + end, data.size() - end, MSG_DONTWAIT);
        if (n > 0) {
          end += static_cast<std::size_t>(n);
          return;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
          break; // closed or failed: the blocking read below reports it
      } while (clock::now() - t0 < spin);
    }
    end += s.read_some(asio::buffer(data.data() + end, data.size() - end));
  }
  std::string_view view() const { return {data.data() + begin, end - begin}; }
};

/// Newline-delimited JSON; every complete line of a read is an answer.
struct lean_tcp_transport {
  explicit lean_tcp_transport(std::uint16_t port) : socket(io) {
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    socket.set_option(tcp::no_delay{true});
  }
  void write(long id) {
    auto at = out.size();
    out.resize(at + max_request + 1);
    auto n = put_request(out.data() + at, id);
    out[at + n] = '\n';
    out.resize(at + n + 1);
  }
  void flush() {
    asio::write(socket, asio::buffer(out));
    out.clear();
  }
  template <class OnAnswer>
  void read_answers(OnAnswer&& on_answer) {
    for (;;) {
      auto v = in.view();
      std::size_t used = 0, got = 0;
      for (auto nl = v.find('\n'); nl != std::string_view::npos; nl = v.find('\n', used)) {
        on_answer(scan_answer(v.substr(used, nl - used)));
        used = nl + 1;
        ++got;
      }
      in.begin += used;
      if (got > 0)
        return;
      in.fill(socket);
    }
  }
  asio::io_context io;
  tcp::socket socket;
  read_buffer in;
  std::string out;
};

/// RFC 6455 framing on the socket Beast did the handshake on: requests as
/// masked text frames, answers as the server's unmasked ones.
struct lean_ws_transport {
  lean_ws_transport(const std::string& host, const std::string& port, const std::string& path) : ws(io) {
    tcp::resolver resolver{io};
    asio::connect(ws.next_layer(), resolver.resolve(host, port));
    ws.next_layer().set_option(tcp::no_delay{true});
    ws.handshake(host + ":" + port, path); // the server says nothing before a request: nothing is buffered
  }
  void write(long id) {
    char payload[max_request];
    auto n = put_request(payload, id);
    frame(0x1, payload, n);
  }
  void frame(unsigned opcode, const char* payload, std::size_t n) {
    auto at = out.size();
    out.resize(at + 8 + n);
    auto* p = reinterpret_cast<unsigned char*>(out.data() + at);
    *p++ = static_cast<unsigned char>(0x80 | opcode);
    *p++ = static_cast<unsigned char>(0x80 | n); // requests stay under 126 bytes
    for (int i = 0; i < 4; ++i)
      *p++ = mask[static_cast<std::size_t>(i)];
    for (std::size_t i = 0; i < n; ++i)
      *p++ = static_cast<unsigned char>(payload[i]) ^ mask[i % 4];
    out.resize(at + 6 + n);
  }
  void flush() {
    asio::write(ws.next_layer(), asio::buffer(out));
    out.clear();
  }
  template <class OnAnswer>
  void read_answers(OnAnswer&& on_answer) {
    for (;;) {
      std::size_t got = 0;
      for (;;) {
        auto v = in.view();
        if (v.size() < 2)
          break;
        auto b0 = static_cast<unsigned char>(v[0]), b1 = static_cast<unsigned char>(v[1]);
        if (b0 != 0x81 || (b1 & 0x80) != 0)
          bench::fail("not an unmasked single-frame text answer");
        std::size_t len = b1 & 0x7f, head = 2;
        if (len == 126) {
          if (v.size() < 4)
            break;
          len = (static_cast<std::size_t>(static_cast<unsigned char>(v[2])) << 8) | static_cast<unsigned char>(v[3]);
          head = 4;
        } else if (len == 127) {
          if (v.size() < 10)
            break;
          len = 0;
          for (int i = 2; i < 10; ++i)
            len = (len << 8) | static_cast<unsigned char>(v[static_cast<std::size_t>(i)]);
          head = 10;
        }
        if (v.size() < head + len)
          break;
        on_answer(scan_answer(v.substr(head, len)));
        in.begin += head + len;
        ++got;
      }
      if (got > 0)
        return;
      in.fill(ws.next_layer());
    }
  }
  ~lean_ws_transport() {
    const char normal[2] = {'\x03', '\xe8'}; // 1000
    frame(0x8, normal, 2);
    boost::system::error_code ec;
    asio::write(ws.next_layer(), asio::buffer(out), ec);
    ws.next_layer().shutdown(tcp::socket::shutdown_send, ec);
    // The server's close frame and FIN: read until it is gone.
    char sink[256];
    while (!ec)
      ws.next_layer().read_some(asio::buffer(sink), ec);
  }
  asio::io_context io;
  websocket::stream<tcp::socket> ws;
  std::array<unsigned char, 4> mask{0x5a, 0x17, 0xc3, 0x9e};
  read_buffer in;
  std::string out;
};

/// Keeps `concurrency` calls outstanding until `n` are answered: every
/// answer of a read replaced by a new request, all written at once.
template <class Transport>
result drive_lean(Transport& t, long n, long concurrency) {
  result r;
  r.latencies_us.reserve(static_cast<std::size_t>(n));
  std::vector<clock::time_point> sent(static_cast<std::size_t>(n));
  long next = 0, done = 0;
  auto t0 = clock::now();
  for (; next < std::min(n, concurrency); ++next) {
    sent[static_cast<std::size_t>(next)] = clock::now();
    t.write(next);
  }
  t.flush();
  while (done < n) {
    t.read_answers([&](long id) {
      if (id < 0 || id >= next)
        bench::fail("unknown id " + std::to_string(id));
      auto now = clock::now();
      r.latencies_us.push_back(std::chrono::duration<double, std::micro>(now - sent[static_cast<std::size_t>(id)]).count());
      ++done;
      if (next < n) {
        sent[static_cast<std::size_t>(next)] = now;
        t.write(next);
        ++next;
      }
    });
    t.flush();
  }
  r.seconds = bench::seconds_since(t0);
  return r;
}

/// A tandem client session over the in-process transport: `concurrency`
/// calls outstanding, each completion issuing the next.
result drive_in_process(long n, long concurrency, int threads) {
  tandem::actor_system sys{std::make_unique<tandem::caf_pool>(tandem::caf_pool::options{static_cast<std::size_t>(threads), 100})};
  auto [server_end, client_end] = tandem::session::make_in_process_pair();
  tandem::session::session_options server;
  server.methods = demo::make_service();
  tandem::session::spawn_session(sys, std::move(server_end), server);
  auto peer = tandem::session::spawn_session(sys, std::move(client_end));
  result r;
  r.latencies_us.reserve(static_cast<std::size_t>(n));
  std::mutex m;
  std::condition_variable cv;
  long next = 0, done = 0;
  auto t0 = clock::now();
  std::function<void()> issue = [&] {
    long id;
    {
      std::lock_guard<std::mutex> g{m};
      if (next >= n)
        return;
      id = next++;
    }
    auto sent = clock::now();
    peer.call<json>("add", json::array({id, 1})).on_complete([&, id, sent](tandem::expected<json> v) {
      bench::check(v.has_value() && v.value() == id + 1, "wrong in-process result");
      double us = std::chrono::duration<double, std::micro>(clock::now() - sent).count();
      {
        std::lock_guard<std::mutex> g{m};
        r.latencies_us.push_back(us);
        if (++done == n)
          cv.notify_one();
      }
      issue();
    });
  };
  for (long i = 0; i < std::min(n, concurrency); ++i)
    issue();
  std::unique_lock<std::mutex> lock{m};
  cv.wait(lock, [&] { return done == n; });
  r.seconds = bench::seconds_since(t0);
  lock.unlock();
  peer.close();
  sys.await_all_actors_done();
  return r;
}

} // namespace

int main(int argc, char** argv) {
  // bench_support's parser knows tandem/caf/tandem-coop only: take --impl here.
  std::string impl = "tandem-ws";
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::string{argv[i]} == "--impl" && i + 1 < argc)
      impl = argv[++i];
    else
      rest.push_back(argv[i]);
  }
  auto a = bench::parse(static_cast<int>(rest.size()), rest.data(), 20000,
                        {"concurrency", "port", "url", "generator", "generator-spin-us", "server-spin-us"});
  a.impl = impl;
  long concurrency = a.get("concurrency", 1);
  std::string generator = a.extra.count("generator") ? a.extra.at("generator") : "lean";
  if (generator != "lean" && generator != "blocking")
    bench::fail("--generator must be lean or blocking");
  bool lean = generator == "lean";
  std::chrono::microseconds generator_spin{a.get("generator-spin-us", 0)};
  if (generator_spin.count() < 0 || (generator_spin.count() > 0 && !lean))
    bench::fail("--generator-spin-us takes a count of µs >= 0, with the lean generator");
  std::chrono::microseconds server_spin{a.get("server-spin-us", 100)};

  std::unique_ptr<tandem::actor_system> sys;
  std::unique_ptr<tandem::session::network_server> server;
  auto strip = [&impl](std::string_view suffix) {
    bool has = impl.size() > suffix.size() && impl.compare(impl.size() - suffix.size(), suffix.size(), suffix) == 0 &&
               impl.rfind("tandem-", 0) == 0;
    if (has)
      impl.resize(impl.size() - suffix.size()); // drives the same transport
    return has;
  };
  bool server_spins = strip("-spin");
  bool on_io_thread = strip("-io");
  if (impl == "tandem-tcp" || impl == "tandem-ws") {
    sys = std::make_unique<tandem::actor_system>(
        std::make_unique<tandem::caf_pool>(tandem::caf_pool::options{static_cast<std::size_t>(a.threads), 100}));
    tandem::session::session_options s;
    s.methods = demo::make_service();
    tandem::session::server_options o;
    if (on_io_thread)
      o.sessions = tandem::session::session_thread::io_thread;
    if (server_spins)
      o.idle_spin = server_spin;
    auto started = tandem::session::serve(*sys, o, s);
    bench::check(started.has_value(), "serve failed");
    server = std::move(*started);
  } else if (impl != "tandem-inproc" && impl != "node-ws") {
    bench::fail("--impl must be tandem-inproc, tandem-tcp, tandem-ws, tandem-tcp-io, tandem-ws-io or node-ws");
  }
  std::string node_url = a.extra.count("url") ? a.extra.at("url") : "";
  if (impl == "node-ws" && node_url.rfind("ws://", 0) != 0)
    bench::fail("node-ws needs --url ws://HOST:PORT/rpc");

  std::vector<double> all_latencies;
  auto once = [&](long n) {
    result r;
    if (impl == "tandem-inproc") {
      r = drive_in_process(n, concurrency, a.threads);
    } else if (impl == "tandem-tcp") {
      if (lean) {
        lean_tcp_transport t{server->tcp_port()};
        t.in.spin = generator_spin;
        r = drive_lean(t, n, concurrency);
      } else {
        tcp_transport t{server->tcp_port()};
        r = drive(t, n, concurrency);
      }
    } else {
      std::string url = impl == "tandem-ws" ? server->websocket_url() : node_url;
      auto hostport = url.substr(5, url.find('/', 5) - 5);
      auto colon = hostport.rfind(':');
      auto host = hostport.substr(0, colon), port = hostport.substr(colon + 1), path = url.substr(url.find('/', 5));
      if (lean) {
        lean_ws_transport t{host, port, path};
        t.in.spin = generator_spin;
        r = drive_lean(t, n, concurrency);
      } else {
        ws_transport t{host, port, path};
        r = drive(t, n, concurrency);
      }
    }
    if (n == a.n)
      all_latencies.insert(all_latencies.end(), r.latencies_us.begin(), r.latencies_us.end());
    return r.seconds;
  };
  // Latency figures need the samples first: run, then report them with it.
  std::vector<double> samples, cpu;
  for (int i = 0; i < a.warmup; ++i)
    once(std::max(a.n / 10, 1L));
  for (int i = 0; i < a.iterations; ++i) {
    double c0 = bench::cpu_seconds();
    samples.push_back(once(a.n));
    cpu.push_back(bench::cpu_seconds() - c0);
  }
  double med = bench::median(samples);
  std::string params = "concurrency=" + std::to_string(concurrency) + ",msgs=" + std::to_string(a.n) +
                       (impl == "tandem-inproc" ? "" : ",generator=" + generator) +
                       (generator_spin.count() > 0 && impl != "tandem-inproc" ? ",generator_spin_us=" + std::to_string(generator_spin.count()) : "") +
                       (server_spins ? ",server_spin_us=" + std::to_string(server_spin.count()) : "");
  std::printf("bench=rpc impl=%s params=%s threads=%d median_s=%.6f msgs_per_s=%.0f ns_per_msg=%.1f rss_kb=%ld "
              "iterations=%d cpu_ns_per_msg=%.1f samples_s=%s cpu_s=%s x_p50_us=%.1f x_p99_us=%.1f\n",
              (impl + (on_io_thread ? "-io" : "") + (server_spins ? "-spin" : "")).c_str(), params.c_str(), a.threads, med, static_cast<double>(a.n) / med,
              med * 1e9 / static_cast<double>(a.n), bench::peak_rss_kb(), a.iterations,
              bench::median(cpu) * 1e9 / static_cast<double>(a.n), bench::join_samples(samples).c_str(),
              bench::join_samples(cpu).c_str(), bench::percentile(all_latencies, 0.5), bench::percentile(all_latencies, 0.99));
  std::fflush(stdout);
  if (server)
    server->stop();
  return 0;
}

// rpc_floor: the loopback round trip with no server work at all -- the floor
// under bench/rpc at concurrency 1 (not in bench/run; run it by hand).
//
//   rpc_floor [--n N] [--iterations K] [--server-spin-us S] [--client-spin-us C]
//             [--busy-poll-us B] [--nodelay 0|1]
//
// A "server" thread waits in epoll_wait on one accepted loopback TCP socket
// (TCP_NODELAY, as Asio and both servers do) and answers each 80-byte
// request with a 40-byte answer; a "client" thread (the load generator's
// place) writes a request and reads the answer, one at a time. Both in one
// process, as the tandem-*-io rows of bench/rpc. With S > 0 the server polls
// epoll with a zero timeout for up to S µs after its last answer before it
// blocks; with C > 0 the client polls recv(MSG_DONTWAIT) for up to C µs
// before it blocks -- what server_options::idle_spin and bench/rpc's
// --generator-spin-us do. B > 0 sets SO_BUSY_POLL (the kernel's own busy
// polling of the device queue in a blocking read; needs CAP_NET_ADMIN above
// net.core.busy_read) on both sockets; --nodelay 0 leaves Nagle on. Prints calls/s (round trips) and
// p50/p99 in the bench line format; params name the settings.

#include "bench_support.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

namespace {

using bench::clock;

constexpr std::size_t request_size = 80, answer_size = 40;

void must(bool ok, const char* what) {
  if (!ok)
    bench::fail(std::string{what} + ": " + std::strerror(errno));
}

void no_delay(int fd) {
  int one = 1;
  must(::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0, "TCP_NODELAY");
}

/// Reads exactly `n` bytes; polls with MSG_DONTWAIT for up to `spin` first.
bool read_exactly(int fd, char* p, std::size_t n, std::chrono::nanoseconds spin) {
  auto t0 = clock::now();
  while (n > 0) {
    bool polling = spin > std::chrono::nanoseconds::zero() && clock::now() - t0 < spin;
    auto got = ::recv(fd, p, n, polling ? MSG_DONTWAIT : 0);
    if (got > 0) {
      p += got;
      n -= static_cast<std::size_t>(got);
    } else if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      return false;
    }
  }
  return true;
}

void write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    auto put = ::send(fd, p, n, MSG_NOSIGNAL);
    must(put > 0, "send");
    p += put;
    n -= static_cast<std::size_t>(put);
  }
}

/// Answers every request on `fd` until it closes: epoll like Asio's reactor,
/// then a non-blocking read of what is there.
void serve(int fd, std::chrono::nanoseconds spin) {
  int ep = ::epoll_create1(0);
  must(ep >= 0, "epoll_create1");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  must(::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0, "epoll_ctl");
  std::vector<char> in;
  char buf[4096];
  char answer[answer_size];
  std::memset(answer, 'a', sizeof answer);
  auto last = clock::now();
  for (;;) {
    bool polling = spin > std::chrono::nanoseconds::zero() && clock::now() - last < spin;
    epoll_event got{};
    int n = ::epoll_wait(ep, &got, 1, polling ? 0 : -1);
    if (n < 0 && errno == EINTR)
      continue;
    must(n >= 0, "epoll_wait");
    if (n == 0)
      continue;
    auto r = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (r == 0)
      break;
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        continue;
      break;
    }
    in.insert(in.end(), buf, buf + r);
    std::size_t whole = in.size() / request_size;
    for (std::size_t i = 0; i < whole; ++i)
      write_all(fd, answer, sizeof answer);
    in.erase(in.begin(), in.begin() + static_cast<long>(whole * request_size));
    last = clock::now();
  }
  ::close(ep);
  ::close(fd);
}

} // namespace

int main(int argc, char** argv) {
  auto a = bench::parse(argc, argv, 20000, {"server-spin-us", "client-spin-us", "busy-poll-us", "nodelay"});
  std::chrono::microseconds server_spin{a.get("server-spin-us", 0)}, client_spin{a.get("client-spin-us", 0)};
  int busy_poll = static_cast<int>(a.get("busy-poll-us", 0));
  bool nodelay = a.get("nodelay", 1) != 0;

  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  must(listener >= 0, "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  must(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "bind");
  must(::listen(listener, 1) == 0, "listen");
  socklen_t len = sizeof addr;
  must(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0, "getsockname");

  std::vector<double> latencies, samples, cpu;
  auto once = [&](long n, bool keep) {
    int client = ::socket(AF_INET, SOCK_STREAM, 0);
    must(client >= 0, "socket");
    must(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "connect");
    int accepted = ::accept(listener, nullptr, nullptr);
    must(accepted >= 0, "accept");
    if (nodelay) {
      no_delay(client);
      no_delay(accepted);
    }
    if (busy_poll > 0)
      for (int fd : {client, accepted})
        must(::setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &busy_poll, sizeof busy_poll) == 0, "SO_BUSY_POLL");
    std::thread server{[accepted, server_spin] { serve(accepted, server_spin); }};
    char request[request_size], answer[answer_size];
    std::memset(request, 'r', sizeof request);
    auto t0 = clock::now();
    for (long i = 0; i < n; ++i) {
      auto sent = clock::now();
      write_all(client, request, sizeof request);
      must(read_exactly(client, answer, sizeof answer, client_spin), "recv");
      if (keep)
        latencies.push_back(std::chrono::duration<double, std::micro>(clock::now() - sent).count());
    }
    double s = bench::seconds_since(t0);
    ::close(client);
    server.join();
    return s;
  };
  for (int i = 0; i < a.warmup; ++i)
    once(std::max(a.n / 10, 1L), false);
  for (int i = 0; i < a.iterations; ++i) {
    double c0 = bench::cpu_seconds();
    samples.push_back(once(a.n, true));
    cpu.push_back(bench::cpu_seconds() - c0);
  }
  ::close(listener);
  double med = bench::median(samples);
  std::printf("bench=rpc_floor impl=raw-tcp params=concurrency=1,msgs=%ld,server_spin_us=%ld,client_spin_us=%ld,busy_poll_us=%d,nodelay=%d "
              "threads=2 median_s=%.6f msgs_per_s=%.0f ns_per_msg=%.1f rss_kb=%ld iterations=%d cpu_ns_per_msg=%.1f "
              "samples_s=%s cpu_s=%s x_p50_us=%.1f x_p99_us=%.1f\n",
              a.n, static_cast<long>(server_spin.count()), static_cast<long>(client_spin.count()), busy_poll, nodelay ? 1 : 0, med,
              static_cast<double>(a.n) / med, med * 1e9 / static_cast<double>(a.n), bench::peak_rss_kb(), a.iterations,
              bench::median(cpu) * 1e9 / static_cast<double>(a.n), bench::join_samples(samples).c_str(),
              bench::join_samples(cpu).c_str(), bench::percentile(latencies, 0.5), bench::percentile(latencies, 0.99));
  return 0;
}

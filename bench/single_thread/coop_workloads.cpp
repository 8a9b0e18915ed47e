// coop_workloads: the single-thread workloads (pingpong, counting, threadring,
// timers) on tandem's cooperative loop, with no CAF: the same source is built
// natively (release preset) and with emscripten (bench/run-wasm), run under
// node and in headless Chromium, so the ratio between the builds is the cost
// of WebAssembly (design/benchmarks.md).
//
//   coop_workloads --impl native|wasm-node|wasm-chromium [--only a,b]
//                  [--n N] [--iterations K] [--scale S] [--warmup-ms MS]
//
// --impl only labels the output. Each workload first runs untimed warm-ups at
// a tenth of its size, again and again until they have taken --warmup-ms
// (default 300) -- the same on every side: a browser optimises hot wasm code
// in the background, some time after the code gets hot, and one warm-up of a
// few ms left Chromium's first timed iterations partly unoptimised (by up to
// 2x; node's were not). Then K timed iterations (a fresh loop and actor system
// each), and it prints, in bench/run's format,
//   bench=NAME impl=I params=... threads=1 median_s=... msgs_per_s=...
//   ns_per_msg=... iterations=K samples_s=a,b,c
// and "bench-done" at the end. Results are checked (counts, order); a wrong
// one exits 1.
//   pingpong    two actors, --n round trips (2 messages each)
//   counting    one producer sends --n messages to a counter, then asks it
//               the total (request/response)
//   threadring  a token passed --n times around a ring of 100 actors
//   timers      --n delayed messages to one receiver, delays uniform in
//               1 ms .. 1 s (seeded), every other one cancelled right after
//               arming; ns_per_msg is the arm+cancel cost per timer, and
//               wait_s the time until the last one arrived

#include <tandem/runtime/cooperative_loop.hpp>
#include <tandem/tandem.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

using bench_clock = std::chrono::steady_clock;

/// Read through this so the compiler cannot fold workloads away.
volatile long opaque_one = 1;

double seconds_since(bench_clock::time_point t0) {
  return std::chrono::duration<double>(bench_clock::now() - t0).count();
}

[[noreturn]] void fail(const std::string& what) {
  std::printf("coop_workloads: FAILED: %s\n", what.c_str());
  std::fflush(stdout);
  std::exit(1);
}

// -- pingpong ------------------------------------------------------------------

struct ping_msg {
  long n;
};
struct pong_msg {
  long n;
};
struct kickoff {
  tandem::actor peer;
};
struct stop_msg {};

double pingpong(long rounds) {
  tandem::cooperative_loop loop;
  tandem::actor_system sys{loop};
  long seen = 0;
  auto ping = sys.spawn([rounds, &seen](tandem::actor_base* self) {
    auto peer = std::make_shared<tandem::actor>();
    return tandem::behavior{
      [self, peer](const kickoff& k) {
        *peer = k.peer;
        self->send(*peer, ping_msg{opaque_one});
      },
      [self, peer, rounds, &seen](const pong_msg& m) {
        if (m.n >= rounds) {
          seen = m.n;
          self->send(*peer, stop_msg{});
          *peer = tandem::actor{};
          self->quit();
        } else {
          self->send(*peer, ping_msg{m.n + opaque_one});
        }
      }};
  });
  auto pong = sys.spawn(
    [](tandem::actor_base* self, tandem::actor peer) {
      return tandem::behavior{
        [self, peer](const ping_msg& m) { self->send(peer, pong_msg{m.n}); },
        [self](stop_msg) { self->quit(); }};
    },
    ping);
  auto t0 = bench_clock::now();
  tandem::send(ping, kickoff{pong});
  sys.await_all_actors_done();
  auto s = seconds_since(t0);
  if (seen != rounds)
    fail("pingpong ended at " + std::to_string(seen));
  return s;
}

// -- counting ------------------------------------------------------------------

struct inc {
  long by;
};
struct get_total {};
struct produce {
  tandem::actor counter;
  long n;
};

double counting(long n) {
  tandem::cooperative_loop loop;
  tandem::actor_system sys{loop};
  long total = -1;
  auto counter = sys.spawn([](tandem::actor_base* self) {
    auto sum = std::make_shared<long>(0);
    return tandem::behavior{
      [sum](const inc& m) { *sum += m.by; },
      [self, sum](get_total) {
        self->quit();
        return *sum;
      }};
  });
  auto producer = sys.spawn([&total](tandem::actor_base* self) {
    return tandem::behavior{[self, &total](const produce& p) {
      for (long i = 0; i < p.n; ++i)
        self->send(p.counter, inc{opaque_one});
      self->request(p.counter, get_total{}).then([self, &total](long t) {
        total = t;
        self->quit();
      });
    }};
  });
  auto t0 = bench_clock::now();
  tandem::send(producer, produce{counter, n});
  sys.await_all_actors_done();
  auto s = seconds_since(t0);
  if (total != n)
    fail("counting total " + std::to_string(total));
  return s;
}

// -- threadring ----------------------------------------------------------------

struct token {
  long remaining;
};
struct set_next {
  tandem::actor next;
};

double threadring(long hops, int actors, long& last_member) {
  tandem::cooperative_loop loop;
  tandem::actor_system sys{loop};
  std::vector<tandem::actor> ring;
  for (int i = 0; i < actors; ++i)
    ring.push_back(sys.spawn([i, &last_member](tandem::actor_base* self) {
      auto next = std::make_shared<tandem::actor>();
      return tandem::behavior{
        [next](set_next& m) { *next = std::move(m.next); },
        [self, next, i, &last_member](const token& t) {
          if (t.remaining <= 1) {
            if (t.remaining == 1)
              last_member = i;
            // The end: a token of 0 goes round once more and every member
            // quits on it.
            self->send(*next, token{0});
            *next = tandem::actor{};
            self->quit();
            return;
          }
          self->send(*next, token{t.remaining - opaque_one});
        }};
    }));
  for (int i = 0; i < actors; ++i)
    tandem::send(ring[i], set_next{ring[(i + 1) % actors]});
  loop.run_until_idle();
  auto t0 = bench_clock::now();
  tandem::send(ring[0], token{hops});
  ring.clear();
  sys.await_all_actors_done();
  return seconds_since(t0);
}

// -- timers --------------------------------------------------------------------

struct fired {
  long index;
};

double timers(long n, double& wait_s) {
  tandem::cooperative_loop loop;
  tandem::actor_system sys{loop};
  long received = 0;
  long wrong = 0;
  auto receiver = sys.spawn([n, &received, &wrong](tandem::actor_base* self) {
    return tandem::behavior{[self, n, &received, &wrong](const fired& f) {
      if (f.index % 2 == 1)
        ++wrong; // a cancelled one arrived
      if (++received == (n + 1) / 2)
        self->quit();
    }};
  });
  std::mt19937_64 rng{42};
  std::uniform_int_distribution<long> delay_us{1000, 1000000};
  std::vector<long> delays(static_cast<std::size_t>(n));
  for (auto& d : delays)
    d = delay_us(rng);
  double arm_s = 0;
  auto start = bench_clock::now();
  auto armer = sys.spawn([&](tandem::actor_base* self) {
    auto t0 = bench_clock::now();
    for (long i = 0; i < n; ++i) {
      auto h = self->delayed_send(receiver, std::chrono::microseconds(delays[i]), fired{i});
      if (i % 2 == 1 && !h.cancel())
        fail("a fresh timer could not be cancelled");
    }
    arm_s = seconds_since(t0);
    return tandem::behavior{};
  });
  (void)armer;
  sys.await_all_actors_done();
  wait_s = seconds_since(start);
  if (received != (n + 1) / 2 || wrong != 0)
    fail("timers: received " + std::to_string(received) + ", cancelled arrivals " +
         std::to_string(wrong));
  return arm_s;
}

// -- driver --------------------------------------------------------------------

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto m = v.size() / 2;
  return v.size() % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
}

std::string join(const std::vector<double>& v) {
  std::string s;
  for (auto x : v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%.6f", s.empty() ? "" : ",", x);
    s += buf;
  }
  return s;
}

struct options {
  std::string impl = "native";
  std::string only;
  long n = 0; // 0: each workload's default
  int iterations = 5;
  long scale = 1;
  long warmup_ms = 300;
};

bool selected(const options& o, const std::string& name) {
  return o.only.empty() || ("," + o.only + ",").find("," + name + ",") != std::string::npos;
}

void report(const options& o, const char* name, const std::string& params, double msgs,
            const std::vector<double>& samples, const std::string& extra = {}) {
  auto med = median(samples);
  std::printf("bench=%s impl=%s params=%s threads=1 median_s=%.6f msgs_per_s=%.0f ns_per_msg=%.1f "
              "iterations=%d samples_s=%s%s\n",
              name, o.impl.c_str(), params.c_str(), med, msgs / med, med * 1e9 / msgs,
              o.iterations, join(samples).c_str(), extra.c_str());
  std::fflush(stdout);
}

void run(const options& o, const char* name, long default_n, double msgs_per_n,
         const std::function<double(long)>& once, const std::string& params_suffix = {}) {
  if (!selected(o, name))
    return;
  long n = o.n > 0 ? o.n : default_n / o.scale;
  auto warm_until = bench_clock::now() + std::chrono::milliseconds{o.warmup_ms};
  do
    once(std::max(n / 10, 1L));
  while (bench_clock::now() < warm_until);
  std::vector<double> samples;
  for (int i = 0; i < o.iterations; ++i)
    samples.push_back(once(n));
  report(o, name, "n=" + std::to_string(n) + params_suffix, msgs_per_n * static_cast<double>(n),
         samples);
}

} // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--impl")
      o.impl = v;
    else if (k == "--only")
      o.only = v;
    else if (k == "--n")
      o.n = std::atol(v.c_str());
    else if (k == "--iterations")
      o.iterations = std::max(1, std::atoi(v.c_str()));
    else if (k == "--scale")
      o.scale = std::max(1L, std::atol(v.c_str()));
    else if (k == "--warmup-ms")
      o.warmup_ms = std::max(0L, std::atol(v.c_str()));
    else
      fail("unknown option " + k);
  }
  if (argc % 2 == 0)
    fail("options come in pairs: --impl native|wasm-node|wasm-chromium --only a,b --n N "
         "--iterations K --scale S --warmup-ms MS");

  run(o, "pingpong", 1'000'000, 2.0, pingpong);
  run(o, "counting", 1'000'000, 1.0, counting);
  long last = -1;
  run(o, "threadring", 1'000'000, 1.0, [&](long n) {
    auto s = threadring(n, 100, last);
    if (last != (n - 1) % 100)
      fail("threadring ended at member " + std::to_string(last));
    return s;
  }, ",actors=100");
  if (selected(o, "timers")) {
    long n = o.n > 0 ? o.n : 1'000'000 / o.scale;
    double wait = 0;
    timers(std::max(n / 10, 1L), wait);
    std::vector<double> arm, waits;
    for (int i = 0; i < o.iterations; ++i) {
      arm.push_back(timers(n, wait));
      waits.push_back(wait);
    }
    report(o, "timers", "n=" + std::to_string(n) + ",cancel=half", static_cast<double>(n), arm,
           " wait_s=" + join(waits));
  }
  std::printf("bench-done\n");
  std::fflush(stdout);
  return 0;
}

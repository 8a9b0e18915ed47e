// timer_wheel: tandem::timer_wheel against a std::priority_queue with lazy
// deletion (the usual "heap + cancelled flag" timer queue).
//
// N timers (default 1,000,000) with random delays in [1 ms, 1 s) from t0:
//   op=insert  insert all N                          ns per insert
//   op=remove  remove every other one (N/2)          ns per remove
//   op=expire  advance now from t0 in 1 ms steps through t0 + 1 s, firing
//              the N/2 left                          ns per fired timer
//   op=jump    the deterministic backend's loop: insert all N, remove every
//              other one, then repeatedly jump now to next_deadline() and
//              expire (untimed set-up)               ns per fired timer
//   op=steady  a rolling load: every 1 ms, N/1000 new timers (1 ms - 1 s)
//              then expire(now); timed over the second second, when about
//              N/2 are pending and the wheel's blocks roll over
//                                                    ns per timer (insert
//                                                    and fire), and the
//                                                    longest expire() call
//                                                    (median over runs)
//   op=churn   with N pending, N times: cancel a random pending timer and
//              re-arm it 1 ms - 1 s after the current time (the heap pushes
//              a new entry, the old one stays as garbage)
//                                                    ns per cancel + re-arm
// Random choices are drawn before the timed loops. Each op is timed in every
// iteration; the median is printed:
//   bench=timer_wheel impl=tandem|heap op=... n=N ns_per_op=... samples_ns=a,b,c
// (op=steady adds max_expire_us=...). Build with the release preset.
//
//   timer_wheel [--impl tandem|heap|both] [--n N] [--iterations K] [--seed S]

#include <tandem/timers/timer_wheel.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using tandem::duration;
using tandem::time_point;
using clk = std::chrono::steady_clock;

volatile std::uint64_t sink = 0;

struct workload {
  std::size_t n = 0;
  time_point t0;
  std::vector<duration> delay;          // per node, [1 ms, 1 s)
  std::vector<std::uint32_t> churn_pick; // node to cancel and re-arm
  std::vector<duration> churn_delay;
};

workload make_workload(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  workload w;
  w.n = n;
  w.t0 = time_point{} + 1000h;
  w.delay.resize(n);
  w.churn_pick.resize(n);
  w.churn_delay.resize(n);
  for (std::size_t i = 0; i < n; ++i)
    w.delay[i] = 1ms + duration{static_cast<std::int64_t>(rng() % 999'000'000)};
  for (std::size_t i = 0; i < n; ++i) {
    w.churn_pick[i] = static_cast<std::uint32_t>(rng() % n);
    w.churn_delay[i] = 1ms + duration{static_cast<std::int64_t>(rng() % 999'000'000)};
  }
  return w;
}

double ns_since(clk::time_point start) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(clk::now() - start);
  return static_cast<double>(ns.count());
}

struct result {
  std::map<std::string, std::vector<double>> ns_per_op;
  std::vector<double> steady_max_expire_us; // longest single expire() call
};

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "bench timer_wheel: FAILED: %s\n", what);
  std::exit(1);
}

// -- tandem::timer_wheel ------------------------------------------------------

struct wheel_node : tandem::timer_node {
  std::uint64_t payload = 0;
};

void run_tandem(const workload& w, result& r) {
  auto nodes = std::make_unique<wheel_node[]>(w.n);
  for (std::size_t i = 0; i < w.n; ++i) {
    nodes[i].deadline = w.t0 + w.delay[i];
    nodes[i].payload = i;
  }
  std::uint64_t sum = 0;
  auto on_due = [&sum](tandem::timer_node* n) { sum += static_cast<wheel_node*>(n)->payload; };
  {
    tandem::timer_wheel wheel(w.t0);
    auto start = clk::now();
    for (std::size_t i = 0; i < w.n; ++i)
      wheel.insert(&nodes[i]);
    r.ns_per_op["insert"].push_back(ns_since(start) / static_cast<double>(w.n));

    start = clk::now();
    for (std::size_t i = 0; i < w.n; i += 2)
      wheel.remove(&nodes[i]);
    r.ns_per_op["remove"].push_back(ns_since(start) / static_cast<double>((w.n + 1) / 2));

    std::size_t fired = 0;
    start = clk::now();
    for (auto now = w.t0 + 1ms; now <= w.t0 + 1s; now += 1ms)
      fired += wheel.expire(now, on_due);
    r.ns_per_op["expire"].push_back(ns_since(start) / static_cast<double>(fired));
    if (fired != w.n / 2 || !wheel.empty())
      fail("tandem: not every remaining timer fired");
  }
  {
    tandem::timer_wheel wheel(w.t0);
    for (std::size_t i = 0; i < w.n; ++i)
      wheel.insert(&nodes[i]);
    for (std::size_t i = 0; i < w.n; i += 2)
      wheel.remove(&nodes[i]);
    std::size_t fired = 0;
    auto start = clk::now();
    while (!wheel.empty())
      fired += wheel.expire(wheel.next_deadline(), on_due);
    r.ns_per_op["jump"].push_back(ns_since(start) / static_cast<double>(fired));
    if (fired != w.n / 2)
      fail("tandem jump: lost timers");
  }
  {
    tandem::timer_wheel wheel(w.t0);
    std::vector<wheel_node*> free_nodes;
    for (std::size_t i = 0; i < w.n; ++i)
      free_nodes.push_back(&nodes[i]);
    auto recycle = [&](tandem::timer_node* n) {
      sum += static_cast<wheel_node*>(n)->payload;
      free_nodes.push_back(static_cast<wheel_node*>(n));
    };
    const std::size_t per_ms = std::max<std::size_t>(w.n / 1000, 1);
    std::size_t next_delay = 0;
    std::size_t inserted = 0;
    double max_expire_ns = 0;
    clk::time_point start;
    for (int ms = 0; ms < 2000; ++ms) {
      if (ms == 1000) {
        inserted = 0;
        start = clk::now();
      }
      auto now = w.t0 + std::chrono::milliseconds(ms);
      for (std::size_t k = 0; k < per_ms && !free_nodes.empty(); ++k) {
        wheel_node* n = free_nodes.back();
        free_nodes.pop_back();
        n->deadline = now + w.delay[next_delay++ % w.n];
        wheel.insert(n);
        ++inserted;
      }
      auto e0 = clk::now();
      wheel.expire(now, recycle);
      if (ms >= 1000)
        max_expire_ns = std::max(max_expire_ns, ns_since(e0));
    }
    r.steady_max_expire_us.push_back(max_expire_ns / 1000);
    r.ns_per_op["steady"].push_back(ns_since(start) / static_cast<double>(inserted));
    wheel.expire(time_point::max(), recycle);
    if (free_nodes.size() != w.n)
      fail("tandem steady: lost timers");
  }
  {
    tandem::timer_wheel wheel(w.t0);
    for (std::size_t i = 0; i < w.n; ++i)
      wheel.insert(&nodes[i]);
    // The clock stands still at t0 + 0.5 s (nothing fires in between).
    auto now = w.t0 + 500ms;
    auto start = clk::now();
    for (std::size_t i = 0; i < w.n; ++i) {
      wheel_node& n = nodes[w.churn_pick[i]];
      wheel.remove(&n);
      n.deadline = now + w.churn_delay[i];
      wheel.insert(&n);
    }
    r.ns_per_op["churn"].push_back(ns_since(start) / static_cast<double>(w.n));
    std::size_t fired = wheel.expire(time_point::max(), on_due);
    if (fired != w.n)
      fail("tandem churn: lost timers");
  }
  sink = sink + sum;
}

// -- std::priority_queue with lazy deletion ------------------------------------

struct heap_node {
  time_point deadline;
  std::uint64_t payload = 0;
  std::uint32_t gen = 0; // bumped on cancel: older heap entries are garbage
};

struct entry {
  time_point deadline;
  std::uint64_t seq;
  heap_node* node;
  std::uint32_t gen;
};

struct later {
  bool operator()(const entry& a, const entry& b) const noexcept {
    return a.deadline > b.deadline || (a.deadline == b.deadline && a.seq > b.seq);
  }
};

using heap_queue = std::priority_queue<entry, std::vector<entry>, later>;

heap_queue make_heap_queue(std::size_t reserve) {
  std::vector<entry> storage;
  storage.reserve(reserve);
  return heap_queue(later{}, std::move(storage));
}

/// The earliest live deadline (drops cancelled entries off the top).
time_point heap_next(heap_queue& q) {
  while (!q.empty() && q.top().gen != q.top().node->gen)
    q.pop();
  return q.empty() ? time_point::max() : q.top().deadline;
}

template <class F>
std::size_t heap_expire(heap_queue& q, time_point now, F&& on_due) {
  std::size_t fired = 0;
  while (!q.empty() && q.top().deadline <= now) {
    entry e = q.top();
    q.pop();
    if (e.gen != e.node->gen)
      continue; // cancelled
    ++e.node->gen;
    ++fired;
    on_due(e.node);
  }
  return fired;
}

void run_heap(const workload& w, result& r) {
  auto nodes = std::make_unique<heap_node[]>(w.n);
  for (std::size_t i = 0; i < w.n; ++i) {
    nodes[i].deadline = w.t0 + w.delay[i];
    nodes[i].payload = i;
  }
  std::uint64_t sum = 0;
  auto on_due = [&sum](heap_node* n) { sum += n->payload; };
  std::uint64_t seq = 0;
  {
    auto q = make_heap_queue(w.n);
    auto start = clk::now();
    for (std::size_t i = 0; i < w.n; ++i)
      q.push(entry{nodes[i].deadline, seq++, &nodes[i], nodes[i].gen});
    r.ns_per_op["insert"].push_back(ns_since(start) / static_cast<double>(w.n));

    start = clk::now();
    for (std::size_t i = 0; i < w.n; i += 2)
      ++nodes[i].gen;
    r.ns_per_op["remove"].push_back(ns_since(start) / static_cast<double>((w.n + 1) / 2));

    std::size_t fired = 0;
    start = clk::now();
    for (auto now = w.t0 + 1ms; now <= w.t0 + 1s; now += 1ms)
      fired += heap_expire(q, now, on_due);
    r.ns_per_op["expire"].push_back(ns_since(start) / static_cast<double>(fired));
    if (fired != w.n / 2 || !q.empty())
      fail("heap: not every remaining timer fired");
  }
  {
    auto q = make_heap_queue(w.n);
    for (std::size_t i = 0; i < w.n; ++i)
      q.push(entry{nodes[i].deadline, seq++, &nodes[i], nodes[i].gen});
    for (std::size_t i = 0; i < w.n; i += 2)
      ++nodes[i].gen;
    std::size_t fired = 0;
    auto start = clk::now();
    for (;;) {
      time_point next = heap_next(q);
      if (next == time_point::max())
        break;
      fired += heap_expire(q, next, on_due);
    }
    r.ns_per_op["jump"].push_back(ns_since(start) / static_cast<double>(fired));
    if (fired != w.n / 2)
      fail("heap jump: lost timers");
  }
  {
    auto q = make_heap_queue(w.n);
    std::vector<heap_node*> free_nodes;
    for (std::size_t i = 0; i < w.n; ++i)
      free_nodes.push_back(&nodes[i]);
    auto recycle = [&](heap_node* n) {
      sum += n->payload;
      free_nodes.push_back(n);
    };
    const std::size_t per_ms = std::max<std::size_t>(w.n / 1000, 1);
    std::size_t next_delay = 0;
    std::size_t inserted = 0;
    double max_expire_ns = 0;
    clk::time_point start;
    for (int ms = 0; ms < 2000; ++ms) {
      if (ms == 1000) {
        inserted = 0;
        start = clk::now();
      }
      auto now = w.t0 + std::chrono::milliseconds(ms);
      for (std::size_t k = 0; k < per_ms && !free_nodes.empty(); ++k) {
        heap_node* n = free_nodes.back();
        free_nodes.pop_back();
        n->deadline = now + w.delay[next_delay++ % w.n];
        q.push(entry{n->deadline, seq++, n, n->gen});
        ++inserted;
      }
      auto e0 = clk::now();
      heap_expire(q, now, recycle);
      if (ms >= 1000)
        max_expire_ns = std::max(max_expire_ns, ns_since(e0));
    }
    r.steady_max_expire_us.push_back(max_expire_ns / 1000);
    r.ns_per_op["steady"].push_back(ns_since(start) / static_cast<double>(inserted));
    heap_expire(q, time_point::max(), recycle);
    if (free_nodes.size() != w.n)
      fail("heap steady: lost timers");
  }
  {
    auto q = make_heap_queue(2 * w.n);
    for (std::size_t i = 0; i < w.n; ++i)
      q.push(entry{nodes[i].deadline, seq++, &nodes[i], nodes[i].gen});
    auto now = w.t0 + 500ms;
    auto start = clk::now();
    for (std::size_t i = 0; i < w.n; ++i) {
      heap_node& n = nodes[w.churn_pick[i]];
      ++n.gen;
      n.deadline = now + w.churn_delay[i];
      q.push(entry{n.deadline, seq++, &n, n.gen});
    }
    r.ns_per_op["churn"].push_back(ns_since(start) / static_cast<double>(w.n));
    if (heap_expire(q, time_point::max(), on_due) != w.n)
      fail("heap churn: lost timers");
  }
  sink = sink + sum;
}

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  auto n = xs.size();
  return n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

void report(const std::string& impl, const workload& w, const result& r) {
  for (const char* op : {"insert", "remove", "expire", "jump", "steady", "churn"}) {
    const auto& xs = r.ns_per_op.at(op);
    std::string list;
    for (auto x : xs) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%s%.1f", list.empty() ? "" : ",", x);
      list += buf;
    }
    std::string extra;
    if (std::string(op) == "steady") {
      char buf[64];
      std::snprintf(buf, sizeof buf, " max_expire_us=%.0f", median(r.steady_max_expire_us));
      extra = buf;
    }
    std::printf("bench=timer_wheel impl=%s op=%s n=%zu ns_per_op=%.1f samples_ns=%s%s\n",
                impl.c_str(), op, w.n, median(xs), list.c_str(), extra.c_str());
  }
  std::fflush(stdout);
}

[[noreturn]] void usage(const char* prog) {
  std::fprintf(stderr, "usage: %s [--impl tandem|heap|both] [--n N] [--iterations K] [--seed S]\n",
               prog);
  std::exit(2);
}

} // namespace

int main(int argc, char** argv) {
  std::string impl = "both";
  long n = 1'000'000;
  int iterations = 5;
  unsigned long long seed = 1;
  for (int i = 1; i < argc; ++i) {
    std::string key = argv[i];
    if (i + 1 >= argc)
      usage(argv[0]);
    std::string val = argv[++i];
    if (key == "--impl")
      impl = val;
    else if (key == "--n")
      n = std::atol(val.c_str());
    else if (key == "--iterations")
      iterations = std::atoi(val.c_str());
    else if (key == "--seed")
      seed = std::strtoull(val.c_str(), nullptr, 10);
    else
      usage(argv[0]);
  }
  if (n < 2 || iterations < 1 || (impl != "tandem" && impl != "heap" && impl != "both"))
    usage(argv[0]);

  workload w = make_workload(static_cast<std::size_t>(n), seed);
  result tandem_r;
  result heap_r;
  // Alternate the implementations so that machine noise hits both alike.
  for (int k = 0; k < iterations; ++k) {
    if (impl != "heap")
      run_tandem(w, tandem_r);
    if (impl != "tandem")
      run_heap(w, heap_r);
  }
  if (impl != "heap")
    report("tandem", w, tandem_r);
  if (impl != "tandem")
    report("heap", w, heap_r);
  return 0;
}

// timers: 1,000,000 delayed messages to one receiver, half of them cancelled
// (design/benchmarks.md "timers").
//
// A scheduler actor arms --n delayed messages to one receiver actor, with
// delays drawn uniformly from [--min-delay-us, --max-delay-us] (default
// 1 ms .. 1 s; std::mt19937_64 seeded with --seed, drawn once, the same for
// both implementations) and cancels every other one (odd indices) right after
// arming it. It arms --chunk timers per handler call (default 1000), then
// (--pace 1, default) sends chunk_done to the receiver, which answers
// next_chunk once it has handled everything queued before it: arming never
// runs ahead of the receiver by more than one chunk, and a single-threaded
// backend fires due timers and runs the receiver between chunks. (--pace 0:
// the scheduler sends next_chunk to itself; with a budget of 100 messages per
// turn it then arms 100 chunks per turn, and on the cooperative loop the
// receiver falls behind by the whole arming phase.)
//
// Each message carries its index and its intended deadline: the steady clock
// read at the start of the timer's group of 16 plus its delay (one clock read
// per 16 timers keeps ~40 ns of clock read per timer out of the arming cost;
// it makes the measured lateness an upper bound, off by at most the time
// those 16 took to arm). The receiver reads the steady clock per message:
// lateness = now - intended deadline.
//
// tandem: `self->delayed_send(receiver, d, tick)` and `handle.cancel()`; the
//   receiver gets n - (successful cancels) messages.
// CAF 0.17: `self->delayed_send(receiver, d, tick)`; a single delayed message
//   cannot be cancelled in CAF 0.17, so all n are sent, those meant to be
//   cancelled are marked in the payload and the receiver only counts them
//   (no lateness recorded for them). CAF's receiver thus handles twice the
//   messages tandem's does.
//
// Checked: every message that should arrive arrives exactly once, none that
// was cancelled arrives, none arrives before its deadline, and (tandem) no
// timer is left armed at the end.
//
// Reported (one line, bench/run's format): samples_s / ns_per_msg = wall time
// of the arming loops (arm all n, cancel half; summed over the chunks,
// excluding the turns in between) per timer; cpu_s = CPU time of all threads
// over the whole iteration (until the last message arrived). Extra per-
// iteration lists (x_NAME=a,b,c; bench/run prints their median as NAME=):
//   x_sched_cpu_ns  CPU time of the scheduling thread in the arming loops per
//                   timer (insensitive to other load on the machine)
//   x_wall_s        kick-off -> last message handled and all actors done
//   x_late_p50_ms, x_late_p99_ms, x_late_max_ms   lateness of the delivered
//                   (not cancelled) messages
//   x_late_p99_after_ms  the same p99 over the messages whose deadline fell
//                   after the arming loops had ended (the timer thread and
//                   the receiver alone; -1 if there were none)
//
//   timers --impl tandem|caf|tandem-coop --n 1000000 --iterations 3 --threads 2
//          [--chunk 1000] [--pace 1] [--seed 42] [--min-delay-us 1000]
//          [--max-delay-us 1000000]

#include "bench_support.hpp"

#include <tandem/tandem.hpp>

#include <caf/all.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <ctime>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

using i64 = std::int64_t;

i64 steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

i64 thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<i64>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

constexpr long clock_group = 16; // timers per clock read

/// The workload of one iteration, and what the actors record. Written by the
/// actors, read by the main thread after await_all_actors_done().
struct run_data {
  const std::vector<i64>* delays = nullptr; // ns, at least n
  long n = 0;
  long chunk = 1000;
  bool pace = true; // next chunk after the receiver acknowledged the last one
  // scheduler
  long next = 0;
  long cancelled_ok = 0;
  i64 sched_ns = 0;
  i64 sched_cpu_ns = 0;
  std::vector<std::uint8_t> cancel_failed;
  std::atomic<i64> arming_end{std::numeric_limits<i64>::max()};
  // receiver (own cache line: written by another thread than the above)
  alignas(64) long received = 0; // every message (CAF: also the marked ones)
  long expected = -1;            // known once the scheduler is done
  std::vector<i64> lateness;
  std::vector<i64> lateness_after; // deadlines after the arming loops ended
  std::vector<std::uint8_t> delivered;
  long duplicates = 0;
  long early = 0;

  void reset(const std::vector<i64>& d, long count, long chunk_size, bool paced) {
    delays = &d;
    n = count;
    chunk = chunk_size;
    pace = paced;
    next = 0;
    cancelled_ok = 0;
    sched_ns = 0;
    sched_cpu_ns = 0;
    cancel_failed.assign(static_cast<std::size_t>(n), 0);
    received = 0;
    expected = -1;
    lateness.clear();
    lateness.reserve(static_cast<std::size_t>(n));
    lateness_after.clear();
    lateness_after.reserve(static_cast<std::size_t>(n));
    arming_end.store(std::numeric_limits<i64>::max(), std::memory_order_relaxed);
    delivered.assign(static_cast<std::size_t>(n), 0);
    duplicates = 0;
    early = 0;
  }

  static bool meant_to_cancel(long i) { return (i & 1) != 0; }

  /// The receiver's bookkeeping for message `index` due at `deadline`;
  /// `count_lateness` is false for CAF's "cancelled" messages.
  void on_tick(long index, i64 deadline, bool count_lateness) {
    auto late = steady_ns() - deadline;
    ++received;
    if (index < 0 || index >= n || delivered[static_cast<std::size_t>(index)]) {
      ++duplicates;
      return;
    }
    delivered[static_cast<std::size_t>(index)] = 1;
    if (!count_lateness)
      return;
    if (late < 0)
      ++early;
    lateness.push_back(late);
    if (deadline > arming_end.load(std::memory_order_acquire))
      lateness_after.push_back(late);
  }
};

struct stats {
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  double p99_after_ms = -1; // -1: no deadline fell after the arming loops
};

/// Quantile q of xs in ms (reorders xs).
double quantile_ms(std::vector<i64>& xs, double q) {
  auto k = static_cast<std::size_t>(q * static_cast<double>(xs.size() - 1));
  std::nth_element(xs.begin(), xs.begin() + static_cast<long>(k), xs.end());
  return static_cast<double>(xs[k]) / 1e6;
}

stats lateness_stats(run_data& d) {
  stats s;
  auto& xs = d.lateness;
  if (xs.empty())
    return s;
  s.p50_ms = quantile_ms(xs, 0.50);
  s.p99_ms = quantile_ms(xs, 0.99);
  s.max_ms = static_cast<double>(*std::max_element(xs.begin(), xs.end())) / 1e6;
  if (!d.lateness_after.empty())
    s.p99_after_ms = quantile_ms(d.lateness_after, 0.99);
  return s;
}

/// Checks one finished iteration; `caf` says whether cancelled-marked
/// messages were delivered too (CAF cannot cancel them).
void verify(const run_data& d, bool caf, const char* who) {
  std::string w = std::string(who) + " timers: ";
  bench::check(d.next == d.n, w + "scheduler did not arm all timers");
  bench::check(d.duplicates == 0, w + std::to_string(d.duplicates) + " duplicate/bad messages");
  bench::check(d.early == 0, w + std::to_string(d.early) + " messages before their deadline");
  long should = 0;
  long wrong = 0;
  for (long i = 0; i < d.n; ++i) {
    auto idx = static_cast<std::size_t>(i);
    bool expect = caf || !run_data::meant_to_cancel(i) || d.cancel_failed[idx];
    should += expect ? 1 : 0;
    if (static_cast<bool>(d.delivered[idx]) != expect)
      ++wrong;
  }
  bench::check(wrong == 0, w + std::to_string(wrong) + " timers delivered wrongly (missing, or "
                             "delivered although cancelled)");
  bench::check(d.received == should && d.expected == should,
               w + "received " + std::to_string(d.received) + ", expected "
                 + std::to_string(should));
  if (!caf)
    bench::check(d.cancelled_ok + should == d.n, w + "cancel count mismatch");
}

/// Prints bench/run's line: the arming time per iteration is the sample.
void report(const bench::args& a, const std::string& params, const std::vector<double>& sched_s,
            const std::vector<double>& cpu_s, const std::vector<double>& sched_cpu_ns,
            const std::vector<double>& wall_s, const std::vector<stats>& lat) {
  std::vector<double> p50, p99, mx, after;
  for (auto& s : lat) {
    p50.push_back(s.p50_ms);
    p99.push_back(s.p99_ms);
    mx.push_back(s.max_ms);
    after.push_back(s.p99_after_ms);
  }
  double n = static_cast<double>(a.n);
  double med = bench::median(sched_s);
  std::printf("bench=timers impl=%s params=%s threads=%d median_s=%.6f msgs_per_s=%.0f "
              "ns_per_msg=%.1f rss_kb=%ld iterations=%d cpu_ns_per_msg=%.1f samples_s=%s "
              "cpu_s=%s sched_cpu_ns=%.1f wall_s=%.3f late_p50_ms=%.3f late_p99_ms=%.3f "
              "late_max_ms=%.3f late_p99_after_ms=%.3f x_sched_cpu_ns=%s x_wall_s=%s "
              "x_late_p50_ms=%s x_late_p99_ms=%s x_late_max_ms=%s x_late_p99_after_ms=%s\n",
              a.impl.c_str(), params.c_str(), a.threads, med, n / med, med * 1e9 / n,
              bench::peak_rss_kb(), a.iterations, bench::median(cpu_s) * 1e9 / n,
              bench::join_samples(sched_s).c_str(), bench::join_samples(cpu_s).c_str(), bench::median(sched_cpu_ns),
              bench::median(wall_s), bench::median(p50), bench::median(p99), bench::median(mx),
              bench::median(after), bench::join_samples(sched_cpu_ns).c_str(), bench::join_samples(wall_s).c_str(),
              bench::join_samples(p50).c_str(), bench::join_samples(p99).c_str(), bench::join_samples(mx).c_str(), bench::join_samples(after).c_str());
  std::fflush(stdout);
}

/// Runs warm-up and timed iterations; `once(d)` fills `d` for one iteration
/// and returns its wall time (kick-off -> all done).
template <class Once>
void drive(const bench::args& a, const std::string& params, const std::vector<i64>& delays,
           bool caf, const char* who, Once once) {
  long chunk = a.get("chunk", 1000);
  bool pace = a.get("pace", 1) != 0;
  run_data d;
  for (int i = 0; i < a.warmup; ++i) {
    d.reset(delays, std::max(a.n / 10, 1L), chunk, pace);
    once(d);
    verify(d, caf, who);
  }
  std::vector<double> sched_s, cpu_s, sched_cpu, wall_s;
  std::vector<stats> lat;
  for (int i = 0; i < a.iterations; ++i) {
    d.reset(delays, a.n, chunk, pace);
    double c0 = bench::cpu_seconds();
    wall_s.push_back(once(d));
    cpu_s.push_back(bench::cpu_seconds() - c0);
    verify(d, caf, who);
    sched_s.push_back(static_cast<double>(d.sched_ns) * 1e-9);
    sched_cpu.push_back(static_cast<double>(d.sched_cpu_ns) / static_cast<double>(a.n));
    lat.push_back(lateness_stats(d));
  }
  report(a, params, sched_s, cpu_s, sched_cpu, wall_s, lat);
}

// -- tandem -----------------------------------------------------------------

namespace td {

struct tick {
  i64 deadline;
  long index;
  bool cancelled; // CAF only; always false here
};
struct next_chunk {};
struct chunk_done {
  tandem::actor scheduler;
};
struct expect {
  long count;
};

void maybe_done(tandem::actor_base* self, run_data& d) {
  if (d.expected >= 0 && d.received >= d.expected)
    self->quit();
}

double once(tandem::actor_system& sys, run_data& d) {
  auto receiver = sys.spawn([&d](tandem::actor_base* self) {
    return tandem::behavior{
      [self, &d](const tick& t) {
        d.on_tick(t.index, t.deadline, !t.cancelled);
        maybe_done(self, d);
      },
      [self](const chunk_done& c) { self->send(c.scheduler, next_chunk{}); },
      [self, &d](const expect& e) {
        d.expected = e.count;
        maybe_done(self, d);
      },
    };
  });
  auto scheduler = sys.spawn(
    [&d](tandem::actor_base* self, tandem::actor to) {
      return tandem::behavior{
        [self, to, &d](next_chunk) {
          auto end = std::min(d.next + d.chunk, d.n);
          auto c0 = thread_cpu_ns();
          auto t0 = steady_ns();
          i64 base = t0;
          const i64* delays = d.delays->data();
          for (long i = d.next; i < end; ++i) {
            if (i % clock_group == 0 && i != d.next)
              base = steady_ns();
            auto delay = delays[i] * bench::opaque_one;
            auto h = self->delayed_send(to, std::chrono::nanoseconds{delay},
                                        tick{base + delay, i, false});
            if (run_data::meant_to_cancel(i)) {
              if (h.cancel())
                ++d.cancelled_ok;
              else
                d.cancel_failed[static_cast<std::size_t>(i)] = 1;
            }
          }
          d.sched_ns += steady_ns() - t0;
          d.sched_cpu_ns += thread_cpu_ns() - c0;
          d.next = end;
          if (end < d.n && d.pace) {
            self->send(to, chunk_done{self->this_actor()});
          } else if (end < d.n) {
            self->send(self->this_actor(), next_chunk{});
          } else {
            d.arming_end.store(steady_ns(), std::memory_order_release);
            self->send(to, expect{d.n - d.cancelled_ok});
            self->quit();
          }
        },
      };
    },
    receiver);
  auto t0 = bench::clock::now();
  tandem::send(scheduler, next_chunk{});
  sys.await_all_actors_done();
  auto s = bench::seconds_since(t0);
  bench::check(sys.timers().pending() == 0,
               "tandem timers: " + std::to_string(sys.timers().pending())
                 + " timers still armed after the run");
  return s;
}

void run(const bench::args& a, const std::string& params, const std::vector<i64>& delays) {
  tandem::actor_system sys{bench::make_tandem_backend(a)};
  drive(a, params, delays, false, "tandem", [&](run_data& d) { return once(sys, d); });
}

} // namespace td

// -- CAF ----------------------------------------------------------------------

namespace cf {

struct tick {
  i64 deadline;
  long index;
  bool cancelled; // "would have been cancelled": the receiver only counts it
};
struct next_chunk {};
struct chunk_done {
  caf::actor scheduler;
};
struct expect {
  long count;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, tick& x) {
  return f(caf::meta::type_name("tick"), x.deadline, x.index, x.cancelled);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, next_chunk&) {
  return f(caf::meta::type_name("next_chunk"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, chunk_done& x) {
  return f(caf::meta::type_name("chunk_done"), x.scheduler);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, expect& x) {
  return f(caf::meta::type_name("expect"), x.count);
}

void maybe_done(caf::event_based_actor* self, run_data& d) {
  if (d.expected >= 0 && d.received >= d.expected)
    self->quit();
}

double once(caf::actor_system& sys, run_data& d) {
  auto receiver = sys.spawn([&d](caf::event_based_actor* self) -> caf::behavior {
    return {
      [self, &d](const tick& t) {
        d.on_tick(t.index, t.deadline, !t.cancelled);
        maybe_done(self, d);
      },
      [self](const chunk_done& c) { self->send(c.scheduler, next_chunk{}); },
      [self, &d](const expect& e) {
        d.expected = e.count;
        maybe_done(self, d);
      },
    };
  });
  auto scheduler = sys.spawn(
    [&d](caf::event_based_actor* self, caf::actor to) -> caf::behavior {
      return {
        [self, to, &d](next_chunk) {
          auto end = std::min(d.next + d.chunk, d.n);
          auto c0 = thread_cpu_ns();
          auto t0 = steady_ns();
          i64 base = t0;
          const i64* delays = d.delays->data();
          for (long i = d.next; i < end; ++i) {
            if (i % clock_group == 0 && i != d.next)
              base = steady_ns();
            auto delay = delays[i] * bench::opaque_one;
            self->delayed_send(to, std::chrono::nanoseconds{delay},
                               tick{base + delay, i, run_data::meant_to_cancel(i)});
          }
          d.sched_ns += steady_ns() - t0;
          d.sched_cpu_ns += thread_cpu_ns() - c0;
          d.next = end;
          if (end < d.n && d.pace) {
            self->send(to, chunk_done{caf::actor_cast<caf::actor>(self)});
          } else if (end < d.n) {
            self->send(self, next_chunk{});
          } else {
            d.arming_end.store(steady_ns(), std::memory_order_release);
            self->send(to, expect{d.n}); // all of them arrive
            self->quit();
          }
        },
      };
    },
    receiver);
  auto t0 = bench::clock::now();
  caf::anon_send(scheduler, next_chunk{});
  sys.await_all_actors_done();
  return bench::seconds_since(t0);
}

void run(const bench::args& a, const std::string& params, const std::vector<i64>& delays) {
  bench::caf_config cfg{a};
  caf::actor_system sys{cfg};
  drive(a, params, delays, true, "caf", [&](run_data& d) { return once(sys, d); });
}

} // namespace cf

} // namespace

int main(int argc, char** argv) {
  auto a = bench::parse(argc, argv, 1'000'000,
                        {"chunk", "pace", "seed", "min-delay-us", "max-delay-us"});
  auto lo = a.get("min-delay-us", 1000) * 1000;
  auto hi = a.get("max-delay-us", 1'000'000) * 1000;
  auto seed = a.get("seed", 42);
  if (a.get("chunk", 1000) <= 0 || lo <= 0 || hi < lo)
    bench::usage(argv[0], "--chunk must be positive and 0 < --min-delay-us <= --max-delay-us");
  std::vector<i64> delays(static_cast<std::size_t>(a.n));
  std::mt19937_64 rng{static_cast<std::uint64_t>(seed)};
  std::uniform_int_distribution<i64> pick{lo, hi};
  for (auto& x : delays)
    x = pick(rng);
  auto params = "timers=" + std::to_string(a.n) + ",cancelled=half,delay_ms="
                + std::to_string(lo / 1'000'000) + "-" + std::to_string(hi / 1'000'000)
                + ",chunk=" + std::to_string(a.get("chunk", 1000))
                + ",pace=" + (a.get("pace", 1) != 0 ? "receiver" : "self")
                + ",msgs=" + std::to_string(a.n);
  if (a.impl == "caf")
    cf::run(a, params, delays);
  else
    td::run(a, params, delays);
}

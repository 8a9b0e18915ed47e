#pragma once

// Shared helpers for tandem's benchmark programs: argument parsing, timing,
// median, peak RSS and the one-line report that bench/run collects.
//
// Every program takes
//   --impl tandem|caf|tandem-coop   which implementation to run
//   --n N                           workload size (its meaning per program)
//   --iterations K                  timed iterations (median reported)
//   --warmup W                      untimed iterations first (size n/10)
//   --threads T                     worker threads (tandem-coop: always 1)
//   --throughput X                  messages per actor turn (0 = each side's default)
// plus program-specific options, and prints
//   bench=NAME impl=I params=... threads=T median_s=... msgs_per_s=...
//   ns_per_msg=... rss_kb=... iterations=K cpu_ns_per_msg=... samples_s=a,b,c
//   cpu_s=a,b,c
// `samples_s` (wall) and `cpu_s` (user + system time of all threads, from
// getrusage) let bench/run pool samples across alternating processes. CPU
// time per message is less sensitive to other load on a shared machine than
// wall time, but counts idle workers' polling too.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <unistd.h>

#include <tandem/runtime/caf_pool.hpp>
#include <tandem/runtime/cooperative_loop.hpp>
#include <tandem/runtime/scheduler.hpp>

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>

namespace bench {

/// Read through this so the compiler cannot fold workloads away.
inline volatile long opaque_one = 1;

struct args {
  std::string impl = "tandem";
  long n = 0;
  int iterations = 5;
  int warmup = 1;
  int threads = 2;
  long throughput = 0;
  std::map<std::string, std::string> extra; // program-specific --key value

  long get(const std::string& key, long fallback) const {
    auto i = extra.find(key);
    return i == extra.end() ? fallback : std::atol(i->second.c_str());
  }
};

[[noreturn]] inline void usage(const char* prog, const char* why) {
  std::fprintf(stderr,
               "%s: %s\nusage: %s --impl tandem|caf|tandem-coop [--n N] [--iterations K] "
               "[--warmup W] [--threads T] [--throughput X] [program options]\n",
               prog, why, prog);
  std::exit(2);
}

/// Parses the common options; `extra_keys` lists the program's own.
inline args parse(int argc, char** argv, long default_n,
                  const std::vector<std::string>& extra_keys = {}) {
  args a;
  a.n = default_n;
  for (int i = 1; i < argc; ++i) {
    std::string key = argv[i];
    if (key == "-h" || key == "--help")
      usage(argv[0], "help");
    if (key.rfind("--", 0) != 0 || i + 1 >= argc)
      usage(argv[0], ("bad argument " + key).c_str());
    std::string val = argv[++i];
    key = key.substr(2);
    if (key == "impl")
      a.impl = val;
    else if (key == "n")
      a.n = std::atol(val.c_str());
    else if (key == "iterations")
      a.iterations = std::atoi(val.c_str());
    else if (key == "warmup")
      a.warmup = std::atoi(val.c_str());
    else if (key == "threads")
      a.threads = std::atoi(val.c_str());
    else if (key == "throughput")
      a.throughput = std::atol(val.c_str());
    else if (std::find(extra_keys.begin(), extra_keys.end(), key) != extra_keys.end())
      a.extra[key] = val;
    else
      usage(argv[0], ("unknown option --" + key).c_str());
  }
  if (a.impl != "tandem" && a.impl != "caf" && a.impl != "tandem-coop")
    usage(argv[0], "--impl must be tandem, caf or tandem-coop");
  if (a.n <= 0 || a.iterations <= 0 || a.threads <= 0 || a.warmup < 0)
    usage(argv[0], "--n, --iterations and --threads must be positive");
  if (a.impl == "tandem-coop")
    a.threads = 1;
  return a;
}

using clock = std::chrono::steady_clock;

inline double seconds_since(clock::time_point t0) {
  return std::chrono::duration<double>(clock::now() - t0).count();
}

inline double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  auto n = xs.size();
  if (n == 0)
    return 0;
  return n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

/// The sample at fraction p of the sorted samples (0 if there are none).
inline double percentile(std::vector<double> xs, double p) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  return xs[std::min(xs.size() - 1, static_cast<std::size_t>(p * static_cast<double>(xs.size())))];
}

/// Peak resident set size of this process, in KiB.
inline long peak_rss_kb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

/// Resident set size of this process right now, in KiB (/proc/self/statm).
inline long current_rss_kb() {
  long pages_total = 0, pages_resident = 0;
  if (auto* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2)
      pages_resident = 0;
    std::fclose(f);
  }
  return pages_resident * (sysconf(_SC_PAGESIZE) / 1024);
}

[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "bench: FAILED: %s\n", what.c_str());
  std::exit(1);
}

inline void check(bool ok, const std::string& what) {
  if (!ok)
    fail(what);
}

/// CPU time (user + system, all threads) this process has used, in seconds.
inline double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
         + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

/// Runs `warmup` untimed iterations of size max(n/10, 1), then `iterations`
/// timed ones; `once(n)` runs one iteration and returns its duration in
/// seconds (it times itself, so set-up such as spawning can stay outside).
/// Prints the report line.

/// Samples as a comma-separated list, for the raw `samples=` fields.
inline std::string join_samples(const std::vector<double>& xs) {
  std::string list;
  for (auto x : xs) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%.6f", list.empty() ? "" : ",", x);
    list += buf;
  }
  return list;
}

/// `extra` is appended to the line as is (e.g. " x_bytes_per_actor=123").
inline void run_and_report(const std::string& name, const args& a, const std::string& params,
                           double msgs_per_iteration, const std::function<double(long)>& once,
                           const std::string& extra = "") {
  for (int i = 0; i < a.warmup; ++i)
    once(std::max(a.n / 10, 1L));
  std::vector<double> samples;
  std::vector<double> cpu;
  for (int i = 0; i < a.iterations; ++i) {
    double c0 = cpu_seconds();
    samples.push_back(once(a.n));
    cpu.push_back(cpu_seconds() - c0);
  }
  double med = median(samples);
  std::printf("bench=%s impl=%s params=%s threads=%d median_s=%.6f msgs_per_s=%.0f "
              "ns_per_msg=%.1f rss_kb=%ld iterations=%d cpu_ns_per_msg=%.1f samples_s=%s "
              "cpu_s=%s%s\n",
              name.c_str(), a.impl.c_str(), params.c_str(), a.threads, med,
              msgs_per_iteration / med, med * 1e9 / msgs_per_iteration, peak_rss_kb(),
              a.iterations, median(cpu) * 1e9 / msgs_per_iteration, join_samples(samples).c_str(),
              join_samples(cpu).c_str(), extra.c_str());
  std::fflush(stdout);
}

/// tandem's backend for `a`: the CAF pool with a.threads workers, or the
/// cooperative loop (run by the main thread in await_all_actors_done).
inline std::unique_ptr<tandem::scheduler> make_tandem_backend(const args& a) {
  if (a.impl == "tandem-coop") {
    tandem::cooperative_loop::options o;
    if (a.throughput > 0)
      o.throughput = static_cast<std::size_t>(a.throughput);
    return std::make_unique<tandem::cooperative_loop>(o);
  }
  tandem::caf_pool::options o;
  o.workers = static_cast<std::size_t>(a.threads);
  if (a.throughput > 0)
    o.throughput = static_cast<std::size_t>(a.throughput);
  return std::make_unique<tandem::caf_pool>(o);
}

/// Plain CAF's configuration for `a`: the work-stealing scheduler with
/// a.threads workers set explicitly (CAF's default is at least 4), CAF's own
/// default throughput unless --throughput says otherwise.
struct caf_config : caf::actor_system_config {
  explicit caf_config(const args& a) {
    set("scheduler.policy", caf::atom("stealing"));
    set("scheduler.max-threads", static_cast<std::size_t>(a.threads));
    if (a.throughput > 0)
      set("scheduler.max-throughput", static_cast<std::size_t>(a.throughput));
  }
};

} // namespace bench

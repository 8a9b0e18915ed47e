// pool_floor: the scheduler alone, no actors — what one hop through the pool
// costs, as a floor for every workload where each message wakes an actor
// (pingpong, threadring, big).
//
// Two trivial jobs hand a turn back and forth --n times: each one's resume
// schedules the other and returns "idle", like an actor that handled its
// message and woke its peer. Counted: n hops.
//   --impl tandem       tandem::resumable jobs on tandem's caf_pool backend
//                       (caf_pool::schedule from the worker, the adapter)
//   --impl caf          caf::resumable jobs on a plain CAF 0.17 scheduler
//                       (execution_unit::exec_later from the worker), the
//                       same coordinator without tandem
//   --impl tandem-coop  tandem::resumable jobs on the cooperative loop
//
//   pool_floor --impl tandem|caf|tandem-coop --n 1000000 --threads 2

#include "bench_support.hpp"

#include <tandem/runtime/caf_pool.hpp>

#include <caf/actor_system.hpp>
#include <caf/execution_unit.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>

namespace {

/// Signals the main thread once the hop count is reached.
struct finish_line {
  std::atomic<long> hops{0};
  long target = 0;
  std::mutex m;
  std::condition_variable cv;
  bool done = false;

  /// True if this hop was the last one.
  bool hop() {
    if (hops.fetch_add(1, std::memory_order_relaxed) + 1 < target)
      return false;
    {
      std::lock_guard<std::mutex> g{m};
      done = true;
    }
    cv.notify_all();
    return true;
  }
  void reset(long n) {
    hops = 0;
    target = n;
    done = false;
  }
  void wait() {
    std::unique_lock<std::mutex> l{m};
    cv.wait(l, [this] { return done; });
  }
};

// -- tandem's backend -----------------------------------------------------------

namespace td {

class bouncer final : public tandem::resumable {
public:
  bouncer(tandem::scheduler& s, finish_line& f) : sched_(s), finish_(f) {}
  bouncer* peer = nullptr;

  tandem::resume_result resume(std::size_t) override {
    if (!finish_.hop())
      sched_.schedule(peer);
    return tandem::resume_result::awaiting;
  }
  void add_ref() noexcept override {}
  void release() noexcept override {}

private:
  tandem::scheduler& sched_;
  finish_line& finish_;
};

void run(const bench::args& a, const std::string& params) {
  auto backend = bench::make_tandem_backend(a);
  finish_line f;
  bouncer x{*backend, f};
  bouncer y{*backend, f};
  x.peer = &y;
  y.peer = &x;
  bench::run_and_report("pool_floor", a, params, static_cast<double>(a.n), [&](long n) {
    f.reset(n);
    auto t0 = bench::clock::now();
    backend->schedule(&x);
    if (a.impl == "tandem-coop")
      backend->run_until([&] { return f.done; });
    else
      f.wait();
    return bench::seconds_since(t0);
  });
}

} // namespace td

// -- plain CAF ------------------------------------------------------------------

namespace cf {

class bouncer final : public caf::resumable, public caf::ref_counted {
public:
  explicit bouncer(finish_line& f) : finish_(f) {}
  bouncer* peer = nullptr;

  subtype_t subtype() const override { return function_object; }

  resume_result resume(caf::execution_unit* unit, size_t) override {
    if (!finish_.hop()) {
      peer->ref(); // taken over by the scheduler
      unit->exec_later(peer);
    }
    return awaiting_message;
  }
  void intrusive_ptr_add_ref_impl() override { ref(); }
  void intrusive_ptr_release_impl() override { deref(); }

private:
  finish_line& finish_;
};

void run(const bench::args& a, const std::string& params) {
  bench::caf_config cfg{a};
  caf::actor_system sys{cfg};
  finish_line f;
  caf::intrusive_ptr<bouncer> x{new bouncer(f), false};
  caf::intrusive_ptr<bouncer> y{new bouncer(f), false};
  x->peer = y.get();
  y->peer = x.get();
  bench::run_and_report("pool_floor", a, params, static_cast<double>(a.n), [&](long n) {
    f.reset(n);
    auto t0 = bench::clock::now();
    x->ref(); // the scheduler's reference, dropped after "awaiting"
    sys.scheduler().enqueue(x.get());
    f.wait();
    return bench::seconds_since(t0);
  });
}

} // namespace cf

} // namespace

int main(int argc, char** argv) {
  auto a = bench::parse(argc, argv, 1'000'000);
  auto params = "hops=" + std::to_string(a.n) + ",msgs=" + std::to_string(a.n);
  if (a.impl == "caf")
    cf::run(a, params);
  else
    td::run(a, params);
}

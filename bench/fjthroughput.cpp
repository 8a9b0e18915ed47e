// fjthroughput: one sender fans messages out round-robin to many actors
// (Savina "Fork Join (throughput)").
//
// --actors A (default 60) workers each receive --n messages (default 10,000):
// a master actor, on its kick-off, sends A*n work{v} round-robin (worker
// i % A gets message i) in one handler. Every worker does a little opaque
// work per message (mixes v into a running hash), and after its n-th
// message checks its count and quits. Counted: A*n messages (kick-off not
// counted). Measures fan-out: one busy writer, many readers that the
// scheduler has to spread over the workers.
//
//   fjthroughput --impl tandem|caf|tandem-coop --n 10000 --actors 60 --threads 2

#include "bench_support.hpp"

#include <tandem/tandem.hpp>

#include <caf/all.hpp>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace {

/// The per-message work: one multiply-xorshift round (a few ns).
inline std::uint64_t mix(std::uint64_t h, long v) {
  h = (h ^ static_cast<std::uint64_t>(v)) * 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 29);
}

// -- tandem -----------------------------------------------------------------

namespace td {

struct work {
  long v;
};
struct kickoff {
  long per_worker;
};

struct worker_state {
  long received = 0;
  std::uint64_t hash = 0;
};

double once(tandem::actor_system& sys, long actors, long per_worker,
            std::atomic<long>& finished) {
  std::vector<tandem::actor> workers;
  workers.reserve(static_cast<std::size_t>(actors));
  for (long i = 0; i < actors; ++i)
    workers.push_back(
      sys.spawn([&finished, per_worker](tandem::stateful_actor<worker_state>* self) {
        return tandem::behavior{
          [self, &finished, per_worker](const work& w) {
            self->state.hash = mix(self->state.hash, w.v);
            if (++self->state.received == per_worker) {
              if (self->state.hash != 0) // 0 only if the work was folded away
                finished.fetch_add(1, std::memory_order_relaxed);
              self->quit();
            }
          },
        };
      }));
  auto master = sys.spawn([&workers](tandem::actor_base* self) {
    return tandem::behavior{
      [self, &workers](const kickoff& k) {
        auto a = workers.size();
        auto total = static_cast<std::size_t>(k.per_worker) * a;
        for (std::size_t i = 0, w = 0; i < total; ++i) {
          self->send(workers[w], work{bench::opaque_one});
          if (++w == a)
            w = 0;
        }
        self->quit();
      },
    };
  });
  auto t0 = bench::clock::now();
  tandem::send(master, kickoff{per_worker});
  master = tandem::actor{};
  sys.await_all_actors_done();
  return bench::seconds_since(t0);
}

void run(const bench::args& a, const std::string& params, long actors) {
  tandem::actor_system sys{bench::make_tandem_backend(a)};
  std::atomic<long> finished{0};
  bench::run_and_report("fjthroughput", a, params, static_cast<double>(actors * a.n), [&](long n) {
    finished = 0;
    auto s = once(sys, actors, n, finished);
    bench::check(finished.load() == actors, "tandem fjthroughput: a worker did not finish");
    return s;
  });
}

} // namespace td

// -- CAF ----------------------------------------------------------------------

namespace cf {

struct work {
  long v;
};
struct kickoff {
  long per_worker;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, work& x) {
  return f(caf::meta::type_name("work"), x.v);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, kickoff& x) {
  return f(caf::meta::type_name("kickoff"), x.per_worker);
}

struct worker_state {
  long received = 0;
  std::uint64_t hash = 0;
};

double once(caf::actor_system& sys, long actors, long per_worker, std::atomic<long>& finished) {
  std::vector<caf::actor> workers;
  workers.reserve(static_cast<std::size_t>(actors));
  for (long i = 0; i < actors; ++i)
    workers.push_back(sys.spawn(
      [&finished, per_worker](caf::stateful_actor<worker_state>* self) -> caf::behavior {
        return {
          [self, &finished, per_worker](const work& w) {
            self->state.hash = mix(self->state.hash, w.v);
            if (++self->state.received == per_worker) {
              if (self->state.hash != 0)
                finished.fetch_add(1, std::memory_order_relaxed);
              self->quit();
            }
          },
        };
      }));
  auto master = sys.spawn([&workers](caf::event_based_actor* self) -> caf::behavior {
    return {
      [self, &workers](const kickoff& k) {
        auto a = workers.size();
        auto total = static_cast<std::size_t>(k.per_worker) * a;
        for (std::size_t i = 0, w = 0; i < total; ++i) {
          self->send(workers[w], work{bench::opaque_one});
          if (++w == a)
            w = 0;
        }
        self->quit();
      },
    };
  });
  auto t0 = bench::clock::now();
  caf::anon_send(master, kickoff{per_worker});
  master = caf::actor{};
  sys.await_all_actors_done();
  return bench::seconds_since(t0);
}

void run(const bench::args& a, const std::string& params, long actors) {
  bench::caf_config cfg{a};
  caf::actor_system sys{cfg};
  std::atomic<long> finished{0};
  bench::run_and_report("fjthroughput", a, params, static_cast<double>(actors * a.n), [&](long n) {
    finished = 0;
    auto s = once(sys, actors, n, finished);
    bench::check(finished.load() == actors, "caf fjthroughput: a worker did not finish");
    return s;
  });
}

} // namespace cf

} // namespace

int main(int argc, char** argv) {
  auto a = bench::parse(argc, argv, 10'000, {"actors"});
  long actors = a.get("actors", 60);
  if (actors <= 0)
    bench::usage(argv[0], "--actors must be positive");
  auto params = "actors=" + std::to_string(actors) + ",per_actor=" + std::to_string(a.n)
                + ",msgs=" + std::to_string(actors * a.n);
  if (a.impl == "caf")
    cf::run(a, params, actors);
  else
    td::run(a, params, actors);
}

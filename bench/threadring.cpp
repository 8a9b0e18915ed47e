// threadring: a token passed around a ring of actors (Savina "ThreadRing").
//
// --actors A (default 100) actors form a ring; a token carrying a hop count
// --n (default 1,000,000) enters at actor 0, and every actor that receives
// token{k > 0} passes token{k - 1} to its successor. The actor that receives
// token{0} sends stop around the ring; every actor forwards it and quits.
// Messages counted: n hops (the entering token and the stops are not
// counted, on either side). Measures hand-off cost: only one actor is ever
// runnable, so every hop wakes an idle actor, and a scheduler that moves
// the token between workers pays for it.
//
//   threadring --impl tandem|caf|tandem-coop --n 1000000 --actors 100 --threads 2

#include "bench_support.hpp"

#include <tandem/tandem.hpp>

#include <caf/all.hpp>

#include <atomic>
#include <string>
#include <vector>

namespace {

// -- tandem -----------------------------------------------------------------

namespace td {

struct token {
  long left;
};
struct stop_msg {};

double once(tandem::actor_system& sys, long actors, long hops, std::atomic<long>& finisher) {
  std::vector<tandem::actor> ring;
  ring.reserve(static_cast<std::size_t>(actors));
  for (long i = 0; i < actors; ++i)
    ring.push_back(sys.spawn([&ring, &finisher, i, actors](tandem::actor_base* self) {
      auto next = static_cast<std::size_t>((i + 1) % actors);
      return tandem::behavior{
        [self, &ring, &finisher, next, i](const token& t) {
          if (t.left > 0) {
            self->send(ring[next], token{t.left - bench::opaque_one});
          } else {
            finisher.store(i, std::memory_order_relaxed);
            self->send(ring[next], stop_msg{});
            self->quit();
          }
        },
        [self, &ring, next](const stop_msg&) {
          self->send(ring[next], stop_msg{}); // the last one finds its successor gone
          self->quit();
        },
      };
    }));
  auto t0 = bench::clock::now();
  tandem::send(ring[0], token{hops});
  sys.await_all_actors_done();
  return bench::seconds_since(t0);
}

void run(const bench::args& a, const std::string& params, long actors) {
  tandem::actor_system sys{bench::make_tandem_backend(a)};
  std::atomic<long> finisher{-1};
  bench::run_and_report("threadring", a, params, static_cast<double>(a.n), [&](long n) {
    finisher = -1;
    auto s = once(sys, actors, n, finisher);
    bench::check(finisher.load() == n % actors, "tandem threadring: token ended at the wrong actor");
    return s;
  });
}

} // namespace td

// -- CAF ----------------------------------------------------------------------

namespace cf {

struct token {
  long left;
};
struct stop_msg {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, token& x) {
  return f(caf::meta::type_name("token"), x.left);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stop_msg&) {
  return f(caf::meta::type_name("stop_msg"));
}

double once(caf::actor_system& sys, long actors, long hops, std::atomic<long>& finisher) {
  std::vector<caf::actor> ring;
  ring.reserve(static_cast<std::size_t>(actors));
  for (long i = 0; i < actors; ++i)
    ring.push_back(
      sys.spawn([&ring, &finisher, i, actors](caf::event_based_actor* self) -> caf::behavior {
        auto next = static_cast<std::size_t>((i + 1) % actors);
        return {
          [self, &ring, &finisher, next, i](const token& t) {
            if (t.left > 0) {
              self->send(ring[next], token{t.left - bench::opaque_one});
            } else {
              finisher.store(i, std::memory_order_relaxed);
              self->send(ring[next], stop_msg{});
              self->quit();
            }
          },
          [self, &ring, next](const stop_msg&) {
            self->send(ring[next], stop_msg{});
            self->quit();
          },
        };
      }));
  auto t0 = bench::clock::now();
  caf::anon_send(ring[0], token{hops});
  sys.await_all_actors_done();
  return bench::seconds_since(t0);
}

void run(const bench::args& a, const std::string& params, long actors) {
  bench::caf_config cfg{a};
  caf::actor_system sys{cfg};
  std::atomic<long> finisher{-1};
  bench::run_and_report("threadring", a, params, static_cast<double>(a.n), [&](long n) {
    finisher = -1;
    auto s = once(sys, actors, n, finisher);
    bench::check(finisher.load() == n % actors, "caf threadring: token ended at the wrong actor");
    return s;
  });
}

} // namespace cf

} // namespace

int main(int argc, char** argv) {
  auto a = bench::parse(argc, argv, 1'000'000, {"actors"});
  long actors = a.get("actors", 100);
  if (actors < 2)
    bench::usage(argv[0], "--actors must be at least 2");
  auto params = "actors=" + std::to_string(actors) + ",hops=" + std::to_string(a.n)
                + ",msgs=" + std::to_string(a.n);
  if (a.impl == "caf")
    cf::run(a, params, actors);
  else
    td::run(a, params, actors);
}

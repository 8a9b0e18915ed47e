// fjcreate: spawn N actors, one message each, they quit (Savina "Fork Join
// (actor creation)").
//
// A master actor, on its kick-off, spawns --n workers (default 200,000) and
// sends each one work{v}; a worker checks v and quits. Counted: n actors
// (msgs_per_s = actors/s; ns_per_msg = ns per actor). Timed: kick-off ->
// every actor terminated, so creation, first schedule, one message and exit.
//
// Memory: before the timed iterations (and the warm-up), on a fresh heap,
// the main thread spawns n idle workers and keeps their handles (in a vector
// reserved beforehand); bytes per idle actor = (RSS after - RSS before) / n,
// printed as x_bytes_per_idle_actor. Then each gets its message and quits.
//
//   fjcreate --impl tandem|caf|tandem-coop --n 200000 --iterations 5 --threads 2

#include "bench_support.hpp"

#include <tandem/tandem.hpp>

#include <caf/all.hpp>

#include <string>
#include <vector>

namespace {

// -- tandem -----------------------------------------------------------------

namespace td {

struct work {
  long v;
};
struct kickoff {
  long n;
};

tandem::behavior worker(tandem::actor_base* self) {
  return tandem::behavior{
    [self](const work& w) {
      if (w.v != 1)
        bench::fail("tandem fjcreate: wrong work value");
      self->quit();
    },
  };
}

double bytes_per_idle_actor(tandem::actor_system& sys, long n) {
  std::vector<tandem::actor> idle;
  idle.reserve(static_cast<std::size_t>(n));
  auto before = bench::current_rss_kb();
  for (long i = 0; i < n; ++i)
    idle.push_back(sys.spawn(worker));
  auto after = bench::current_rss_kb();
  bench::check(sys.live_actors() == static_cast<std::size_t>(n), "tandem fjcreate: idle actors");
  for (auto& w : idle)
    tandem::send(w, work{bench::opaque_one});
  sys.await_all_actors_done();
  return static_cast<double>(after - before) * 1024.0 / static_cast<double>(n);
}

void run(const bench::args& a, const std::string& params) {
  tandem::actor_system sys{bench::make_tandem_backend(a)};
  double per_actor = bytes_per_idle_actor(sys, a.n);
  bench::run_and_report(
    "fjcreate", a, params, static_cast<double>(a.n),
    [&](long n) {
      auto master = sys.spawn([](tandem::actor_base* self) {
        return tandem::behavior{
          [self](const kickoff& k) {
            for (long i = 0; i < k.n; ++i)
              self->send(self->spawn(worker), work{bench::opaque_one});
            self->quit();
          },
        };
      });
      auto t0 = bench::clock::now();
      tandem::send(master, kickoff{n});
      master = tandem::actor{};
      sys.await_all_actors_done();
      return bench::seconds_since(t0);
    },
    " x_bytes_per_idle_actor=" + std::to_string(per_actor));
}

} // namespace td

// -- CAF ----------------------------------------------------------------------

namespace cf {

struct work {
  long v;
};
struct kickoff {
  long n;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, work& x) {
  return f(caf::meta::type_name("work"), x.v);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, kickoff& x) {
  return f(caf::meta::type_name("kickoff"), x.n);
}

caf::behavior worker(caf::event_based_actor* self) {
  return {
    [self](const work& w) {
      if (w.v != 1)
        bench::fail("caf fjcreate: wrong work value");
      self->quit();
    },
  };
}

double bytes_per_idle_actor(caf::actor_system& sys, long n) {
  std::vector<caf::actor> idle;
  idle.reserve(static_cast<std::size_t>(n));
  auto before = bench::current_rss_kb();
  for (long i = 0; i < n; ++i)
    idle.push_back(sys.spawn(worker));
  auto after = bench::current_rss_kb();
  for (auto& w : idle)
    caf::anon_send(w, work{bench::opaque_one});
  idle.clear();
  sys.await_all_actors_done();
  return static_cast<double>(after - before) * 1024.0 / static_cast<double>(n);
}

void run(const bench::args& a, const std::string& params) {
  bench::caf_config cfg{a};
  caf::actor_system sys{cfg};
  double per_actor = bytes_per_idle_actor(sys, a.n);
  bench::run_and_report(
    "fjcreate", a, params, static_cast<double>(a.n),
    [&](long n) {
      auto master = sys.spawn([](caf::event_based_actor* self) -> caf::behavior {
        return {
          [self](const kickoff& k) {
            for (long i = 0; i < k.n; ++i)
              self->send(self->spawn(worker), work{bench::opaque_one});
            self->quit();
          },
        };
      });
      auto t0 = bench::clock::now();
      caf::anon_send(master, kickoff{n});
      master = caf::actor{};
      sys.await_all_actors_done();
      return bench::seconds_since(t0);
    },
    " x_bytes_per_idle_actor=" + std::to_string(per_actor));
}

} // namespace cf

} // namespace

int main(int argc, char** argv) {
  auto a = bench::parse(argc, argv, 200'000);
  auto params = "actors=" + std::to_string(a.n) + ",msgs=" + std::to_string(a.n);
  if (a.impl == "caf")
    cf::run(a, params);
  else
    td::run(a, params);
}

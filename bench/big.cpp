// big: many actors ping random peers (Savina "Big").
//
// --actors A (default 120) workers each send --n pings (default 2,000), one
// at a time, to peers chosen at random (each worker its own xorshift
// generator, seeded from its index and a volatile); the receiver of
// ping{from} answers pong to worker `from`, and a worker sends its next ping
// when its pong arrives. A worker that has had all n pongs tells a sink;
// once all A have, the sink stops every worker. Counted: 2*A*n messages
// (pings + pongs; kick-offs, done and stop not counted). Measures
// many-to-many messaging: all actors busy, random destinations.
//
//   big --impl tandem|caf|tandem-coop --n 2000 --actors 120 --threads 2

#include "bench_support.hpp"

#include <tandem/tandem.hpp>

#include <caf/all.hpp>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace {

struct xorshift {
  std::uint64_t s;
  std::size_t below(std::size_t n) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return static_cast<std::size_t>(s % n);
  }
};

/// A random peer other than `self`.
inline std::size_t pick_peer(xorshift& rng, std::size_t self, std::size_t n) {
  auto p = rng.below(n - 1);
  return p >= self ? p + 1 : p;
}

// -- tandem -----------------------------------------------------------------

namespace td {

struct ping {
  std::size_t from;
};
struct pong {
  long v;
};
struct start_msg {};
struct done_msg {};
struct stop_msg {};

struct worker_state {
  xorshift rng{1};
  long pongs = 0;
};

struct sink_state {
  long done = 0;
};

double once(tandem::actor_system& sys, long actors, long pings, std::atomic<long>& result) {
  std::vector<tandem::actor> peers;
  peers.reserve(static_cast<std::size_t>(actors));
  auto sink = sys.spawn([&peers, &result, actors](tandem::stateful_actor<sink_state>* self) {
    return tandem::behavior{
      [self, &peers, &result, actors](const done_msg&) {
        if (++self->state.done == actors) {
          result.store(self->state.done, std::memory_order_relaxed);
          for (auto& p : peers)
            self->send(p, stop_msg{});
          self->quit();
        }
      },
    };
  });
  for (long i = 0; i < actors; ++i)
    peers.push_back(
      sys.spawn([&peers, sink, pings, i](tandem::stateful_actor<worker_state>* self) {
        auto me = static_cast<std::size_t>(i);
        self->state.rng.s = 0x2545F4914F6CDD1Dull * static_cast<std::uint64_t>(i + bench::opaque_one);
        return tandem::behavior{
          [self, &peers, me](const start_msg&) {
            self->send(peers[pick_peer(self->state.rng, me, peers.size())], ping{me});
          },
          [self, &peers](const ping& p) { self->send(peers[p.from], pong{bench::opaque_one}); },
          [self, &peers, sink, me, pings](const pong& p) {
            self->state.pongs += p.v;
            if (self->state.pongs == pings)
              self->send(sink, done_msg{});
            else
              self->send(peers[pick_peer(self->state.rng, me, peers.size())], ping{me});
          },
          [self](const stop_msg&) { self->quit(); },
        };
      }));
  auto t0 = bench::clock::now();
  for (auto& p : peers)
    tandem::send(p, start_msg{});
  sink = tandem::actor{};
  sys.await_all_actors_done();
  return bench::seconds_since(t0);
}

void run(const bench::args& a, const std::string& params, long actors) {
  tandem::actor_system sys{bench::make_tandem_backend(a)};
  std::atomic<long> result{0};
  bench::run_and_report("big", a, params, 2.0 * static_cast<double>(actors * a.n), [&](long n) {
    result = 0;
    auto s = once(sys, actors, n, result);
    bench::check(result.load() == actors, "tandem big: not every worker finished");
    return s;
  });
}

} // namespace td

// -- CAF ----------------------------------------------------------------------

namespace cf {

struct ping {
  std::size_t from;
};
struct pong {
  long v;
};
struct start_msg {};
struct done_msg {};
struct stop_msg {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ping& x) {
  return f(caf::meta::type_name("ping"), x.from);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pong& x) {
  return f(caf::meta::type_name("pong"), x.v);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, start_msg&) {
  return f(caf::meta::type_name("start_msg"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, done_msg&) {
  return f(caf::meta::type_name("done_msg"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stop_msg&) {
  return f(caf::meta::type_name("stop_msg"));
}

struct worker_state {
  xorshift rng{1};
  long pongs = 0;
};

struct sink_state {
  long done = 0;
};

double once(caf::actor_system& sys, long actors, long pings, std::atomic<long>& result) {
  std::vector<caf::actor> peers;
  peers.reserve(static_cast<std::size_t>(actors));
  auto sink = sys.spawn(
    [&peers, &result, actors](caf::stateful_actor<sink_state>* self) -> caf::behavior {
      return {
        [self, &peers, &result, actors](const done_msg&) {
          if (++self->state.done == actors) {
            result.store(self->state.done, std::memory_order_relaxed);
            for (auto& p : peers)
              self->send(p, stop_msg{});
            self->quit();
          }
        },
      };
    });
  for (long i = 0; i < actors; ++i)
    peers.push_back(sys.spawn(
      [&peers, sink, pings, i](caf::stateful_actor<worker_state>* self) -> caf::behavior {
        auto me = static_cast<std::size_t>(i);
        self->state.rng.s = 0x2545F4914F6CDD1Dull * static_cast<std::uint64_t>(i + bench::opaque_one);
        return {
          [self, &peers, me](const start_msg&) {
            self->send(peers[pick_peer(self->state.rng, me, peers.size())], ping{me});
          },
          [self, &peers](const ping& p) { self->send(peers[p.from], pong{bench::opaque_one}); },
          [self, &peers, sink, me, pings](const pong& p) {
            self->state.pongs += p.v;
            if (self->state.pongs == pings)
              self->send(sink, done_msg{});
            else
              self->send(peers[pick_peer(self->state.rng, me, peers.size())], ping{me});
          },
          [self](const stop_msg&) { self->quit(); },
        };
      }));
  auto t0 = bench::clock::now();
  for (auto& p : peers)
    caf::anon_send(p, start_msg{});
  sink = caf::actor{};
  sys.await_all_actors_done();
  return bench::seconds_since(t0);
}

void run(const bench::args& a, const std::string& params, long actors) {
  bench::caf_config cfg{a};
  caf::actor_system sys{cfg};
  std::atomic<long> result{0};
  bench::run_and_report("big", a, params, 2.0 * static_cast<double>(actors * a.n), [&](long n) {
    result = 0;
    auto s = once(sys, actors, n, result);
    bench::check(result.load() == actors, "caf big: not every worker finished");
    return s;
  });
}

} // namespace cf

} // namespace

int main(int argc, char** argv) {
  auto a = bench::parse(argc, argv, 2'000, {"actors"});
  long actors = a.get("actors", 120);
  if (actors < 2)
    bench::usage(argv[0], "--actors must be at least 2");
  auto params = "actors=" + std::to_string(actors) + ",pings_per_actor=" + std::to_string(a.n)
                + ",msgs=" + std::to_string(2 * actors * a.n);
  if (a.impl == "caf")
    cf::run(a, params, actors);
  else
    td::run(a, params, actors);
}

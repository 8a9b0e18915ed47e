// counting: one producer -> one counter, then ask the total (Savina "Count").
//
// On its kick-off the producer sends --n inc_msg{1} to the counter in one
// handler, then requests the total (request/then) and checks it; then it stops
// the counter and both quit. Messages counted: n (the request, its answer,
// the kick-off and the stop are not counted, on either side). Measures
// one-way throughput: the counter drains a mailbox that the producer fills
// from another worker.
//
// --bound C (tandem only; CAF 0.17 has no bounded mailbox, its side runs
// unbounded) gives the counter a mailbox of C messages that rejects when
// full: the producer then yields (a message to itself) and resumes sending
// when it runs again, so the mailbox, and memory, stay flat.
//
//   counting --impl tandem|caf|tandem-coop --n 1000000 --iterations 5 --threads 2

#include "bench_support.hpp"

#include <tandem/tandem.hpp>

#include <caf/all.hpp>

#include <atomic>
#include <string>

namespace {

// -- tandem -----------------------------------------------------------------

namespace td {

struct inc_msg {
  long value;
};
struct get_total {};
struct stop_msg {};
struct kickoff {
  tandem::actor counter;
  long n;
};

struct counter_state {
  long total = 0;
};

struct more_msg {};

struct producer_state {
  tandem::actor counter;
  long left = 0;
};

double once(tandem::actor_system& sys, long n, long bound, std::atomic<long>& result) {
  tandem::spawn_options opts;
  if (bound > 0)
    opts.mailbox = tandem::bounded(static_cast<std::size_t>(bound));
  auto counter = sys.spawn(opts, [](tandem::stateful_actor<counter_state>* self) {
    return tandem::behavior{
      [self](const inc_msg& m) { self->state.total += m.value; },
      [self](const get_total&) -> long { return self->state.total; },
      [self](const stop_msg&) { self->quit(); },
    };
  });
  auto producer = sys.spawn([&result](tandem::stateful_actor<producer_state>* self) {
    // Sends what is left; a full (bounded) mailbox refuses with mailbox_full,
    // and the producer yields its worker (a message to itself) and goes on
    // from there when it runs again: back-pressure without blocking.
    auto produce = [self, &result] {
      auto& st = self->state;
      for (; st.left > 0; --st.left) {
        if (auto e = self->send(st.counter, inc_msg{bench::opaque_one})) {
          if (!(e == tandem::errc::mailbox_full))
            bench::fail("tandem counting: send failed: " + tandem::to_string(e));
          self->send(self, more_msg{});
          return;
        }
      }
      auto counter = st.counter;
      self->request(counter, get_total{})
        .then(
          [self, counter, &result](long total) {
            result.store(total, std::memory_order_relaxed);
            self->send(counter, stop_msg{});
            self->state.counter = tandem::actor{};
            self->quit();
          },
          [self](tandem::error e) {
            if (e == tandem::errc::mailbox_full) { // bounded: ask again later
              self->send(self, more_msg{});
              return;
            }
            bench::fail("tandem counting: request failed: " + tandem::to_string(e));
            self->quit();
          });
    };
    return tandem::behavior{
      [self, produce](const kickoff& k) {
        self->state.counter = k.counter;
        self->state.left = k.n;
        produce();
      },
      [produce](const more_msg&) { produce(); },
    };
  });
  auto t0 = bench::clock::now();
  tandem::send(producer, kickoff{counter, n});
  producer = tandem::actor{};
  counter = tandem::actor{};
  sys.await_all_actors_done();
  return bench::seconds_since(t0);
}

void run(const bench::args& a, const std::string& params, long bound) {
  tandem::actor_system sys{bench::make_tandem_backend(a)};
  std::atomic<long> result{0};
  bench::run_and_report("counting", a, params, static_cast<double>(a.n), [&](long n) {
    result = 0;
    auto s = once(sys, n, bound, result);
    bench::check(result.load() == n, "tandem counting: wrong total");
    return s;
  });
}

} // namespace td

// -- CAF ----------------------------------------------------------------------

namespace cf {

struct inc_msg {
  long value;
};
struct get_total {};
struct stop_msg {};
struct kickoff {
  caf::actor counter;
  long n;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, inc_msg& x) {
  return f(caf::meta::type_name("inc_msg"), x.value);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, get_total&) {
  return f(caf::meta::type_name("get_total"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stop_msg&) {
  return f(caf::meta::type_name("stop_msg"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, kickoff& x) {
  return f(caf::meta::type_name("kickoff"), x.counter, x.n);
}

struct counter_state {
  long total = 0;
};

double once(caf::actor_system& sys, long n, std::atomic<long>& result) {
  auto counter = sys.spawn([](caf::stateful_actor<counter_state>* self) -> caf::behavior {
    return {
      [self](const inc_msg& m) { self->state.total += m.value; },
      [self](const get_total&) -> long { return self->state.total; },
      [self](const stop_msg&) { self->quit(); },
    };
  });
  auto producer = sys.spawn([&result](caf::event_based_actor* self) -> caf::behavior {
    return {
      [self, &result](const kickoff& k) {
        for (long i = 0; i < k.n; ++i)
          self->send(k.counter, inc_msg{bench::opaque_one});
        auto counter = k.counter;
        self->request(counter, caf::infinite, get_total{})
          .then(
            [self, counter, &result](long total) {
              result.store(total, std::memory_order_relaxed);
              self->send(counter, stop_msg{});
              self->quit();
            },
            [self](caf::error& e) {
              bench::fail("caf counting: request failed: " + self->system().render(e));
            });
      },
    };
  });
  auto t0 = bench::clock::now();
  caf::anon_send(producer, kickoff{counter, n});
  sys.await_all_actors_done();
  return bench::seconds_since(t0);
}

void run(const bench::args& a, const std::string& params) {
  bench::caf_config cfg{a};
  caf::actor_system sys{cfg};
  std::atomic<long> result{0};
  bench::run_and_report("counting", a, params, static_cast<double>(a.n), [&](long n) {
    result = 0;
    auto s = once(sys, n, result);
    bench::check(result.load() == n, "caf counting: wrong total");
    return s;
  });
}

} // namespace cf

} // namespace

int main(int argc, char** argv) {
  auto a = bench::parse(argc, argv, 1'000'000, {"bound"});
  long bound = a.get("bound", 0);
  if (bound < 0)
    bench::usage(argv[0], "--bound must be 0 (unbounded) or positive");
  // CAF 0.17 has no bounded mailbox: its side always runs unbounded.
  auto mailbox = bound > 0 && a.impl != "caf" ? "bounded-" + std::to_string(bound) : "unbounded";
  auto params = "mailbox=" + mailbox + ",msgs=" + std::to_string(a.n);
  if (a.impl == "caf")
    cf::run(a, params);
  else
    td::run(a, params, bound);
}

// request: request/response pairs with a 1 s timeout between two actors
// (design/benchmarks.md "request").
//
// A client actor sends --n requests (default 100,000) to a server actor, each
// `request(server, 1s, req{v}).then(on_value, on_error)`; the server answers
// v + 1. The client keeps --outstanding K requests in flight (default 1:
// request, wait for the answer, next): it issues K at the kick-off and one
// more per answer until n were issued. Once all n are answered it stops the
// server and both quit. Each answer is checked (value, none missing, none
// twice, no error: a timeout fails the run); tandem must also have no timer
// left armed afterwards (every answered request cancelled its timeout).
// Messages counted: n (one per request/response pair). Measures the cost of
// request + timeout bookkeeping, and how it grows with requests outstanding.
//
//   request --impl tandem|caf|tandem-coop --n 100000 --outstanding 1 --iterations 3 --threads 2
//           [--timeout-ms 1000]

#include "bench_support.hpp"

#include <tandem/tandem.hpp>

#include <caf/all.hpp>

#include <atomic>
#include <chrono>
#include <string>

namespace {

/// What one iteration asks for and what the client saw; written by the
/// client actor, read by the main thread after await_all_actors_done().
struct run_data {
  long n = 0;
  long outstanding = 1;
  long timeout_ms = 1000;
  long issued = 0;
  long answered = 0;
  long wrong = 0;
  long errors = 0;
  long sum = 0; // of the answers: checks that each request got its own
  std::string first_error;

  void reset(long count, long k, long t) {
    n = count;
    outstanding = k;
    timeout_ms = t;
    issued = answered = wrong = errors = sum = 0;
    first_error.clear();
  }

  /// Sum of v + 1 for v in [0, n).
  long expected_sum() const { return n * (n - 1) / 2 + n; }

  void verify(const char* who) const {
    std::string w = std::string(who) + " request: ";
    bench::check(errors == 0,
                 w + std::to_string(errors) + " requests failed, first: " + first_error);
    bench::check(wrong == 0, w + std::to_string(wrong) + " wrong answers");
    bench::check(issued == n && answered == n,
                 w + "issued " + std::to_string(issued) + ", answered " + std::to_string(answered)
                   + " of " + std::to_string(n));
    bench::check(sum == expected_sum(), w + "answers do not add up");
  }
};

// -- tandem -----------------------------------------------------------------

namespace td {

struct req {
  long value;
};
struct stop_msg {};
struct kickoff {
  tandem::actor server;
};

struct client_state {
  tandem::actor server;
};

using client = tandem::stateful_actor<client_state>;

void issue(client* self, run_data& d);

void on_answer(client* self, run_data& d) {
  ++d.answered;
  if (d.issued < d.n) {
    issue(self, d);
  } else if (d.answered == d.n) {
    self->send(self->state.server, stop_msg{});
    self->state.server = tandem::actor{};
    self->quit();
  }
}

void issue(client* self, run_data& d) {
  long v = d.issued++;
  self->request(self->state.server, std::chrono::milliseconds(d.timeout_ms), req{v})
    .then(
      [self, &d, v](long r) {
        if (r != v + 1)
          ++d.wrong;
        d.sum += r;
        on_answer(self, d);
      },
      [self, &d](tandem::error e) {
        if (d.errors++ == 0)
          d.first_error = tandem::to_string(e);
        on_answer(self, d);
      });
}

double once(tandem::actor_system& sys, run_data& d) {
  auto server = sys.spawn([](tandem::actor_base* self) {
    return tandem::behavior{
      [](const req& r) -> long { return r.value + bench::opaque_one; },
      [self](const stop_msg&) { self->quit(); },
    };
  });
  auto cl = sys.spawn([&d](client* self) {
    return tandem::behavior{
      [self, &d](const kickoff& k) {
        self->state.server = k.server;
        for (long i = 0; i < d.outstanding && d.issued < d.n; ++i)
          issue(self, d);
      },
    };
  });
  auto t0 = bench::clock::now();
  tandem::send(cl, kickoff{server});
  sys.await_all_actors_done();
  auto s = bench::seconds_since(t0);
  bench::check(sys.timers().pending() == 0,
               "tandem request: " + std::to_string(sys.timers().pending())
                 + " request timeouts still armed after all were answered");
  return s;
}

void run(const bench::args& a, const std::string& params, long k, long timeout_ms) {
  tandem::actor_system sys{bench::make_tandem_backend(a)};
  run_data d;
  bench::run_and_report("request", a, params, static_cast<double>(a.n), [&](long n) {
    d.reset(n, k, timeout_ms);
    auto s = once(sys, d);
    d.verify("tandem");
    return s;
  });
}

} // namespace td

// -- CAF ----------------------------------------------------------------------

namespace cf {

struct req {
  long value;
};
struct stop_msg {};
struct kickoff {
  caf::actor server;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, req& x) {
  return f(caf::meta::type_name("req"), x.value);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stop_msg&) {
  return f(caf::meta::type_name("stop_msg"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, kickoff& x) {
  return f(caf::meta::type_name("kickoff"), x.server);
}

struct client_state {
  caf::actor server;
};

using client = caf::stateful_actor<client_state>;

void issue(client* self, run_data& d);

void on_answer(client* self, run_data& d) {
  ++d.answered;
  if (d.issued < d.n) {
    issue(self, d);
  } else if (d.answered == d.n) {
    self->send(self->state.server, stop_msg{});
    self->state.server = caf::actor{};
    self->quit();
  }
}

void issue(client* self, run_data& d) {
  long v = d.issued++;
  self->request(self->state.server, std::chrono::milliseconds(d.timeout_ms), req{v})
    .then(
      [self, &d, v](long r) {
        if (r != v + 1)
          ++d.wrong;
        d.sum += r;
        on_answer(self, d);
      },
      [self, &d](caf::error& e) {
        if (d.errors++ == 0)
          d.first_error = self->system().render(e);
        on_answer(self, d);
      });
}

double once(caf::actor_system& sys, run_data& d) {
  auto server = sys.spawn([](caf::event_based_actor* self) -> caf::behavior {
    return {
      [](const req& r) -> long { return r.value + bench::opaque_one; },
      [self](const stop_msg&) { self->quit(); },
    };
  });
  auto cl = sys.spawn([&d](client* self) -> caf::behavior {
    return {
      [self, &d](const kickoff& k) {
        self->state.server = k.server;
        for (long i = 0; i < d.outstanding && d.issued < d.n; ++i)
          issue(self, d);
      },
    };
  });
  auto t0 = bench::clock::now();
  caf::anon_send(cl, kickoff{server});
  sys.await_all_actors_done();
  return bench::seconds_since(t0);
}

void run(const bench::args& a, const std::string& params, long k, long timeout_ms) {
  bench::caf_config cfg{a};
  caf::actor_system sys{cfg};
  run_data d;
  bench::run_and_report("request", a, params, static_cast<double>(a.n), [&](long n) {
    d.reset(n, k, timeout_ms);
    auto s = once(sys, d);
    d.verify("caf");
    return s;
  });
}

} // namespace cf

} // namespace

int main(int argc, char** argv) {
  auto a = bench::parse(argc, argv, 100'000, {"outstanding", "timeout-ms"});
  long k = a.get("outstanding", 1);
  long timeout_ms = a.get("timeout-ms", 1000);
  if (k <= 0 || timeout_ms <= 0)
    bench::usage(argv[0], "--outstanding and --timeout-ms must be positive");
  auto params = "outstanding=" + std::to_string(k) + ",timeout_ms=" + std::to_string(timeout_ms)
                + ",msgs=" + std::to_string(a.n);
  if (a.impl == "caf")
    cf::run(a, params, k, timeout_ms);
  else
    td::run(a, params, k, timeout_ms);
}

// mailbox: S senders -> one receiver (CAF's own "mailbox_performance").
//
// --senders S (default 20) each send --n item_msg{1} (default 100,000) to one
// receiver, which counts them and quits when it has all S*n. Messages
// counted: S*n. Measures mailbox contention (many writers, one reader).
//
// --mode actors  (default) the senders are S actors on the same pool, each
//                sending its n messages in one handler once kicked off; with
//                T workers at most T writers run at once.
// --mode threads the senders are S plain threads calling tandem::send /
//                caf::anon_send, released together (CAF's benchmark does
//                this); the pool still has T workers, but S+T threads compete
//                for the cores. Reported as bench=mailbox-threads.
//
// --bound C (tandem, --mode actors; CAF 0.17 has no bounded mailbox, its
//                side runs unbounded) gives the receiver a mailbox of C
//                messages that rejects when full; a refused sender yields (a
//                message to itself) and resumes when it runs again.
//
//   mailbox --impl tandem|caf --n 100000 --senders 20 --mode actors --threads 2

#include "bench_support.hpp"

#include <tandem/tandem.hpp>

#include <caf/all.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

/// Releases S sender threads at once, outside the timed region's set-up.
class start_gate {
public:
  void wait() {
    std::unique_lock<std::mutex> lock{mutex_};
    cv_.wait(lock, [this] { return open_; });
  }
  void open() {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      open_ = true;
    }
    cv_.notify_all();
  }

private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

// -- tandem -----------------------------------------------------------------

namespace td {

struct item_msg {
  long value;
};
struct go_msg {
  long n;
};

struct receiver_state {
  long count = 0;
};

struct more_msg {};

struct sender_state {
  long left = 0;
};

double once(tandem::actor_system& sys, long senders, long n, bool threads, long bound,
            std::atomic<long>& result) {
  const long expected = senders * n;
  tandem::spawn_options opts;
  if (bound > 0)
    opts.mailbox = tandem::bounded(static_cast<std::size_t>(bound));
  auto receiver = sys.spawn(
    opts,
    [&result](tandem::stateful_actor<receiver_state>* self, long expected) {
      return tandem::behavior{
        [self, expected, &result](const item_msg& m) {
          self->state.count += m.value;
          if (self->state.count == expected) {
            result.store(self->state.count, std::memory_order_relaxed);
            self->quit();
          }
        },
      };
    },
    expected);
  if (threads) {
    start_gate gate;
    std::vector<std::thread> pool;
    for (long s = 0; s < senders; ++s)
      pool.emplace_back([&] {
        gate.wait();
        for (long i = 0; i < n; ++i)
          tandem::send(receiver, item_msg{bench::opaque_one});
      });
    auto t0 = bench::clock::now();
    gate.open();
    sys.await_all_actors_done();
    auto s = bench::seconds_since(t0);
    for (auto& t : pool)
      t.join();
    return s;
  }
  std::vector<tandem::actor> workers;
  for (long s = 0; s < senders; ++s)
    workers.push_back(sys.spawn([receiver](tandem::stateful_actor<sender_state>* self) {
      // A full (bounded) mailbox refuses with mailbox_full: the sender yields
      // its worker (a message to itself) and goes on when it runs again.
      auto produce = [self, receiver] {
        for (auto& left = self->state.left; left > 0; --left) {
          if (auto e = self->send(receiver, item_msg{bench::opaque_one})) {
            if (!(e == tandem::errc::mailbox_full))
              bench::fail("tandem mailbox: send failed: " + tandem::to_string(e));
            self->send(self, more_msg{});
            return;
          }
        }
        self->quit();
      };
      return tandem::behavior{
        [self, produce](const go_msg& g) {
          self->state.left = g.n;
          produce();
        },
        [produce](const more_msg&) { produce(); },
      };
    }));
  auto t0 = bench::clock::now();
  for (auto& w : workers)
    tandem::send(w, go_msg{n});
  sys.await_all_actors_done();
  return bench::seconds_since(t0);
}

void run(const bench::args& a, const std::string& params, long senders, bool threads,
         long bound) {
  tandem::actor_system sys{bench::make_tandem_backend(a)};
  std::atomic<long> result{0};
  auto name = threads ? "mailbox-threads" : "mailbox";
  bench::run_and_report(name, a, params, static_cast<double>(senders * a.n), [&](long n) {
    result = 0;
    auto s = once(sys, senders, n, threads, bound, result);
    bench::check(result.load() == senders * n, "tandem mailbox: wrong count");
    return s;
  });
}

} // namespace td

// -- CAF ----------------------------------------------------------------------

namespace cf {

struct item_msg {
  long value;
};
struct go_msg {
  long n;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, item_msg& x) {
  return f(caf::meta::type_name("item_msg"), x.value);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, go_msg& x) {
  return f(caf::meta::type_name("go_msg"), x.n);
}

struct receiver_state {
  long count = 0;
};

double once(caf::actor_system& sys, long senders, long n, bool threads,
            std::atomic<long>& result) {
  const long expected = senders * n;
  auto receiver = sys.spawn(
    [&result](caf::stateful_actor<receiver_state>* self, long expected) -> caf::behavior {
      return {
        [self, expected, &result](const item_msg& m) {
          self->state.count += m.value;
          if (self->state.count == expected) {
            result.store(self->state.count, std::memory_order_relaxed);
            self->quit();
          }
        },
      };
    },
    expected);
  if (threads) {
    start_gate gate;
    std::vector<std::thread> pool;
    for (long s = 0; s < senders; ++s)
      pool.emplace_back([&] {
        gate.wait();
        for (long i = 0; i < n; ++i)
          caf::anon_send(receiver, item_msg{bench::opaque_one});
      });
    auto t0 = bench::clock::now();
    gate.open();
    sys.await_all_actors_done();
    auto s = bench::seconds_since(t0);
    for (auto& t : pool)
      t.join();
    return s;
  }
  std::vector<caf::actor> workers;
  for (long s = 0; s < senders; ++s)
    workers.push_back(sys.spawn([receiver](caf::event_based_actor* self) -> caf::behavior {
      return {
        [self, receiver](const go_msg& g) {
          for (long i = 0; i < g.n; ++i)
            self->send(receiver, item_msg{bench::opaque_one});
          self->quit();
        },
      };
    }));
  auto t0 = bench::clock::now();
  for (auto& w : workers)
    caf::anon_send(w, go_msg{n});
  sys.await_all_actors_done();
  return bench::seconds_since(t0);
}

void run(const bench::args& a, const std::string& params, long senders, bool threads) {
  bench::caf_config cfg{a};
  caf::actor_system sys{cfg};
  std::atomic<long> result{0};
  auto name = threads ? "mailbox-threads" : "mailbox";
  bench::run_and_report(name, a, params, static_cast<double>(senders * a.n), [&](long n) {
    result = 0;
    auto s = once(sys, senders, n, threads, result);
    bench::check(result.load() == senders * n, "caf mailbox: wrong count");
    return s;
  });
}

} // namespace cf

} // namespace

int main(int argc, char** argv) {
  auto a = bench::parse(argc, argv, 100'000, {"senders", "mode", "bound"});
  long senders = a.get("senders", 20);
  long bound = a.get("bound", 0);
  std::string mode = a.extra.count("mode") ? a.extra["mode"] : "actors";
  if (senders <= 0 || (mode != "actors" && mode != "threads"))
    bench::usage(argv[0], "--senders must be positive, --mode actors|threads");
  bool threads = mode == "threads";
  if (bound < 0 || (bound > 0 && threads))
    bench::usage(argv[0], "--bound must be 0 (unbounded) or positive, and needs --mode actors");
  // CAF 0.17 has no bounded mailbox: its side always runs unbounded.
  auto mailbox = bound > 0 && a.impl != "caf" ? "bounded-" + std::to_string(bound) : "unbounded";
  auto params = "senders=" + std::to_string(senders) + ",per_sender=" + std::to_string(a.n)
                + ",mode=" + mode + ",mailbox=" + mailbox + ",msgs=" + std::to_string(senders * a.n);
  if (a.impl == "caf")
    cf::run(a, params, senders, threads);
  else
    td::run(a, params, senders, threads, bound);
}

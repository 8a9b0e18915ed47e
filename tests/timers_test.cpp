#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using tandem_test::all_backends;
using tandem_test::stop;

namespace {

struct tick {
  int value;
};

struct received {
  tandem::duration at; // since the test's start
  int value;
  friend bool operator==(const received& a, const received& b) {
    return a.at == b.at && a.value == b.value;
  }
  friend std::ostream& operator<<(std::ostream& os, const received& r) {
    return os << "(" << r.at.count() << "ns, " << r.value << ")";
  }
};

// Records when (on the system's clock) each tick arrives.
struct recorder_state {
  std::vector<received>* log = nullptr;
  tandem::time_point origin{};
};

tandem::actor spawn_recorder(tandem::actor_system& sys, std::vector<received>& log) {
  auto origin = sys.now();
  return sys.spawn([&log, origin](tandem::actor_base* self) {
    return tandem::behavior{[self, &log, origin](tick t) {
                              log.push_back({self->now() - origin, t.value});
                            },
                            [self](stop) { self->quit(); }};
  });
}

} // namespace

BOOST_AUTO_TEST_SUITE(timers)

BOOST_AUTO_TEST_CASE(delayed_sends_fire_at_their_exact_times_in_order) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  std::vector<received> log;
  auto r = spawn_recorder(sys, log);
  tandem::delayed_send(r, 30ms, tick{3});
  tandem::delayed_send(r, 10ms, tick{1});
  tandem::delayed_send(r, 10ms, tick{2}); // same deadline: in arming order
  tandem::delayed_send(r, 10ms + 1ns, tick{4});
  sched.advance(9ms);
  BOOST_CHECK(log.empty());
  sched.advance(1ms);
  BOOST_TEST(log == (std::vector<received>{{10ms, 1}, {10ms, 2}}), boost::test_tools::per_element());
  sched.advance(1ns);
  BOOST_CHECK_EQUAL(log.size(), 3u);
  sched.advance(1h);
  BOOST_TEST(log == (std::vector<received>{{10ms, 1}, {10ms, 2}, {10ms + 1ns, 4}, {30ms, 3}}),
             boost::test_tools::per_element());
  BOOST_CHECK_EQUAL(sys.timers().pending(), 0u);
}

BOOST_AUTO_TEST_CASE(cancel_before_at_and_after_expiry) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  std::vector<received> log;
  auto r = spawn_recorder(sys, log);
  auto before = tandem::delayed_send(r, 10ms, tick{1});
  auto at = tandem::delayed_send(r, 20ms, tick{2});
  auto after = tandem::delayed_send(r, 30ms, tick{3});
  BOOST_CHECK(before.pending());
  BOOST_CHECK(before.cancel());
  BOOST_CHECK(!before.cancel()); // a second cancel changes nothing
  sched.advance(20ms - 1ns);
  sched.jump(1ns);               // now == the deadline, the timer not yet expired
  BOOST_CHECK(at.cancel());
  sched.advance(30ms);
  BOOST_CHECK(!after.cancel());  // already delivered
  BOOST_CHECK(!after.pending());
  BOOST_TEST(log == (std::vector<received>{{30ms, 3}}), boost::test_tools::per_element());
  BOOST_CHECK_EQUAL(sys.timers().pending(), 0u);
}

namespace {

struct slow_answer {
  tandem::duration after;
};

// Answers each request after the asked delay, through a promise and a
// delayed message to itself.
tandem::behavior slow_responder(tandem::actor_base* self) {
  struct release {
    std::shared_ptr<tandem::response_promise<int>> rp;
  };
  return {[self](slow_answer s) {
            auto rp = std::make_shared<tandem::response_promise<int>>(
              self->make_response_promise<int>());
            self->delayed_send(self->this_actor(), s.after, release{rp});
            return *rp;
          },
          [](const release& r) { r.rp->deliver(42); }};
}

// Requests with a 100 ms timeout an answer that comes after `answer_after`;
// returns what the requester saw.
std::vector<std::string> race(tandem::duration answer_after) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  auto responder = sys.spawn(slow_responder);
  std::vector<std::string> seen;
  sys.spawn([&, responder, answer_after](tandem::actor_base* self) {
    self->request(responder, 100ms, slow_answer{answer_after})
      .then([&](int v) { seen.push_back("value " + std::to_string(v)); },
            [&](tandem::error e) { seen.push_back(tandem::to_string(static_cast<tandem::errc>(e.code()))); });
    return tandem::behavior{};
  });
  sched.advance(1s);
  BOOST_CHECK_EQUAL(sys.timers().pending(), 0u); // the loser's timer is gone too
  return seen;
}

} // namespace

BOOST_AUTO_TEST_CASE(response_one_ns_before_the_deadline_wins) {
  BOOST_TEST(race(100ms - 1ns) == (std::vector<std::string>{"value 42"}));
}

BOOST_AUTO_TEST_CASE(response_one_ns_after_the_deadline_is_dropped) {
  BOOST_TEST(race(100ms + 1ns) == (std::vector<std::string>{"request_timeout"}));
}

BOOST_AUTO_TEST_CASE(timers_to_dead_actors_do_nothing) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  std::vector<received> log;
  auto r = spawn_recorder(sys, log);
  tandem::delayed_send(r, 10ms, tick{1});
  tandem::send(r, stop{});
  sched.advance(1s);
  BOOST_CHECK(log.empty());
  BOOST_CHECK_EQUAL(sys.live_actors(), 0u);
  BOOST_CHECK_EQUAL(sys.timers().pending(), 0u);
}

BOOST_AUTO_TEST_CASE(a_million_timers_half_cancelled_exactly_the_other_half_arrive) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  long long sum = 0;
  long count = 0;
  auto counter = sys.spawn([&](tandem::actor_base*) {
    return tandem::behavior{[&](tick t) {
      sum += t.value;
      ++count;
    }};
  });
  constexpr int n = 1'000'000;
  std::mt19937_64 rng{42};
  std::vector<tandem::timer_handle> handles;
  handles.reserve(n);
  long long expected_sum = 0;
  for (int i = 0; i < n; ++i) {
    auto delay = 1ms + tandem::duration{static_cast<long long>(rng() % 999'000'000)};
    handles.push_back(tandem::delayed_send(counter, delay, tick{i}));
    if (i % 2 == 1)
      expected_sum += i;
  }
  for (int i = 0; i < n; i += 2)
    BOOST_REQUIRE(handles[static_cast<std::size_t>(i)].cancel());
  BOOST_CHECK_EQUAL(sys.timers().pending(), static_cast<std::size_t>(n / 2));
  sched.advance(1s);
  BOOST_CHECK_EQUAL(count, n / 2);
  BOOST_CHECK_EQUAL(sum, expected_sum);
  BOOST_CHECK_EQUAL(sys.timers().pending(), 0u);
}

namespace {

// A bare timer entry that counts its own destruction.
struct counted_entry final : tandem::timer_entry {
  counted_entry(tandem::time_point at, int& destroyed) : timer_entry(at), destroyed_(destroyed) {}
  ~counted_entry() override { ++destroyed_; }
  tandem::time_point fire(tandem::time_point) override { return tandem::time_point::max(); }
  int& destroyed_;
};

struct arm_and_cancel {};
struct arm_many {
  int first;
  int count;
};

} // namespace

// A timer armed and cancelled in one handler never reaches the timer driver:
// its memory is free before the handler returns, and it is never delivered.
BOOST_AUTO_TEST_CASE(a_timer_armed_and_cancelled_in_one_handler_is_gone_at_once) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  std::vector<received> log;
  auto r = spawn_recorder(sys, log);
  int destroyed = 0;
  int destroyed_in_handler = -1;
  bool cancelled = false;
  std::size_t pending_in_handler = 0;
  auto a = sys.spawn([&, r](tandem::actor_base* self) {
    return tandem::behavior{[&, self, r](arm_and_cancel) {
      auto h = self->system().timers().arm(new counted_entry(self->now() + 1ms, destroyed));
      cancelled = h.cancel();
      h = {};
      destroyed_in_handler = destroyed;
      auto send = self->delayed_send(r, 1ms, tick{1});
      self->delayed_send(r, 2ms, tick{2});
      cancelled = cancelled && send.cancel();
      pending_in_handler = self->system().timers().pending();
    }};
  });
  tandem::send(a, arm_and_cancel{});
  sched.advance(10ms);
  BOOST_CHECK(cancelled);
  BOOST_CHECK_EQUAL(destroyed_in_handler, 1);
  BOOST_CHECK_EQUAL(pending_in_handler, 1u); // the kept one, counted before the handler returned
  BOOST_TEST(log == (std::vector<received>{{2ms, 2}}), boost::test_tools::per_element());
  BOOST_CHECK_EQUAL(sys.timers().pending(), 0u);
}

// Cancelling the timer a handler has just armed takes a shortcut when its
// handle is the only one. With a copy of the handle about, the entry must
// still be cancelled exactly once and freed once, when the last handle goes.
BOOST_AUTO_TEST_CASE(a_just_armed_timer_with_two_handles_is_cancelled_once_and_freed_once) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  int destroyed = 0;
  bool first = false;
  bool second = true;
  bool pending_after = true;
  int destroyed_with_one_handle_left = -1;
  int destroyed_with_none_left = -1;
  auto a = sys.spawn([&](tandem::actor_base* self) {
    return tandem::behavior{[&, self](arm_and_cancel) {
      auto h = self->system().timers().arm(new counted_entry(self->now() + 1ms, destroyed));
      auto copy = h;
      first = copy.cancel();
      second = h.cancel();
      pending_after = h.pending() || copy.pending();
      copy = {};
      destroyed_with_one_handle_left = destroyed;
      h = {};
      destroyed_with_none_left = destroyed;
    }};
  });
  tandem::send(a, arm_and_cancel{});
  sched.advance(10ms);
  BOOST_CHECK(first);
  BOOST_CHECK(!second);
  BOOST_CHECK(!pending_after);
  BOOST_CHECK_EQUAL(destroyed_with_one_handle_left, 0);
  BOOST_CHECK_EQUAL(destroyed_with_none_left, 1);
  BOOST_CHECK_EQUAL(sys.timers().pending(), 0u);
}

namespace {

// A clock that moves on by 1 us at every read, and counts the reads: what a
// real clock does between the arms of one handler.
struct stepping_clock final : tandem::scheduler {
  mutable int reads = 0;
  mutable tandem::time_point at{std::chrono::seconds{1}};
  tandem::time_point now() const override {
    ++reads;
    return at += 1us;
  }
  void schedule(tandem::resumable*) override {}
  void run_until(const std::function<bool()>&) override {}
  void notify_waiters() override {}
  void set_timer_handler(tandem::timer_handler*) override {}
  void arm_timer(tandem::time_point) override {}
};

} // namespace

// Inside a handler (an open timer batch) the delays of all the timers it arms
// count from one clock read, taken after the last arm: each deadline is at
// least its call's now() + delay, never earlier. Outside, each arm reads the
// clock at the call.
BOOST_AUTO_TEST_CASE(timers_armed_in_a_handler_share_one_clock_read_after_their_calls) {
  stepping_clock clock;
  tandem::timer_service timers{clock};
  int destroyed = 0;
  std::vector<tandem::timer_entry*> entries;
  std::vector<tandem::timer_handle> handles;
  std::vector<tandem::time_point> called_at;
  int reads_before = 0;
  int reads_inside = 0;
  {
    tandem::detail::timer_batch handler;
    reads_before = clock.reads;
    for (int i = 0; i < 10; ++i) {
      called_at.push_back(clock.at); // what now() read just before this call returned
      entries.push_back(new counted_entry({}, destroyed));
      handles.push_back(timers.arm_after(entries.back(), std::chrono::milliseconds{i}));
      clock.at += 5us; // the handler works on between its arms
    }
    reads_inside = clock.reads - reads_before;
  }
  BOOST_CHECK_EQUAL(reads_inside, 0);
  BOOST_CHECK_EQUAL(clock.reads - reads_before, 1); // one read when the batch was handed over
  auto read_at = clock.at;
  for (int i = 0; i < 10; ++i) {
    BOOST_CHECK(entries[i]->deadline == read_at + std::chrono::milliseconds{i});
    BOOST_CHECK(entries[i]->deadline > called_at[i] + std::chrono::milliseconds{i});
  }
  BOOST_CHECK_EQUAL(timers.pending(), 10u);

  auto before = clock.reads;
  auto* outside = new counted_entry({}, destroyed);
  auto h = timers.arm_after(outside, 3ms);
  BOOST_CHECK_EQUAL(clock.reads - before, 1);
  BOOST_CHECK(outside->deadline == clock.at + 3ms);
  BOOST_CHECK(h.cancel());
}

// Timers armed in handlers wait on their thread until the handler returns;
// equal deadlines still fire in arming order -- across handlers, arms from
// outside any actor, more timers than one batch holds, and cancels in between.
BOOST_AUTO_TEST_CASE(equal_deadlines_fire_in_arming_order_from_handlers_and_outside) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  std::vector<received> log;
  auto r = spawn_recorder(sys, log);
  auto armer = sys.spawn([r](tandem::actor_base* self) {
    return tandem::behavior{[self, r](arm_many m) {
      for (int i = m.first; i < m.first + m.count; ++i) {
        auto h = self->delayed_send(r, 10ms, tick{i});
        if (i % 3 == 0)
          h.cancel();
      }
    }};
  });
  tandem::delayed_send(r, 10ms, tick{-1});
  tandem::send(armer, arm_many{0, 700}); // more than one batch (256)
  sched.run_until_idle();
  tandem::delayed_send(r, 10ms, tick{700});
  tandem::send(armer, arm_many{701, 5});
  sched.advance(10ms);
  std::vector<received> want{{10ms, -1}};
  for (int i = 0; i <= 705; ++i)
    if (i % 3 != 0 || i == 700)
      want.push_back({10ms, i});
  BOOST_TEST(log == want, boost::test_tools::per_element());
  BOOST_CHECK_EQUAL(sys.timers().pending(), 0u);
}

// A handler arming timers of two actor systems in turn: each reaches its own
// system's wheel and fires there.
BOOST_AUTO_TEST_CASE(a_handler_arming_timers_on_two_systems) {
  tandem::deterministic_scheduler sched1;
  tandem::deterministic_scheduler sched2;
  tandem::actor_system sys1{sched1};
  tandem::actor_system sys2{sched2};
  std::vector<received> log1;
  std::vector<received> log2;
  auto r1 = spawn_recorder(sys1, log1);
  auto r2 = spawn_recorder(sys2, log2);
  auto a = sys1.spawn([r1, r2](tandem::actor_base* self) {
    return tandem::behavior{[self, r1, r2](arm_and_cancel) {
      for (int i = 0; i < 6; ++i) {
        auto h = self->delayed_send(i % 2 == 0 ? r1 : r2, 5ms, tick{i});
        if (i == 4)
          h.cancel();
      }
    }};
  });
  tandem::send(a, arm_and_cancel{});
  sched1.run_until_idle();
  BOOST_CHECK_EQUAL(sys1.timers().pending(), 2u);
  BOOST_CHECK_EQUAL(sys2.timers().pending(), 3u);
  sched1.advance(5ms);
  sched2.advance(5ms);
  BOOST_TEST(log1 == (std::vector<received>{{5ms, 0}, {5ms, 2}}), boost::test_tools::per_element());
  BOOST_TEST(log2 == (std::vector<received>{{5ms, 1}, {5ms, 3}, {5ms, 5}}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(ten_thousand_interval_ticks_without_drift) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  std::vector<received> log;
  auto r = spawn_recorder(sys, log);
  tandem::timer_handle every;
  sys.spawn([&, r](tandem::actor_base* self) {
    every = self->send_periodically(r, 7ms, tick{0});
    return tandem::behavior{};
  });
  sched.advance(70s + 3ms);
  BOOST_REQUIRE_EQUAL(log.size(), 10'000u);
  bool exact = true;
  for (std::size_t k = 0; k < log.size(); ++k)
    exact = exact && log[k].at == 7ms * static_cast<long>(k + 1);
  BOOST_CHECK(exact);
  BOOST_CHECK(every.cancel());
  sched.advance(1s);
  BOOST_CHECK_EQUAL(log.size(), 10'000u);
}

namespace {

// An interval of 10 ms; the process stalls for 35 ms after the start.
// Tick times in ms (libc++ 13 cannot print a chrono duration).
std::vector<long long> stall(tandem::missed_tick_policy policy) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  std::vector<received> log;
  auto r = spawn_recorder(sys, log);
  sys.spawn([&, r, policy](tandem::actor_base* self) {
    self->send_periodically(r, 10ms, tick{0}, policy);
    return tandem::behavior{};
  });
  sched.run_until_idle();
  sched.jump(35ms);
  sched.run_until_idle();
  sched.advance(20ms); // up to 55 ms
  std::vector<long long> at;
  for (auto& e : log)
    at.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(e.at).count());
  sys.shutdown();
  return at;
}

} // namespace

BOOST_AUTO_TEST_CASE(missed_tick_policies) {
  using v = std::vector<long long>;
  // skip: one late tick, then back on the grid.
  BOOST_TEST(stall(tandem::missed_tick_policy::skip) == (v{35, 40, 50}), boost::test_tools::per_element());
  // burst: every missed tick at once, then back on the grid.
  BOOST_TEST(stall(tandem::missed_tick_policy::burst) == (v{35, 35, 35, 40, 50}),
             boost::test_tools::per_element());
  // delay: one late tick, then a new grid from there.
  BOOST_TEST(stall(tandem::missed_tick_policy::delay) == (v{35, 45, 55}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_50ms_delayed_send_in_real_time_on_every_backend) {
  for (auto& backend : all_backends()) {
    BOOST_TEST_CONTEXT(backend.name) {
      tandem::actor_system sys{backend.make()};
      std::atomic<long long> waited_ns{-1};
      sys.spawn([&](tandem::actor_base* self) {
        auto start = self->now();
        self->delayed_send(self->this_actor(), 50ms, tick{1});
        return tandem::behavior{[self, start, &waited_ns](tick) {
          waited_ns = (self->now() - start).count();
          self->quit();
        }};
      });
      sys.await_all_actors_done();
      // Loose bounds only: the clock is real (virtual on deterministic).
      BOOST_CHECK_GE(waited_ns.load(), tandem::duration{50ms}.count());
      BOOST_CHECK_LT(waited_ns.load(), tandem::duration{500ms}.count());
    }
  }
}

BOOST_AUTO_TEST_CASE(request_timeout_on_every_backend) {
  for (auto& backend : all_backends()) {
    BOOST_TEST_CONTEXT(backend.name) {
      tandem::actor_system sys{backend.make()};
      // Keeps every promise and never answers.
      auto silent = sys.spawn([](tandem::stateful_actor<std::vector<tandem::response_promise<int>>>* self) {
        return tandem::behavior{[self](int) {
                                  self->state.push_back(self->make_response_promise<int>());
                                  return self->state.back();
                                },
                                [self](stop) { self->quit(); }};
      });
      tandem_test::collector<int> codes;
      sys.spawn([&, silent](tandem::actor_base* self) {
        self->request(silent, 20ms, 1).then([](int) {}, [&, self, silent](tandem::error e) {
          codes.push(e.code());
          self->send(silent, stop{});
        });
        return tandem::behavior{};
      });
      sys.await_all_actors_done();
      BOOST_REQUIRE_EQUAL(codes.size(), 1u);
      BOOST_CHECK_EQUAL(codes.items()[0], static_cast<int>(tandem::errc::request_timeout));
    }
  }
}

BOOST_AUTO_TEST_CASE(run_later_continuations_run_on_the_actor_at_their_time) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  std::vector<std::string> seen;
  auto origin = sys.now();
  sys.spawn([&, origin](tandem::actor_base* self) {
    auto stamp = [&, self, origin](std::string what) {
      seen.push_back(what + "@" + std::to_string((self->now() - origin) / 1ms));
    };
    self->run_later(20ms, [stamp] { stamp("b"); });
    self->run_later(10ms, [stamp] { stamp("a"); });
    auto never = self->run_later(15ms, [stamp] { stamp("cancelled"); });
    never.cancel();
    // A behavior keeps it running: pending continuations alone do not (as
    // delayed messages do not keep a CAF actor without behavior alive).
    return tandem::behavior{[](stop) {}};
  });
  sched.advance(1s);
  BOOST_TEST(seen == (std::vector<std::string>{"a@10", "b@20"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(idle_timeout_fires_after_silence_and_again_while_idle) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  struct idle {};
  struct poke {};
  std::vector<long long> idle_at;
  auto origin = sys.now();
  auto a = sys.spawn([&, origin](tandem::actor_base* self) {
    self->set_idle_timeout(100ms, idle{});
    return tandem::behavior{[&, self, origin](idle) { idle_at.push_back((self->now() - origin) / 1ms); },
                            [](poke) {},
                            [self](stop) { self->clear_idle_timeout(); }};
  });
  sched.advance(60ms);
  tandem::send(a, poke{}); // activity at 60 ms postpones the first notice
  sched.advance(150ms);    // to 210 ms
  BOOST_TEST(idle_at == (std::vector<long long>{160}), boost::test_tools::per_element());
  sched.advance(100ms);    // still idle: again 100 ms later
  BOOST_TEST(idle_at == (std::vector<long long>{160, 260}), boost::test_tools::per_element());
  tandem::send(a, stop{});
  sched.advance(1s);
  BOOST_CHECK_EQUAL(idle_at.size(), 2u); // cleared
}

BOOST_AUTO_TEST_CASE(timeout_wraps_a_request) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  auto responder = sys.spawn(slow_responder);
  std::vector<std::string> seen;
  sys.spawn([&, responder](tandem::actor_base* self) {
    tandem::timeout(50ms, self->request(responder, slow_answer{80ms}))
      .then([&](int) { seen.push_back("value"); },
            [&](tandem::error e) { seen.push_back(e.message()); });
    return tandem::behavior{};
  });
  sched.run_until_quiet();
  BOOST_TEST(seen == (std::vector<std::string>{"no response within 50 ms"}), boost::test_tools::per_element());
}

#if TANDEM_TEST_HAS_THREADS

// Cancel races expiry from several threads: every timer is either cancelled
// (cancel() returned true) or delivered, never both, never neither.
BOOST_AUTO_TEST_CASE(cancel_racing_expiry_from_several_threads) {
  tandem::actor_system sys{std::make_unique<tandem::caf_pool>(tandem::caf_pool::options{2, 100})};
  std::atomic<long> delivered{0};
  auto counter = sys.spawn([&](tandem::actor_base* self) {
    return tandem::behavior{[&](tick) { ++delivered; }, [self](stop) { self->quit(); }};
  });
  constexpr int threads = 4;
  constexpr int per_thread = 5'000;
  std::atomic<long> cancelled{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      std::mt19937_64 rng{static_cast<std::uint64_t>(t)};
      for (int i = 0; i < per_thread; ++i) {
        auto h = tandem::delayed_send(counter, tandem::duration{static_cast<long long>(rng() % 2'000'000)}, tick{i});
        if (rng() % 2 == 0) {
          if (rng() % 4 == 0)
            std::this_thread::yield();
          if (h.cancel())
            ++cancelled;
        }
      }
    });
  for (auto& w : workers)
    w.join();
  while (sys.timers().pending() != 0)
    std::this_thread::sleep_for(1ms);
  tandem::send(counter, stop{}); // behind every delivered tick
  sys.await_all_actors_done();
  BOOST_CHECK_EQUAL(delivered.load() + cancelled.load(), static_cast<long>(threads) * per_thread);
  BOOST_CHECK_GT(cancelled.load(), 0);
}

// Timers armed in handlers on the pool, cancelled by other threads while the
// handler still holds them, while its batch is being put into the wheel, and
// while they expire: each is cancelled or delivered, exactly one of the two.
BOOST_AUTO_TEST_CASE(cancels_from_other_threads_race_handler_batches_and_expiry) {
  tandem::actor_system sys{std::make_unique<tandem::caf_pool>(tandem::caf_pool::options{2, 100})};
  std::atomic<long> delivered{0};
  auto counter = sys.spawn([&](tandem::actor_base* self) {
    return tandem::behavior{[&](tick) { ++delivered; }, [self](stop) { self->quit(); }};
  });
  std::mutex handles_mutex;
  std::vector<tandem::timer_handle> handles;
  std::atomic<long> armed{0};
  std::atomic<long> cancelled{0};
  std::atomic<int> armers_done{0};
  constexpr int armers = 3;
  constexpr int rounds = 20;
  constexpr int per_round = 300; // more than one batch
  for (int a = 0; a < armers; ++a) {
    auto armer = sys.spawn([&, a](tandem::actor_base* self) {
      auto rng = std::make_shared<std::mt19937_64>(static_cast<std::uint64_t>(a));
      return tandem::behavior{[&, self, rng](arm_many m) {
        for (int i = 0; i < m.count; ++i) {
          auto h = self->delayed_send(counter, tandem::duration{static_cast<long long>((*rng)() % 2'000'000)}, tick{i});
          ++armed;
          auto pick = (*rng)() % 4;
          if (pick == 0) {
            if (h.cancel())
              ++cancelled;
          } else if (pick == 1) {
            std::lock_guard<std::mutex> guard{handles_mutex};
            handles.push_back(std::move(h));
          }
        }
        if (m.first + 1 < rounds)
          self->send(self->this_actor(), arm_many{m.first + 1, m.count});
        else {
          ++armers_done;
          self->quit();
        }
      }};
    });
    tandem::send(armer, arm_many{0, per_round});
  }
  std::vector<std::thread> cancellers;
  for (int t = 0; t < 2; ++t)
    cancellers.emplace_back([&] {
      for (;;) {
        bool finished = armers_done.load() == armers;
        std::vector<tandem::timer_handle> batch;
        {
          std::lock_guard<std::mutex> guard{handles_mutex};
          batch.swap(handles);
        }
        for (auto& h : batch)
          if (h.cancel())
            ++cancelled;
        if (finished && batch.empty())
          return;
        std::this_thread::yield();
      }
    });
  for (auto& c : cancellers)
    c.join();
  while (sys.timers().pending() != 0)
    std::this_thread::sleep_for(1ms);
  tandem::send(counter, stop{}); // behind every delivered tick
  sys.await_all_actors_done();
  BOOST_CHECK_EQUAL(armed.load(), static_cast<long>(armers) * rounds * per_round);
  BOOST_CHECK_EQUAL(delivered.load() + cancelled.load(), armed.load());
  BOOST_CHECK_GT(cancelled.load(), 0);
}

#endif

BOOST_AUTO_TEST_SUITE_END()

#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

using tandem_test::stop;

namespace {

// A user-supplied backend: single-threaded, newest-first. Anything that
// implements tandem::scheduler can run actors.
class lifo_scheduler final : public tandem::scheduler {
public:
  ~lifo_scheduler() override {
    for (auto* job : stack_)
      job->release();
  }
  void schedule(tandem::resumable* job) override { stack_.push_back(job); }
  tandem::time_point now() const override { return tandem::time_point{}; }
  void run_until(const std::function<bool()>& done) override {
    while (!done() && (!stack_.empty() || armed_ != tandem::time_point::max())) {
      if (stack_.empty()) {
        auto at = armed_;
        armed_ = tandem::time_point::max();
        arm_timer(timers_->expire(at));
        continue;
      }
      auto* job = stack_.back();
      stack_.pop_back();
      ++turns;
      if (job->resume(10) == tandem::resume_result::resume_later)
        stack_.push_back(job);
      else
        job->release();
    }
  }
  void notify_waiters() override {}
  // No clock: a timer fires as soon as nothing else is runnable.
  void set_timer_handler(tandem::timer_handler* h) override { timers_ = h; }
  void arm_timer(tandem::time_point deadline) override { armed_ = std::min(armed_, deadline); }

  std::size_t turns = 0;

private:
  std::vector<tandem::resumable*> stack_;
  tandem::timer_handler* timers_ = nullptr;
  tandem::time_point armed_ = tandem::time_point::max();
};

struct ping {
  int left;
};

} // namespace

BOOST_AUTO_TEST_SUITE(backends)

BOOST_AUTO_TEST_CASE(a_user_supplied_backend_runs_actors) {
  lifo_scheduler lifo;
  {
    tandem::actor_system sys{lifo};
    std::atomic<int> result{0};
    auto doubler = sys.spawn([](tandem::actor_base* self) {
      return tandem::behavior{[](int x) { return 2 * x; }, [self](stop) { self->quit(); }};
    });
    sys.spawn([&, doubler](tandem::actor_base* self) {
      self->request(doubler, 21).then([&, self, doubler](int x) {
        result = x;
        self->send(doubler, stop{});
        self->quit();
      });
      return tandem::behavior{[](int) {}};
    });
    sys.await_all_actors_done();
    BOOST_CHECK_EQUAL(result.load(), 42);
    BOOST_CHECK_EQUAL(sys.live_actors(), 0u);
  }
  BOOST_CHECK_GT(lifo.turns, 0u);
}

BOOST_AUTO_TEST_CASE(cooperative_loop_runs_only_when_driven) {
  tandem::cooperative_loop loop;
  tandem::actor_system sys{loop};
  int handled = 0;
  auto a = sys.spawn([&handled] { return tandem::behavior{[&handled](int) { ++handled; }}; });
  tandem::send(a, 1);
  tandem::send(a, 2);
  BOOST_CHECK_EQUAL(handled, 0);
  BOOST_CHECK_EQUAL(loop.runnable(), 1u);
  BOOST_CHECK(loop.run_once());
  BOOST_CHECK_EQUAL(handled, 2);
  BOOST_CHECK(!loop.run_once());
  tandem::send(a, 3);
  BOOST_CHECK_EQUAL(loop.run_until_idle(), 1u);
  BOOST_CHECK_EQUAL(handled, 3);
}

BOOST_AUTO_TEST_CASE(throughput_budget_keeps_a_busy_actor_from_starving_others) {
  // The spinner sends itself a message per message, forever; with a budget of
  // 5 per turn the loop must still get to the other actor.
  tandem::cooperative_loop loop{tandem::cooperative_loop::options{5}};
  tandem::actor_system sys{loop};
  long spins = 0;
  auto spinner = sys.spawn([&spins](tandem::actor_base* self) {
    return tandem::behavior{[self, &spins](ping p) {
      ++spins;
      self->send(self->this_actor(), p);
    }};
  });
  bool other_ran = false;
  auto other = sys.spawn([&other_ran] { return tandem::behavior{[&other_ran](int) { other_ran = true; }}; });
  tandem::send(spinner, ping{0});
  tandem::send(other, 1);
  for (int i = 0; i < 4 && !other_ran; ++i)
    loop.run_once();
  BOOST_CHECK(other_ran);
  BOOST_CHECK_LE(spins, 15);
}

BOOST_AUTO_TEST_CASE(run_for_returns_when_its_time_is_up) {
  tandem::cooperative_loop loop;
  auto start = std::chrono::steady_clock::now();
  loop.run_for(std::chrono::milliseconds(30));
  auto took = std::chrono::steady_clock::now() - start;
  BOOST_CHECK(took >= std::chrono::milliseconds(30));
  BOOST_CHECK(took < std::chrono::seconds(5));
}

BOOST_AUTO_TEST_CASE(cooperative_loop_run_until_asks_done_after_notify_waiters_not_every_turn) {
  // One message per turn; the spinner sends itself messages forever and
  // says at the 500th that the condition holds.
  tandem::cooperative_loop loop{tandem::cooperative_loop::options{1}};
  tandem::actor_system sys{loop};
  long spins = 0;
  bool reached = false;
  auto spinner = sys.spawn([&](tandem::actor_base* self) {
    return tandem::behavior{[&, self](ping p) {
      if (++spins == 500) {
        reached = true;
        loop.notify_waiters();
      }
      self->send(self->this_actor(), p);
    }};
  });
  tandem::send(spinner, ping{0});
  int asked = 0;
  loop.run_until([&] {
    ++asked;
    return reached;
  });
  BOOST_CHECK_EQUAL(spins, 500); // back right after the notifying turn
  BOOST_CHECK_EQUAL(asked, 2);   // at the start and after the notice
  sys.shutdown();
}

BOOST_AUTO_TEST_CASE(cooperative_loop_run_until_asks_done_when_out_of_work) {
  // A condition nobody announces still ends run_until once the loop is idle.
  tandem::cooperative_loop loop;
  tandem::actor_system sys{loop};
  int handled = 0;
  auto a = sys.spawn([&handled] { return tandem::behavior{[&handled](int) { ++handled; }}; });
  for (int i = 0; i < 3; ++i)
    tandem::send(a, i);
  loop.run_until([&] { return handled == 3; });
  BOOST_CHECK_EQUAL(handled, 3);
}

#if TANDEM_TEST_HAS_THREADS

BOOST_AUTO_TEST_CASE(cooperative_loop_accepts_work_and_stop_from_other_threads) {
  tandem::cooperative_loop loop;
  tandem::actor_system sys{loop};
  std::atomic<int> handled{0};
  auto a = sys.spawn([&handled, &loop] {
    return tandem::behavior{[&handled, &loop](int x) {
      if (++handled == 100 || x < 0)
        loop.stop();
    }};
  });
  std::thread producer{[a] {
    for (int i = 0; i < 100; ++i)
      tandem::send(a, i);
  }};
  loop.run(); // sleeps while idle; woken by the producer's sends
  producer.join();
  BOOST_CHECK_EQUAL(handled.load(), 100);
}

namespace {

// Not an actor: a resumable that needs `turns` turns, counting what the loop
// does with it.
class countdown final : public tandem::resumable {
public:
  explicit countdown(int turns) : left_(turns) {}
  tandem::resume_result resume(std::size_t) override {
    ++resumes;
    return --left_ > 0 ? tandem::resume_result::resume_later : tandem::resume_result::done;
  }
  void add_ref() noexcept override { ++refs; }
  void release() noexcept override { --refs; }

  int resumes = 0;
  int refs = 1;

private:
  int left_;
};

} // namespace

BOOST_AUTO_TEST_CASE(cooperative_loop_releases_a_plain_resumable_once_it_is_done) {
  tandem::cooperative_loop loop;
  countdown job{3};
  loop.schedule(&job); // takes over the one reference
  BOOST_CHECK(loop.run_once());
  BOOST_CHECK_EQUAL(job.resumes, 1);
  BOOST_CHECK_EQUAL(job.refs, 1); // resume_later: still queued, still held
  BOOST_CHECK_EQUAL(loop.run_until_idle(), 2u);
  BOOST_CHECK_EQUAL(job.resumes, 3);
  BOOST_CHECK_EQUAL(job.refs, 0); // done: the loop's reference dropped, once
  BOOST_CHECK(!loop.run_once());
}

BOOST_AUTO_TEST_CASE(an_actor_woken_from_another_loops_turn_runs_on_its_own_loop) {
  // Two loops on one thread: a send from a turn of `first` to an actor of
  // `second` must be queued on `second` (and wake its host), not taken for a
  // local wake-up of the loop that is running.
  tandem::cooperative_loop first;
  tandem::cooperative_loop second;
  int second_wakeups = 0;
  second.set_wakeup([&second_wakeups] { ++second_wakeups; });
  tandem::actor_system first_sys{first};
  tandem::actor_system second_sys{second};
  int handled_by_b = 0;
  auto b = second_sys.spawn([&handled_by_b] {
    return tandem::behavior{[&handled_by_b](int) { ++handled_by_b; }};
  });
  auto a = first_sys.spawn([b](tandem::actor_base* self) {
    return tandem::behavior{[self, b](int x) { self->send(b, x); }};
  });
  second.run_until_idle();
  second_wakeups = 0;
  tandem::send(a, 1);
  BOOST_CHECK_EQUAL(first.run_until_idle(), 1u);
  BOOST_CHECK_EQUAL(handled_by_b, 0);
  BOOST_CHECK_EQUAL(second.runnable(), 1u);
  BOOST_CHECK_EQUAL(second_wakeups, 1);
  BOOST_CHECK_EQUAL(second.run_until_idle(), 1u);
  BOOST_CHECK_EQUAL(handled_by_b, 1);
}

BOOST_AUTO_TEST_CASE(caf_pool_worker_count_is_configurable) {
  tandem::caf_pool two{tandem::caf_pool::options{2, 50}};
  BOOST_CHECK_EQUAL(two.workers(), 2u);
  tandem::caf_pool dflt;
  BOOST_CHECK_EQUAL(dflt.workers(), std::max(1u, std::thread::hardware_concurrency()));
}

BOOST_AUTO_TEST_CASE(caf_pool_throughput_budget_shares_one_worker) {
  tandem::actor_system sys{std::make_unique<tandem::caf_pool>(tandem::caf_pool::options{1, 5})};
  std::atomic<bool> other_ran{false};
  std::atomic<long> spins{0};
  auto spinner = sys.spawn([&](tandem::actor_base* self) {
    return tandem::behavior{[self, &spins, &other_ran](ping p) {
      ++spins;
      if (!other_ran)
        self->send(self->this_actor(), p);
      else
        self->quit();
    }};
  });
  auto other = sys.spawn([&](tandem::actor_base* self) {
    return tandem::behavior{[self, &other_ran](int) {
      other_ran = true;
      self->quit();
    }};
  });
  tandem::send(spinner, ping{0});
  tandem::send(other, 1);
  sys.await_all_actors_done();
  BOOST_CHECK(other_ran.load());
}

#endif

BOOST_AUTO_TEST_SUITE_END()

#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>

using tandem_test::all_backends;
using tandem_test::stop;

namespace {

struct boom {};
struct die_with {
  int code;
};

// An actor that quits on stop, throws on boom, and fails with a code on die_with.
tandem::behavior fragile(tandem::actor_base* self) {
  return {[self](stop) { self->quit(); },
          [](boom) -> int { throw std::runtime_error("kaboom"); },
          [self](die_with d) { self->quit(tandem::error{d.code, "told to die"}); },
          [](int x) { return x; }};
}

} // namespace

BOOST_AUTO_TEST_SUITE(lifecycle)

BOOST_AUTO_TEST_CASE(monitor_reports_normal_exit_and_reason) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  auto a = sys.spawn(fragile);
  auto b = sys.spawn(fragile);
  std::vector<std::pair<tandem::actor_id, int>> downs;
  sys.spawn([&, a, b](tandem::actor_base* self) {
    self->monitor(a);
    self->monitor(b);
    return tandem::behavior{[&](const tandem::down_msg& d) {
      downs.emplace_back(d.source.id(), d.reason.code());
    }};
  });
  sched.run_until_idle();
  tandem::send(a, stop{});
  tandem::send(b, die_with{77});
  sched.run_until_idle();
  BOOST_REQUIRE_EQUAL(downs.size(), 2u);
  std::sort(downs.begin(), downs.end());
  BOOST_CHECK_EQUAL(downs[0].first, a.id());
  BOOST_CHECK_EQUAL(downs[0].second, 0);
  BOOST_CHECK_EQUAL(downs[1].first, b.id());
  BOOST_CHECK_EQUAL(downs[1].second, 77);
}

BOOST_AUTO_TEST_CASE(monitoring_a_dead_actor_reports_at_once) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  auto a = sys.spawn(fragile);
  tandem::send(a, die_with{5});
  sched.run_until_idle();
  int code = 0;
  sys.spawn([&, a](tandem::actor_base* self) {
    self->monitor(a);
    return tandem::behavior{[&](const tandem::down_msg& d) { code = d.reason.code(); }};
  });
  sched.run_until_idle();
  BOOST_CHECK_EQUAL(code, 5);
}

BOOST_AUTO_TEST_CASE(monitoring_or_linking_an_actor_that_exited_normally_reports_at_once) {
  // An actor that quits normally with nobody watching keeps no exit record;
  // a later monitor still hears of a normal exit, a later link of noproc.
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  auto a = sys.spawn([](tandem::actor_base* self) {
    return tandem::behavior{[self](int) { self->quit(); }};
  });
  tandem::send(a, 1);
  sched.run_until_idle();
  int downs = 0;
  int down_code = -1;
  int exit_code = 0;
  sys.spawn([&, a](tandem::actor_base* self) {
    self->trap_exit(true);
    self->monitor(a);
    self->link_to(a);
    return tandem::behavior{
      [&](const tandem::down_msg& d) {
        ++downs;
        down_code = d.reason.code();
      },
      [&, self](const tandem::exit_msg& e) {
        exit_code = e.reason.code();
        self->quit();
      },
    };
  });
  sched.run_until_idle();
  BOOST_CHECK_EQUAL(downs, 1);
  BOOST_CHECK_EQUAL(down_code, 0);
  BOOST_CHECK_EQUAL(exit_code, static_cast<int>(tandem::errc::receiver_down));
}

BOOST_AUTO_TEST_CASE(demonitor_stops_the_notice) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  auto a = sys.spawn(fragile);
  int downs = 0;
  struct forget {};
  auto watcher = sys.spawn([&, a](tandem::actor_base* self) {
    self->monitor(a);
    return tandem::behavior{[&](const tandem::down_msg&) { ++downs; },
                            [self, a](forget) { self->demonitor(a); }};
  });
  tandem::send(watcher, forget{});
  sched.run_until_idle();
  tandem::send(a, stop{});
  sched.run_until_idle();
  BOOST_CHECK_EQUAL(downs, 0);
}

BOOST_AUTO_TEST_CASE(exception_fails_only_that_actor_with_its_message) {
  for (auto& backend : all_backends()) {
    BOOST_TEST_CONTEXT(backend.name) {
      tandem::actor_system sys{backend.make()};
      auto victim = sys.spawn(fragile);
      auto bystander = sys.spawn(fragile);
      tandem_test::collector<std::string> seen;
      sys.spawn([&, victim, bystander](tandem::actor_base* self) {
        self->monitor(victim);
        self->request(victim, boom{}).then([](int) {}, [&](tandem::error e) {
          seen.push("request: " + to_string(e));
        });
        return tandem::behavior{[&, self, bystander](const tandem::down_msg& d) {
          seen.push("down: " + to_string(d.reason));
          // The rest of the system keeps running.
          self->request(bystander, 9).then([&, self, bystander](int x) {
            seen.push("bystander: " + std::to_string(x));
            self->send(bystander, stop{});
            self->quit();
          });
        }};
      });
      sys.await_all_actors_done();
      auto items = seen.items();
      BOOST_REQUIRE_EQUAL(items.size(), 3u);
      BOOST_CHECK_EQUAL(items[0], "request: unhandled_exception: kaboom");
      BOOST_CHECK_EQUAL(items[1], "down: unhandled_exception: kaboom");
      BOOST_CHECK_EQUAL(items[2], "bystander: 9");
    }
  }
}

BOOST_AUTO_TEST_CASE(link_propagates_failure_but_not_normal_exit) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  struct link_to_msg {
    tandem::actor other;
  };
  auto linker = [](tandem::actor_base* self) {
    return tandem::behavior{[self](const link_to_msg& m) { self->link_to(m.other); },
                            [self](stop) { self->quit(); }};
  };
  auto failing = sys.spawn(fragile);
  auto quitting = sys.spawn(fragile);
  auto linked_to_failing = sys.spawn(linker);
  auto linked_to_quitting = sys.spawn(linker);
  tandem::send(linked_to_failing, link_to_msg{failing});
  tandem::send(linked_to_quitting, link_to_msg{quitting});
  tandem::error reason;
  bool other_down = false;
  sys.spawn([&, linked_to_failing, linked_to_quitting](tandem::actor_base* self) {
    self->monitor(linked_to_failing);
    self->monitor(linked_to_quitting);
    return tandem::behavior{[&, linked_to_failing](const tandem::down_msg& m) {
      if (m.source == linked_to_failing)
        reason = m.reason;
      else
        other_down = true;
    }};
  });
  sched.run_until_idle();
  tandem::send(failing, die_with{13});
  tandem::send(quitting, stop{});
  sched.run_until_idle();
  BOOST_CHECK_EQUAL(reason.code(), 13);   // the failure travelled over the link
  BOOST_CHECK(!other_down);               // the normal exit did not
  BOOST_CHECK_EQUAL(sys.live_actors(), 2u); // linked_to_quitting and the watcher
}

BOOST_AUTO_TEST_CASE(trap_exit_turns_partner_failure_into_a_message) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  auto worker = sys.spawn(fragile);
  int seen_code = 0;
  auto supervisor = sys.spawn([&, worker](tandem::actor_base* self) {
    self->trap_exit(true);
    self->link_to(worker);
    return tandem::behavior{[&](const tandem::exit_msg& e) { seen_code = e.reason.code(); }};
  });
  sched.run_until_idle();
  tandem::send(worker, die_with{21});
  sched.run_until_idle();
  BOOST_CHECK_EQUAL(seen_code, 21);
  BOOST_CHECK_EQUAL(sys.live_actors(), 1u); // the supervisor lives on
  (void) supervisor;
}

BOOST_AUTO_TEST_CASE(request_to_a_dead_actor_fails_promptly) {
  for (auto& backend : all_backends()) {
    BOOST_TEST_CONTEXT(backend.name) {
      tandem::actor_system sys{backend.make()};
      auto target = sys.spawn(fragile);
      tandem::send(target, stop{});
      sys.await_all_actors_done();
      tandem_test::collector<tandem::error> errors;
      sys.spawn([&, target](tandem::actor_base* self) {
        self->request(target, 1).then([](int) {}, [&, self](tandem::error e) {
          errors.push(e);
          self->quit();
        });
        return tandem::behavior{[](int) {}};
      });
      sys.await_all_actors_done();
      auto items = errors.items();
      BOOST_REQUIRE_EQUAL(items.size(), 1u);
      BOOST_CHECK(items[0] == tandem::errc::receiver_down);
    }
  }
}

BOOST_AUTO_TEST_CASE(queued_requests_fail_when_their_receiver_dies_first) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  auto target = sys.spawn(fragile);
  std::vector<std::string> outcomes;
  sys.spawn([&, target](tandem::actor_base* self) {
    self->send(target, stop{}); // queued before the requests
    for (int i = 0; i < 3; ++i)
      self->request(target, i).then([&](int) { outcomes.push_back("value"); },
                                    [&](tandem::error e) { outcomes.push_back(tandem::to_string(static_cast<tandem::errc>(e.code()))); });
    return tandem::behavior{[](int) {}};
  });
  sched.run_until_idle();
  BOOST_TEST(outcomes == (std::vector<std::string>(3, "receiver_down")));
}

BOOST_AUTO_TEST_CASE(open_promise_fails_when_its_actor_terminates) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  struct park {};
  auto holder = sys.spawn([](tandem::actor_base* self) {
    auto kept = std::make_shared<tandem::response_promise<int>>();
    return tandem::behavior{[self, kept](park) {
                              *kept = self->make_response_promise<int>();
                              return *kept;
                            },
                            [self](stop) { self->quit(); }};
  });
  tandem::error seen;
  sys.spawn([&, holder](tandem::actor_base* self) {
    self->request(holder, park{}).then([](int) {}, [&](tandem::error e) { seen = e; });
    return tandem::behavior{[](int) {}};
  });
  sched.run_until_idle();
  BOOST_CHECK(!seen);
  tandem::send(holder, stop{});
  sched.run_until_idle();
  BOOST_CHECK(seen == tandem::errc::receiver_down);
}

BOOST_AUTO_TEST_CASE(no_handler_runs_after_termination) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  int handled = 0;
  auto a = sys.spawn([&handled](tandem::actor_base* self) {
    return tandem::behavior{[&handled, self](int x) {
      ++handled;
      if (x == 2)
        self->quit();
    }};
  });
  for (int i = 1; i <= 5; ++i)
    tandem::send(a, i);
  sched.run_until_idle();
  BOOST_CHECK_EQUAL(handled, 2);
  auto late = tandem::send(a, 6);
  BOOST_CHECK(late == tandem::errc::receiver_down);
  sched.run_until_idle();
  BOOST_CHECK_EQUAL(handled, 2);
}

BOOST_AUTO_TEST_CASE(shutdown_with_thousands_of_live_actors_and_messages_in_flight) {
  for (auto& backend : all_backends()) {
    BOOST_TEST_CONTEXT(backend.name) {
      std::atomic<long> handled{0};
      {
        tandem::actor_system sys{backend.make()};
        std::vector<tandem::actor> ring;
        for (int i = 0; i < 2000; ++i)
          ring.push_back(sys.spawn([&handled](tandem::stateful_actor<tandem::actor>* self) {
            return tandem::behavior{
              [self](tandem::actor next) { self->state = std::move(next); },
              [self, &handled](int hops) {
                ++handled;
                if (self->state)
                  self->send(self->state, hops + 1); // circulates forever
              }};
          }));
        for (std::size_t i = 0; i < ring.size(); ++i)
          tandem::send(ring[i], ring[(i + 1) % ring.size()]);
        for (int i = 0; i < 500; ++i)
          tandem::send(ring[static_cast<std::size_t>(i) * 4], 0);
        // Shut down only once tokens really circulate (loop backends must be
        // driven for that; the pool's workers just need the time).
        auto* loop = dynamic_cast<tandem::cooperative_loop*>(&sys.backend());
        auto* det = dynamic_cast<tandem::deterministic_scheduler*>(&sys.backend());
        while (handled.load() < 5000) {
          if (loop != nullptr)
            loop->run_once();
          else if (det != nullptr)
            det->step();
          else
            std::this_thread::yield();
        }
        BOOST_CHECK_EQUAL(sys.live_actors(), 2000u);
        ring.clear();
      } // the destructor stops every actor and waits for them
      BOOST_CHECK_GT(handled.load(), 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(state_is_released_at_termination_not_with_the_last_handle) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  struct tracked {
    std::shared_ptr<int> token = std::make_shared<int>(1);
  };
  std::weak_ptr<int> watch;
  auto a = sys.spawn([&watch](tandem::stateful_actor<tracked>* self) {
    watch = self->state.token;
    return tandem::behavior{[self](stop) { self->quit(); }};
  });
  BOOST_CHECK(!watch.expired());
  tandem::send(a, stop{});
  sched.run_until_idle();
  BOOST_CHECK(watch.expired()); // `a` still holds the actor's memory, not its state
}

BOOST_AUTO_TEST_SUITE_END()

#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <memory>
#include <string>

using tandem_test::all_backends;
using tandem_test::stop;

namespace {

struct add {
  int a;
  int b;
};
struct get {};
struct greet {
  std::string who;
};

using calculator = tandem::typed_actor<int(add), void(stop)>;

tandem::typed_behavior<int(add), void(stop)> calculator_impl(tandem::actor_base* self) {
  return {[](add x) { return x.a + x.b; }, [self](stop) { self->quit(); }};
}

// A class-based actor with state in members.
class account : public tandem::actor_base {
public:
  using interface = tandem::typed_actor<void(int), int(get), void(stop)>;

  account(tandem::actor_config& cfg, int opening) : actor_base(cfg), balance_(opening) {}

  tandem::behavior make_behavior() override {
    return {[this](int amount) { balance_ += amount; },
            [this](get) { return balance_; },
            [this](stop) { quit(); }};
  }

private:
  int balance_;
};

} // namespace

BOOST_AUTO_TEST_SUITE(actors)

BOOST_AUTO_TEST_CASE(typed_request_then_on_every_backend) {
  for (auto& backend : all_backends()) {
    BOOST_TEST_CONTEXT(backend.name) {
      tandem::actor_system sys{backend.make()};
      calculator calc = sys.spawn(calculator_impl);
      std::atomic<int> result{0};
      sys.spawn([&, calc](tandem::actor_base* self) {
        self->request(calc, add{20, 22}).then([&, self, calc](int sum) {
          result = sum;
          self->send(calc, stop{});
          self->quit();
        });
        return tandem::behavior{[](int) {}};
      });
      sys.await_all_actors_done();
      BOOST_CHECK_EQUAL(result.load(), 42);
      BOOST_CHECK_EQUAL(sys.live_actors(), 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(class_based_actor_keeps_state) {
  for (auto& backend : all_backends()) {
    BOOST_TEST_CONTEXT(backend.name) {
      tandem::actor_system sys{backend.make()};
      account::interface acc = sys.spawn<account>(100);
      std::atomic<int> balance{0};
      sys.spawn([&, acc](tandem::actor_base* self) {
        self->send(acc, 50);
        self->send(acc, -30);
        self->request(acc, get{}).then([&, self, acc](int b) {
          balance = b;
          self->send(acc, stop{});
          self->quit();
        });
        return tandem::behavior{[](int) {}};
      });
      sys.await_all_actors_done();
      BOOST_CHECK_EQUAL(balance.load(), 120);
    }
  }
}

BOOST_AUTO_TEST_CASE(move_only_messages_and_spawn_arguments) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  int seen = 0;
  auto sink = sys.spawn(
    [&seen](tandem::actor_base* self, int offset) {
      return tandem::behavior{[&seen, self, offset](std::unique_ptr<int> p) {
        seen = *p + offset;
        self->quit();
      }};
    },
    1000);
  BOOST_CHECK(!tandem::send(sink, std::make_unique<int>(7)));
  sched.run_until_idle();
  BOOST_CHECK_EQUAL(seen, 1007);
  BOOST_CHECK_EQUAL(sys.live_actors(), 0u);
}

BOOST_AUTO_TEST_CASE(dynamic_request_answered_later_through_a_promise) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  // The greeter answers only when it is told to release the answers.
  struct release {};
  auto greeter = sys.spawn([](tandem::actor_base* self) {
    auto parked = std::make_shared<std::vector<std::pair<tandem::response_promise<std::string>, std::string>>>();
    return tandem::behavior{
      [self, parked](greet g) {
        auto rp = self->make_response_promise<std::string>();
        parked->emplace_back(rp, g.who);
        return rp;
      },
      [parked](release) {
        for (auto& [rp, who] : *parked)
          rp.deliver("hello, " + who);
        parked->clear();
      },
      [self](stop) { self->quit(); }};
  });
  std::vector<std::string> answers;
  sys.spawn([&, greeter](tandem::actor_base* self) {
    self->request(greeter, greet{"ada"}).then([&](const std::string& s) { answers.push_back(s); },
                                               [&](tandem::error e) { answers.push_back(to_string(e)); });
    return tandem::behavior{[](int) {}};
  });
  sched.run_until_idle();
  BOOST_CHECK(answers.empty()); // parked, not answered, not failed
  tandem::send(greeter, release{});
  sched.run_until_idle();
  BOOST_TEST(answers == (std::vector<std::string>{"hello, ada"}));
}

BOOST_AUTO_TEST_CASE(dropped_promise_is_a_broken_promise_error) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  auto forgetful = sys.spawn([](tandem::actor_base* self) {
    return tandem::behavior{[self](greet) {
      auto rp = self->make_response_promise<std::string>();
      // rp goes out of scope unanswered
    }};
  });
  tandem::error seen;
  sys.spawn([&, forgetful](tandem::actor_base* self) {
    self->request(forgetful, greet{"x"}).then([](std::string) {}, [&](tandem::error e) { seen = e; });
    return tandem::behavior{[](int) {}};
  });
  sched.run_until_idle();
  BOOST_CHECK(seen == tandem::errc::broken_promise);
}

BOOST_AUTO_TEST_CASE(unhandled_request_gets_unexpected_message_and_send_is_logged) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  std::vector<std::string> log;
  sys.set_log([&](const std::string& line) { log.push_back(line); });
  auto only_ints = sys.spawn([] { return tandem::behavior{[](int x) { return x; }}; });
  tandem::error seen;
  sys.spawn([&, only_ints](tandem::actor_base* self) {
    self->request(only_ints, std::string{"nope"})
      .then([](int) {}, [&](tandem::error e) { seen = e; });
    return tandem::behavior{[](int) {}};
  });
  tandem::send(only_ints, 3.5);
  sched.run_until_idle();
  BOOST_CHECK(seen == tandem::errc::unexpected_message);
  BOOST_CHECK(seen.message().find("no handler") != std::string::npos);
  BOOST_REQUIRE_EQUAL(log.size(), 1u);
  BOOST_CHECK(log[0].find("double") != std::string::npos);
  BOOST_CHECK_EQUAL(sys.live_actors(), 2u); // both still running
}

BOOST_AUTO_TEST_CASE(unhandled_policy_fail_terminates_the_actor) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  auto strict = sys.spawn(tandem::spawn_options{.name = "strict", .unhandled = tandem::unhandled_policy::fail},
                          [] { return tandem::behavior{[](int) {}}; });
  tandem::error reason;
  sys.spawn([&, strict](tandem::actor_base* self) {
    self->monitor(strict);
    return tandem::behavior{[&](const tandem::down_msg& d) { reason = d.reason; }};
  });
  tandem::send(strict, std::string{"?"});
  sched.run_until_idle();
  BOOST_CHECK(reason == tandem::errc::unexpected_message);
  BOOST_CHECK_EQUAL(strict.name(), "strict");
}

BOOST_AUTO_TEST_CASE(wrong_response_type_is_an_error_not_a_crash) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  auto echo = sys.spawn([] { return tandem::behavior{[](int x) { return x; }}; });
  tandem::error seen;
  sys.spawn([&, echo](tandem::actor_base* self) {
    self->request(echo, 1).then([](const std::string&) {}, [&](tandem::error e) { seen = e; });
    return tandem::behavior{[](int) {}};
  });
  sched.run_until_idle();
  BOOST_CHECK(seen == tandem::errc::unexpected_response);
}

BOOST_AUTO_TEST_CASE(become_switches_behavior_after_the_current_message) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  std::vector<std::string> seen;
  auto toggler = sys.spawn([&seen](tandem::actor_base* self) {
    return tandem::behavior{[&seen, self](int x) {
      seen.push_back("first " + std::to_string(x));
      self->become(tandem::behavior{[&seen](int y) { seen.push_back("second " + std::to_string(y)); }});
    }};
  });
  tandem::send(toggler, 1);
  tandem::send(toggler, 2);
  tandem::send(toggler, 3);
  sched.run_until_idle();
  BOOST_TEST(seen == (std::vector<std::string>{"first 1", "second 2", "second 3"}));
}

BOOST_AUTO_TEST_CASE(handler_returning_expected_error_answers_with_that_error) {
  tandem::deterministic_scheduler sched;
  tandem::actor_system sys{sched};
  auto checker = sys.spawn([] {
    return tandem::behavior{[](int x) -> tandem::expected<int> {
      if (x < 0)
        return tandem::error{-32000, "negative"};
      return x * 2;
    }};
  });
  std::vector<std::string> seen;
  sys.spawn([&, checker](tandem::actor_base* self) {
    for (int x : {4, -1})
      self->request(checker, x).then([&](int v) { seen.push_back(std::to_string(v)); },
                                     [&](tandem::error e) { seen.push_back(e.message()); });
    return tandem::behavior{[](int) {}};
  });
  sched.run_until_idle();
  BOOST_TEST(seen == (std::vector<std::string>{"8", "negative"}));
}

BOOST_AUTO_TEST_CASE(an_actor_without_behavior_lives_until_its_requests_are_answered) {
  for (auto& backend : all_backends()) {
    BOOST_TEST_CONTEXT(backend.name) {
      tandem::actor_system sys{backend.make()};
      calculator calc = sys.spawn(calculator_impl);
      std::atomic<int> result{0};
      sys.spawn([&, calc](tandem::actor_base* self) {
        self->request(calc, add{1, 2}).then([&, self, calc](int sum) {
          result = sum;
          self->send(calc, stop{});
        });
        return tandem::behavior{}; // nothing to handle: only awaits the answer
      });
      sys.await_all_actors_done();
      BOOST_CHECK_EQUAL(result.load(), 3);
      BOOST_CHECK_EQUAL(sys.live_actors(), 0u);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <memory>
#include <optional>
#include <string>

BOOST_AUTO_TEST_SUITE(channels)

BOOST_AUTO_TEST_CASE(oneshot_polled) {
  auto [tx, rx] = tandem::make_oneshot<std::string>();
  BOOST_CHECK(!rx.try_receive());
  BOOST_CHECK(tx.send("hello"));
  auto got = rx.try_receive();
  BOOST_REQUIRE(got && got->has_value());
  BOOST_CHECK_EQUAL(got->value(), "hello");
}

BOOST_AUTO_TEST_CASE(oneshot_second_completion_is_ignored) {
  auto [tx, rx] = tandem::make_oneshot<int>();
  BOOST_CHECK(tx.send(1));
  BOOST_CHECK(!tx.send(2));
  BOOST_CHECK(!tx.fail(tandem::error{tandem::errc::invalid_argument, "late"}));
  auto got = rx.try_receive();
  BOOST_REQUIRE(got && got->has_value());
  BOOST_CHECK_EQUAL(got->value(), 1);
}

BOOST_AUTO_TEST_CASE(oneshot_dropped_unfulfilled_is_a_broken_promise) {
  auto [tx, rx] = tandem::make_oneshot<int>();
  std::optional<tandem::expected<int>> seen;
  rx.on_complete([&](tandem::expected<int> r) { seen.emplace(std::move(r)); });
  BOOST_CHECK(!seen);
  { auto dropped = std::move(tx); }
  BOOST_REQUIRE(seen);
  BOOST_REQUIRE(!seen->has_value());
  BOOST_CHECK(seen->error_value() == tandem::errc::broken_promise);
}

BOOST_AUTO_TEST_CASE(oneshot_waiter_registered_after_completion_runs_at_once) {
  auto [tx, rx] = tandem::make_oneshot<std::unique_ptr<int>>();
  tx.send(std::make_unique<int>(5));
  int seen = 0;
  rx.on_complete([&](tandem::expected<std::unique_ptr<int>> r) { seen = **r; });
  BOOST_CHECK_EQUAL(seen, 5);
}

BOOST_AUTO_TEST_CASE(oneshot_delivers_into_an_actor) {
  for (auto& backend : tandem_test::all_backends()) {
    BOOST_TEST_CONTEXT(backend.name) {
      tandem::actor_system sys{backend.make()};
      auto [tx, rx] = tandem::make_oneshot<int>();
      std::atomic<int> got{0};
      auto waiter = sys.spawn([&got](tandem::actor_base* self) {
        return tandem::behavior{[self, &got](tandem::expected<int> r) {
          got = r ? *r : -1;
          self->quit();
        }};
      });
      rx.on_complete([waiter](tandem::expected<int> r) { tandem::send(waiter, std::move(r)); });
      tx.send(42);
      sys.await_all_actors_done();
      BOOST_CHECK_EQUAL(got.load(), 42);
    }
  }
}

BOOST_AUTO_TEST_CASE(mpsc_polled_fifo_and_end_of_stream) {
  auto [tx, rx] = tandem::make_mpsc<int>();
  auto tx2 = tx;
  BOOST_CHECK(tx.send(1));
  BOOST_CHECK(tx2.send(2));
  BOOST_CHECK_EQUAL(*rx.try_receive(), 1);
  BOOST_CHECK_EQUAL(*rx.try_receive(), 2);
  BOOST_CHECK(!rx.try_receive());
  BOOST_CHECK(!rx.finished());
  { auto a = std::move(tx); auto b = std::move(tx2); }
  BOOST_CHECK(rx.finished());
}

BOOST_AUTO_TEST_CASE(mpsc_send_after_receiver_is_gone_is_an_error) {
  auto channel = tandem::make_mpsc<int>();
  auto tx = channel.first;
  { auto rx = std::move(channel.second); }
  auto r = tx.send(1);
  BOOST_REQUIRE(!r);
  BOOST_CHECK(r.error_value() == tandem::errc::channel_closed);
}

BOOST_AUTO_TEST_CASE(mpsc_bounded_reject_tells_the_sender) {
  auto [tx, rx] = tandem::make_mpsc<int>(tandem::bounded(1));
  BOOST_CHECK(tx.send(1));
  auto r = tx.send(2);
  BOOST_REQUIRE(!r);
  BOOST_CHECK(r.error_value() == tandem::errc::mailbox_full);
  BOOST_CHECK_EQUAL(*rx.try_receive(), 1);
  BOOST_CHECK(tx.send(3));
}

BOOST_AUTO_TEST_CASE(mpsc_on_ready_fires_once_per_idle_period) {
  auto [tx, rx] = tandem::make_mpsc<int>();
  int wakes = 0;
  rx.on_ready([&] { ++wakes; });
  BOOST_CHECK(!rx.try_receive()); // reader now idle
  tx.send(1);
  tx.send(2);
  BOOST_CHECK_EQUAL(wakes, 1);
  BOOST_CHECK_EQUAL(*rx.try_receive(), 1);
  BOOST_CHECK_EQUAL(*rx.try_receive(), 2);
  BOOST_CHECK(!rx.try_receive());
  tx.send(3);
  BOOST_CHECK_EQUAL(wakes, 2);
}

BOOST_AUTO_TEST_CASE(mpsc_delivering_into_an_actor) {
  for (auto& backend : tandem_test::all_backends()) {
    BOOST_TEST_CONTEXT(backend.name) {
      tandem::actor_system sys{backend.make()};
      auto channel = tandem::make_mpsc<int>();
      auto rx = std::make_shared<tandem::mpsc_receiver<int>>(std::move(channel.second));
      struct ready {};
      std::atomic<int> sum{0};
      auto reader = sys.spawn([rx, &sum](tandem::actor_base* self) {
        return tandem::behavior{[rx, self, &sum](ready) {
          while (auto v = rx->try_receive())
            sum += *v;
          if (rx->finished())
            self->quit();
        }};
      });
      rx->on_ready([reader] { tandem::send(reader, ready{}); });
      tandem::send(reader, ready{}); // first look: arms on_ready
      {
        auto tx = std::move(channel.first);
        for (int i = 1; i <= 100; ++i)
          BOOST_CHECK(tx.send(i));
      }
      sys.await_all_actors_done();
      BOOST_CHECK_EQUAL(sum.load(), 5050);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

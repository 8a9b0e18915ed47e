#include "test_support.hpp"

#include <tandem/mailbox/intrusive_mpsc.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>
#include <vector>

namespace {

struct node {
  node* next = nullptr;
  int value = 0;
};

std::vector<int> drain(tandem::intrusive_mpsc<node>& q) {
  std::vector<int> out;
  while (auto* n = q.try_pop())
    out.push_back(n->value);
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(mailbox)

BOOST_AUTO_TEST_CASE(fifo_and_wake_only_when_reader_idle) {
  tandem::intrusive_mpsc<node> q;
  q.start_idle();
  node a{nullptr, 1}, b{nullptr, 2}, c{nullptr, 3};
  BOOST_CHECK(q.push(&a) == tandem::push_result::wake_reader);
  BOOST_CHECK(q.push(&b) == tandem::push_result::accepted);
  BOOST_CHECK_EQUAL(q.size(), 2u);
  BOOST_CHECK(q.try_pop() == &a);
  BOOST_CHECK(q.push(&c) == tandem::push_result::accepted);
  BOOST_CHECK(!q.try_block()); // b and c are still queued
  BOOST_TEST(drain(q) == (std::vector<int>{2, 3}));
  BOOST_CHECK(q.try_block());
  BOOST_CHECK(q.idle());
  node d{nullptr, 4};
  BOOST_CHECK(q.push(&d) == tandem::push_result::wake_reader);
  BOOST_CHECK(q.try_pop() == &d);
}

BOOST_AUTO_TEST_CASE(close_returns_everything_queued_in_order_and_refuses_more) {
  tandem::intrusive_mpsc<node> q;
  node n[4];
  for (int i = 0; i < 4; ++i) {
    n[i].value = i;
    q.push(&n[i]);
  }
  BOOST_CHECK(q.try_pop() == &n[0]); // n[1..3] now in the reader's cache
  node late{nullptr, 9};
  q.push(&late);
  std::vector<int> rest;
  for (auto* p = q.close(); p != nullptr; p = p->next)
    rest.push_back(p->value);
  BOOST_TEST(rest == (std::vector<int>{1, 2, 3, 9}));
  node refused;
  BOOST_CHECK(q.push(&refused) == tandem::push_result::closed);
  BOOST_CHECK(q.closed());
}

BOOST_AUTO_TEST_CASE(bounded_reject_refuses_at_capacity) {
  tandem::intrusive_mpsc<node> q{tandem::bounded(2)};
  node n[3];
  BOOST_CHECK(q.push(&n[0]) != tandem::push_result::full);
  BOOST_CHECK(q.push(&n[1]) != tandem::push_result::full);
  BOOST_CHECK(q.push(&n[2]) == tandem::push_result::full);
  BOOST_CHECK(q.try_pop() == &n[0]);
  BOOST_CHECK(q.push(&n[2]) == tandem::push_result::accepted);
  // Messages that must not be lost pass a full bound.
  node urgent;
  BOOST_CHECK(q.push(&urgent, false) == tandem::push_result::accepted);
  BOOST_CHECK_EQUAL(q.size(), 3u);
}

BOOST_AUTO_TEST_CASE(bounded_drop_newest_discards_the_arrival) {
  tandem::intrusive_mpsc<node> q{tandem::bounded(1, tandem::overflow_policy::drop_newest)};
  node a, b;
  q.push(&a);
  BOOST_CHECK(q.push(&b) == tandem::push_result::dropped);
  BOOST_CHECK_EQUAL(q.size(), 1u);
}

BOOST_AUTO_TEST_CASE(bounded_drop_oldest_hands_the_surplus_to_the_reader) {
  tandem::intrusive_mpsc<node> q{tandem::bounded(2, tandem::overflow_policy::drop_oldest)};
  node n[5];
  for (int i = 0; i < 5; ++i) {
    n[i].value = i;
    BOOST_CHECK(q.push(&n[i]) != tandem::push_result::dropped);
  }
  std::vector<int> discarded;
  while (auto* old = q.take_overflow())
    discarded.push_back(old->value);
  BOOST_TEST(discarded == (std::vector<int>{0, 1, 2}));
  BOOST_TEST(drain(q) == (std::vector<int>{3, 4}));
}

#if TANDEM_TEST_HAS_THREADS

namespace {

struct tagged {
  int producer;
  int seq;
};

} // namespace

// 8 producer threads x N messages into one actor on the CAF pool: each
// message arrives exactly once, and in order per producer.
BOOST_AUTO_TEST_CASE(eight_producers_into_one_actor_on_the_caf_pool) {
#  if TANDEM_TEST_SANITIZED
  constexpr int per_producer = 100'000; // sanitizers run ~10x slower
#  else
  constexpr int per_producer = 1'000'000;
#  endif
  constexpr int producers = 8;
  tandem::actor_system sys{std::make_unique<tandem::caf_pool>(tandem::caf_pool::options{2, 100})};
  struct state {
    std::vector<int> next = std::vector<int>(producers, 0);
    long long received = 0;
    long long out_of_order = 0;
  };
  std::atomic<long long> received{0};
  std::atomic<long long> out_of_order{0};
  auto sink = sys.spawn([&](tandem::stateful_actor<state>* self) {
    return tandem::behavior{[self, &received, &out_of_order](const tagged& t) {
      auto& expected = self->state.next[static_cast<std::size_t>(t.producer)];
      if (t.seq != expected)
        ++self->state.out_of_order;
      expected = t.seq + 1;
      if (++self->state.received == static_cast<long long>(producers) * per_producer) {
        received = self->state.received;
        out_of_order = self->state.out_of_order;
        self->quit();
      }
    }};
  });
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p)
    threads.emplace_back([&, p] {
      for (int i = 0; i < per_producer; ++i)
        tandem::send(sink, tagged{p, i});
    });
  for (auto& t : threads)
    t.join();
  sys.await_all_actors_done();
  BOOST_CHECK_EQUAL(received.load(), static_cast<long long>(producers) * per_producer);
  BOOST_CHECK_EQUAL(out_of_order.load(), 0);
}

#endif

BOOST_AUTO_TEST_SUITE_END()

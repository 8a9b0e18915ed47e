#include "test_support.hpp"

#include <tandem/mailbox/intrusive_mpsc.hpp>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>
#include <vector>

namespace {

struct node : tandem::mpsc_link {
  node() = default;
  explicit node(int v) : value(v) {}
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
  node a{1}, b{2}, c{3};
  BOOST_CHECK(q.push(&a) == tandem::push_result::wake_reader);
  BOOST_CHECK(q.push(&b) == tandem::push_result::accepted);
  BOOST_CHECK_EQUAL(q.size(), 2u);
  BOOST_CHECK(q.try_pop() == &a);
  BOOST_CHECK(q.push(&c) == tandem::push_result::accepted);
  BOOST_CHECK(!q.try_block()); // b and c are still queued
  BOOST_TEST(drain(q) == (std::vector<int>{2, 3}));
  BOOST_CHECK(q.try_block());
  BOOST_CHECK(q.idle());
  node d{4};
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
  BOOST_CHECK(q.try_pop() == &n[0]);
  node late{9};
  q.push(&late);
  std::vector<int> rest;
  q.close([&](node* p) { rest.push_back(p->value); });
  BOOST_TEST(rest == (std::vector<int>{1, 2, 3, 9}));
  node refused;
  BOOST_CHECK(q.push(&refused) == tandem::push_result::closed);
  BOOST_CHECK(q.closed());
}

BOOST_AUTO_TEST_CASE(a_taken_node_is_the_takers_alone) {
  // The reader frees each node as soon as it has it, while pushes go on: the
  // queue must never write to a node it has handed out (ASan checks this).
  tandem::intrusive_mpsc<node> q;
  q.start_idle();
  int next_value = 0;
  std::vector<int> seen;
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i <= round % 4; ++i)
      q.push(new node{next_value++});
    while (auto* n = q.try_pop()) {
      seen.push_back(n->value);
      delete n;
    }
    BOOST_CHECK(q.empty());
    BOOST_CHECK(q.try_block());
  }
  BOOST_CHECK_EQUAL(seen.size(), static_cast<std::size_t>(next_value));
  for (std::size_t i = 0; i < seen.size(); ++i)
    BOOST_CHECK_EQUAL(seen[i], static_cast<int>(i));
}

BOOST_AUTO_TEST_CASE(close_of_an_idle_mailbox_hands_out_nothing_and_refuses_more) {
  tandem::intrusive_mpsc<node> q;
  q.start_idle();
  int disposed = 0;
  q.close([&](node*) { ++disposed; });
  BOOST_CHECK_EQUAL(disposed, 0);
  node refused;
  BOOST_CHECK(q.push(&refused) == tandem::push_result::closed);
  q.close([&](node*) { ++disposed; }); // closing twice is harmless
  BOOST_CHECK_EQUAL(disposed, 0);
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

// Writers racing the reader's close: every node ends up exactly once either
// taken, handed out by close(), or refused back to its writer.
BOOST_AUTO_TEST_CASE(close_racing_writers_loses_and_duplicates_nothing) {
  constexpr int writers = 4;
  constexpr int per_writer = 20'000;
  tandem::intrusive_mpsc<node> q;
  std::vector<node> nodes(static_cast<std::size_t>(writers * per_writer));
  std::vector<std::atomic<int>> fate(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i)
    nodes[i].value = static_cast<int>(i);
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w)
    threads.emplace_back([&, w] {
      while (!go.load())
        std::this_thread::yield();
      for (int i = 0; i < per_writer; ++i) {
        auto idx = static_cast<std::size_t>(w * per_writer + i);
        if (q.push(&nodes[idx]) == tandem::push_result::closed)
          fate[idx].fetch_add(1);
      }
    });
  go = true;
  int taken = 0;
  while (taken < writers * per_writer / 2)
    if (auto* n = q.try_pop()) {
      fate[static_cast<std::size_t>(n->value)].fetch_add(1);
      ++taken;
    }
  q.close([&](node* n) { fate[static_cast<std::size_t>(n->value)].fetch_add(1); });
  for (auto& t : threads)
    t.join();
  int wrong = 0;
  for (auto& f : fate)
    wrong += f.load() == 1 ? 0 : 1;
  BOOST_CHECK_EQUAL(wrong, 0);
}

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

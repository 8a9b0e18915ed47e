#include <tandem/timers/timer_wheel.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <set>
#include <tuple>
#include <vector>

namespace {

using namespace std::chrono_literals;
using tandem::duration;
using tandem::time_point;
using tandem::timer_node;
using tandem::timer_wheel;

struct tnode : timer_node {
  int id = -1;
  int fired = 0;
};

// A wheel starting at t0 and nodes that record their id when they fire.
struct fixture {
  time_point t0;
  timer_wheel wheel;
  std::vector<int> order;

  explicit fixture(time_point start = time_point{} + 1000h) : t0(start), wheel(start) {}

  void arm(tnode& n, int id, time_point at) {
    n.id = id;
    n.deadline = at;
    wheel.insert(&n);
  }

  std::size_t expire(time_point now) {
    return wheel.expire(now, [this](timer_node* n) {
      auto* t = static_cast<tnode*>(n);
      ++t->fired;
      order.push_back(t->id);
    });
  }
};

using ids = std::vector<int>;

} // namespace

BOOST_AUTO_TEST_SUITE(timer_wheel)

BOOST_AUTO_TEST_CASE(empty_wheel) {
  fixture f;
  BOOST_CHECK(f.wheel.empty());
  BOOST_CHECK_EQUAL(f.wheel.size(), 0u);
  BOOST_CHECK(f.wheel.next_deadline() == time_point::max());
  BOOST_CHECK_EQUAL(f.expire(time_point::max()), 0u);
  BOOST_CHECK(f.wheel.next_deadline() == time_point::max());
}

BOOST_AUTO_TEST_CASE(equal_deadlines_fire_in_insertion_order) {
  fixture f;
  tnode n[6];
  auto at = f.t0 + 5ms;
  for (int i = 0; i < 6; ++i)
    f.arm(n[i], i, at);
  for (int i = 1; i < 6; ++i)
    BOOST_CHECK_GT(n[i].seq, n[i - 1].seq);
  BOOST_CHECK_EQUAL(f.expire(at - 1ns), 0u);
  BOOST_CHECK_EQUAL(f.expire(at), 6u);
  BOOST_TEST(f.order == (ids{0, 1, 2, 3, 4, 5}));
  BOOST_CHECK(f.wheel.empty());
  for (auto& x : n)
    BOOST_CHECK(!x.linked());
}

BOOST_AUTO_TEST_CASE(deadlines_one_ns_apart_fire_in_deadline_order) {
  fixture f;
  tnode n[8];
  // Same 1 ms tick, inserted backwards, 1 ns apart; two equal ones.
  auto at = f.t0 + 3ms + 500us;
  for (int i = 0; i < 7; ++i)
    f.arm(n[i], i, at + duration{7 - i});
  f.arm(n[7], 7, at + 7ns); // same deadline as n[0], inserted later
  BOOST_CHECK(f.wheel.next_deadline() == at + 1ns);
  BOOST_CHECK_EQUAL(f.expire(at + 3ns), 3u);
  BOOST_TEST(f.order == (ids{6, 5, 4}));
  BOOST_CHECK(f.wheel.next_deadline() == at + 4ns);
  BOOST_CHECK_EQUAL(f.expire(at + 100ns), 5u);
  BOOST_TEST(f.order == (ids{6, 5, 4, 3, 2, 1, 0, 7}));
}

BOOST_AUTO_TEST_CASE(near_deadlines_across_tick_and_block_boundaries) {
  fixture f(time_point{});
  // Straddle the 2^20 ns tick and the block boundaries of levels 0-2
  // (1024, 1024 * 64 and 1024 * 64^2 ticks) and a 64-tick one, 1 ns either
  // side.
  std::vector<time_point> edges;
  for (std::int64_t ticks : {1, 64, 1024, 1024 * 64, 1024 * 64 * 64})
    for (std::int64_t d : {-1, 0, 1})
      edges.push_back(time_point{} + duration{(ticks << 20) + d});
  std::vector<tnode> n(edges.size());
  for (std::size_t i = edges.size(); i-- > 0;)
    f.arm(n[i], static_cast<int>(i), edges[i]);
  for (std::size_t i = 0; i < edges.size(); ++i) {
    BOOST_CHECK(f.wheel.next_deadline() == edges[i]);
    BOOST_CHECK_EQUAL(f.expire(edges[i]), 1u);
    BOOST_CHECK_EQUAL(f.order.back(), static_cast<int>(i));
  }
  BOOST_CHECK(f.wheel.empty());
}

BOOST_AUTO_TEST_CASE(a_crowded_tick_is_sorted_exactly) {
  // More nodes in one tick than the wheel sorts at once (it sorts in chunks
  // and merges them), with many equal deadlines.
  fixture f;
  std::mt19937_64 rng(99);
  const int count = 5000;
  std::vector<tnode> n(count);
  for (int i = 0; i < count; ++i)
    f.arm(n[static_cast<std::size_t>(i)], i,
          f.t0 + 7ms + duration{static_cast<std::int64_t>(rng() % 300)});
  BOOST_CHECK_EQUAL(f.wheel.size(), static_cast<std::size_t>(count));
  std::size_t removed = 0;
  for (int i = 0; i < count; i += 7, ++removed)
    f.wheel.remove(&n[static_cast<std::size_t>(i)]);
  auto earliest = f.t0 + 8ms;
  for (int i = 0; i < count; ++i)
    if (i % 7 != 0)
      earliest = std::min(earliest, n[static_cast<std::size_t>(i)].deadline);
  BOOST_CHECK(f.wheel.next_deadline() == earliest); // sorted into the run
  for (int i = 3; i < count; i += 7, ++removed)
    f.wheel.remove(&n[static_cast<std::size_t>(i)]); // out of the run
  const timer_node* last = nullptr;
  bool ordered = true;
  std::size_t fired = f.wheel.expire(f.t0 + 8ms, [&](timer_node* x) {
    ordered = ordered && static_cast<tnode*>(x)->id % 7 != 0 && static_cast<tnode*>(x)->id % 7 != 3;
    ordered = ordered && (last == nullptr || last->deadline < x->deadline
                          || (last->deadline == x->deadline && last->seq < x->seq));
    last = x;
  });
  BOOST_CHECK(ordered);
  BOOST_CHECK_EQUAL(fired, static_cast<std::size_t>(count) - removed);
  BOOST_CHECK(f.wheel.empty());
}

BOOST_AUTO_TEST_CASE(ring_slots_with_holes_left_by_removals) {
  // A ring slot is an array; removing a node leaves a hole. Here more holes
  // than one sort chunk come before any live node, the slot is emptied by
  // removals alone and filled again, and next_deadline() scans past holes.
  fixture f;
  const int count = 3000;
  std::vector<tnode> n(count);
  auto at = [&](int i) { return f.t0 + 300ms + duration{(count - i) % 500}; };
  for (int i = 0; i < count; ++i)
    f.arm(n[static_cast<std::size_t>(i)], i, at(i));
  for (int i = 0; i < 2500; ++i)
    f.wheel.remove(&n[static_cast<std::size_t>(i)]);
  const timer_node* best = nullptr;
  for (int i = 2500; i < count; ++i) {
    const timer_node* x = &n[static_cast<std::size_t>(i)];
    if (best == nullptr || x->deadline < best->deadline)
      best = x;
  }
  BOOST_CHECK(f.wheel.next_deadline() == best->deadline); // scanned: 300 ms ahead
  for (int i = 2500; i < count; ++i)
    f.wheel.remove(&n[static_cast<std::size_t>(i)]);
  BOOST_CHECK(f.wheel.empty());
  BOOST_CHECK(f.wheel.next_deadline() == time_point::max());
  // The emptied slot takes nodes again; a removal in the middle of it.
  for (int i = 0; i < 3; ++i)
    f.arm(n[static_cast<std::size_t>(i)], i, f.t0 + 300ms + duration{3 - i});
  f.wheel.remove(&n[1]);
  BOOST_CHECK(f.wheel.next_deadline() == n[2].deadline);
  BOOST_CHECK_EQUAL(f.expire(f.t0 + 1s), 2u);
  BOOST_TEST(f.order == (ids{2, 0}));
  // Holes before live nodes in a slot that is sorted out: only the live
  // ones fire, in (deadline, insertion) order.
  for (int i = 0; i < count; ++i)
    f.arm(n[static_cast<std::size_t>(i)], i, f.t0 + 1s + 300ms + duration{(count - i) % 500});
  for (int i = 0; i < 2500; ++i)
    f.wheel.remove(&n[static_cast<std::size_t>(i)]);
  const timer_node* last = nullptr;
  bool ordered = true;
  std::size_t fired = f.wheel.expire(f.t0 + 2s, [&](timer_node* x) {
    ordered = ordered && static_cast<tnode*>(x)->id >= 2500;
    ordered = ordered && (last == nullptr || last->deadline < x->deadline
                          || (last->deadline == x->deadline && last->seq < x->seq));
    last = x;
  });
  BOOST_CHECK(ordered);
  BOOST_CHECK_EQUAL(fired, 500u);
  BOOST_CHECK(f.wheel.empty());
}

BOOST_AUTO_TEST_CASE(next_deadline_is_exact_through_inserts_removes_and_expires) {
  fixture f;
  tnode a, b, c, d, e, g;
  f.arm(a, 0, f.t0 + 5s + 17ns); // level 1
  BOOST_CHECK(f.wheel.next_deadline() == f.t0 + 5s + 17ns);
  f.arm(b, 1, f.t0 + 2h + 3ns); // a high level
  BOOST_CHECK(f.wheel.next_deadline() == a.deadline);
  f.arm(c, 2, f.t0 + 5s + 16ns); // same slot as a, 1 ns earlier
  BOOST_CHECK(f.wheel.next_deadline() == c.deadline);
  f.arm(g, 5, f.t0 + 900ms + 5ns); // level 0, far ahead (scanned)
  BOOST_CHECK(f.wheel.next_deadline() == g.deadline);
  f.wheel.remove(&g);
  BOOST_CHECK(f.wheel.next_deadline() == c.deadline);
  f.arm(d, 3, f.t0 + 12345ns); // level 0, near (sorted into the run)
  BOOST_CHECK(f.wheel.next_deadline() == d.deadline);
  f.wheel.remove(&d);
  BOOST_CHECK(f.wheel.next_deadline() == c.deadline);
  f.wheel.remove(&c);
  BOOST_CHECK(f.wheel.next_deadline() == a.deadline);
  BOOST_CHECK_EQUAL(f.expire(a.deadline - 1ns), 0u);
  BOOST_CHECK(f.wheel.next_deadline() == a.deadline);
  BOOST_CHECK_EQUAL(f.expire(a.deadline), 1u);
  BOOST_CHECK(f.wheel.next_deadline() == b.deadline);
  f.arm(e, 4, a.deadline + 1ns); // right after `now`, inside the expired tick
  BOOST_CHECK(f.wheel.next_deadline() == e.deadline);
  BOOST_CHECK_EQUAL(f.expire(e.deadline), 1u);
  BOOST_CHECK(f.wheel.next_deadline() == b.deadline);
  BOOST_CHECK_EQUAL(f.expire(b.deadline - 1ns), 0u);
  BOOST_CHECK(f.wheel.next_deadline() == b.deadline);
  BOOST_CHECK_EQUAL(f.expire(b.deadline), 1u);
  BOOST_CHECK(f.wheel.next_deadline() == time_point::max());
  BOOST_TEST(f.order == (ids{0, 4, 1}));
}

BOOST_AUTO_TEST_CASE(remove_head_middle_and_only_node) {
  fixture f;
  // In a wheel slot (far enough ahead that next_deadline() only scans it)...
  {
    tnode n[4];
    for (int i = 0; i < 4; ++i)
      f.arm(n[i], i, f.t0 + 500ms + duration{i});
    BOOST_CHECK(f.wheel.next_deadline() == n[0].deadline);
    f.wheel.remove(&n[0]); // earliest (the cached minimum), list tail
    BOOST_CHECK(!n[0].linked());
    BOOST_CHECK(f.wheel.next_deadline() == n[1].deadline);
    f.wheel.remove(&n[2]); // middle
    f.wheel.remove(&n[3]); // list head
    BOOST_CHECK(f.wheel.next_deadline() == n[1].deadline);
    f.wheel.remove(&n[1]); // the only one
    BOOST_CHECK(f.wheel.empty());
    BOOST_CHECK(f.wheel.next_deadline() == time_point::max());
  }
  // ... in the due run (the slot was sorted out by next_deadline)...
  {
    tnode n[5];
    for (int i = 0; i < 5; ++i)
      f.arm(n[i], i, f.t0 + 50ms + duration{i});
    BOOST_CHECK(f.wheel.next_deadline() == n[0].deadline);
    f.wheel.remove(&n[2]); // middle
    f.wheel.remove(&n[0]); // head
    BOOST_CHECK(f.wheel.next_deadline() == n[1].deadline);
    f.wheel.remove(&n[4]); // tail
    BOOST_CHECK_EQUAL(f.wheel.size(), 2u);
    BOOST_CHECK_EQUAL(f.expire(f.t0 + 1s), 2u);
    BOOST_TEST(f.order == (ids{1, 3}));
  }
  // ... and in the due heap (inserted into ticks already taken out).
  {
    f.order.clear();
    tnode n[6];
    const int back[6] = {3, 0, 5, 1, 4, 2}; // ns before `now`: all due
    for (int i = 0; i < 6; ++i)
      f.arm(n[i], i, f.t0 + 1s - duration{back[i]});
    f.wheel.remove(&n[0]); // middle
    f.wheel.remove(&n[1]); // last
    BOOST_CHECK(f.wheel.next_deadline() == n[2].deadline);
    f.wheel.remove(&n[2]); // head
    BOOST_CHECK(f.wheel.next_deadline() == n[4].deadline);
    BOOST_CHECK_EQUAL(f.expire(f.t0 + 1s), 3u);
    BOOST_TEST(f.order == (ids{4, 5, 3}));
    tnode only;
    f.arm(only, 9, f.t0 + 1s);
    BOOST_CHECK(f.wheel.next_deadline() == only.deadline);
    f.wheel.remove(&only);
    BOOST_CHECK(f.wheel.empty());
    BOOST_CHECK(f.wheel.next_deadline() == time_point::max());
    BOOST_CHECK_EQUAL(f.expire(f.t0 + 2s), 0u);
  }
}

BOOST_AUTO_TEST_CASE(removed_node_can_be_reinserted) {
  fixture f;
  tnode n;
  f.arm(n, 1, f.t0 + 10ms);
  auto first_seq = n.seq;
  f.wheel.remove(&n);
  f.arm(n, 1, f.t0 + 20ms);
  BOOST_CHECK_GT(n.seq, first_seq);
  BOOST_CHECK_EQUAL(f.expire(f.t0 + 15ms), 0u);
  BOOST_CHECK_EQUAL(f.expire(f.t0 + 20ms), 1u);
  BOOST_CHECK_EQUAL(n.fired, 1);
}

BOOST_AUTO_TEST_CASE(far_future_deadlines_and_large_jumps) {
  fixture f;
  tnode n[7];
  f.arm(n[0], 0, f.t0 + 24h * 3 + 5ns);         // days
  f.arm(n[1], 1, f.t0 + 24h * 3 + 4ns);
  f.arm(n[2], 2, f.t0 + 24h * 365 * 10);        // a decade
  f.arm(n[3], 3, time_point::max());            // the end of time
  f.arm(n[4], 4, f.t0 + 1h);
  f.arm(n[5], 5, f.t0 + 24h * 365 * 10 - 1ns);
  f.arm(n[6], 6, f.t0 + 7ms);
  BOOST_CHECK(f.wheel.next_deadline() == n[6].deadline);
  // One jump of hours fires the first two in order, nothing early.
  BOOST_CHECK_EQUAL(f.expire(f.t0 + 2h), 2u);
  BOOST_TEST(f.order == (ids{6, 4}));
  BOOST_CHECK(f.wheel.next_deadline() == n[1].deadline);
  BOOST_CHECK_EQUAL(f.expire(n[1].deadline), 1u);
  BOOST_CHECK(f.wheel.next_deadline() == n[0].deadline);
  BOOST_CHECK_EQUAL(f.expire(n[0].deadline), 1u);
  BOOST_CHECK(f.wheel.next_deadline() == n[5].deadline);
  BOOST_CHECK_EQUAL(f.expire(n[2].deadline - 2ns), 0u);
  BOOST_CHECK_EQUAL(f.expire(time_point::max() - 1ns), 2u);
  BOOST_CHECK(f.wheel.next_deadline() == time_point::max());
  BOOST_CHECK_EQUAL(f.wheel.size(), 1u);
  BOOST_CHECK_EQUAL(f.expire(time_point::max()), 1u);
  BOOST_TEST(f.order == (ids{6, 4, 1, 0, 5, 2, 3}));
  BOOST_CHECK(f.wheel.empty());
}

BOOST_AUTO_TEST_CASE(extreme_origins) {
  // Ticks are unsigned offsets from the origin: the whole time_point range
  // works from either end.
  {
    fixture f(time_point::min());
    tnode a, b, c;
    f.arm(a, 0, time_point::max());
    f.arm(b, 1, time_point{});
    f.arm(c, 2, time_point::min());
    BOOST_CHECK(f.wheel.next_deadline() == time_point::min());
    BOOST_CHECK_EQUAL(f.expire(time_point{} + 1ns), 2u);
    BOOST_CHECK(f.wheel.next_deadline() == time_point::max());
    BOOST_CHECK_EQUAL(f.expire(time_point::max()), 1u);
    BOOST_TEST(f.order == (ids{2, 1, 0}));
  }
  {
    fixture f(time_point::max() - 1h);
    tnode a, b;
    f.arm(a, 0, time_point::max());
    f.arm(b, 1, time_point::min()); // long past
    BOOST_CHECK(f.wheel.next_deadline() == time_point::min());
    BOOST_CHECK_EQUAL(f.expire(time_point::max() - 1h), 1u);
    BOOST_CHECK_EQUAL(f.expire(time_point::max()), 1u);
    BOOST_TEST(f.order == (ids{1, 0}));
  }
}

BOOST_AUTO_TEST_CASE(past_deadlines_fire_on_the_next_expire) {
  fixture f;
  BOOST_CHECK_EQUAL(f.expire(f.t0 + 10s), 0u);
  tnode n[4];
  f.arm(n[0], 0, f.t0 + 9s);      // before the last now
  f.arm(n[1], 1, f.t0 - 5h);      // before the origin
  f.arm(n[2], 2, f.t0 + 10s);     // exactly the last now
  f.arm(n[3], 3, f.t0 + 10s + 1ns);
  BOOST_CHECK(f.wheel.next_deadline() == f.t0 - 5h);
  BOOST_CHECK_EQUAL(f.expire(f.t0 + 10s), 3u);
  BOOST_TEST(f.order == (ids{1, 0, 2}));
  // A wheel that was never expired: a deadline behind the caller's clock is
  // due on its first expire too.
  fixture g;
  tnode m[2];
  g.arm(m[0], 0, g.t0 + 30ms);
  g.arm(m[1], 1, g.t0 + 20ms);
  BOOST_CHECK_EQUAL(g.expire(g.t0 + 5s), 2u);
  BOOST_TEST(g.order == (ids{1, 0}));
}

BOOST_AUTO_TEST_CASE(now_going_backwards_fires_nothing_later) {
  fixture f;
  tnode n[3];
  f.arm(n[0], 0, f.t0 + 5ms);
  f.arm(n[1], 1, f.t0 + 6ms);
  f.arm(n[2], 2, f.t0 + 7ms);
  BOOST_CHECK_EQUAL(f.expire(f.t0 + 5ms), 1u);
  BOOST_CHECK_EQUAL(f.expire(f.t0 + 1ms), 0u);
  BOOST_CHECK_EQUAL(f.expire(f.t0 + 6ms), 1u);
  BOOST_CHECK_EQUAL(f.expire(f.t0 + 7ms), 1u);
  BOOST_TEST(f.order == (ids{0, 1, 2}));
}

BOOST_AUTO_TEST_CASE(insert_during_expire) {
  fixture f;
  // An interval re-arms itself every 3 ms on the scheduled time; a one-shot
  // inserts a due node and a later one from its callback.
  tnode interval, trigger, due_now, due_later, late;
  interval.id = 0;
  interval.deadline = f.t0 + 3ms;
  trigger.id = 1;
  trigger.deadline = f.t0 + 4ms;
  due_now.id = 2;
  due_later.id = 3;
  late.id = 4;
  late.deadline = f.t0 + 5ms;
  f.wheel.insert(&interval);
  f.wheel.insert(&trigger);
  f.wheel.insert(&late);
  std::vector<std::pair<int, time_point>> fired;
  auto on_due = [&](timer_node* n) {
    auto* t = static_cast<tnode*>(n);
    fired.emplace_back(t->id, t->deadline);
    BOOST_CHECK(!t->linked());
    if (t == &interval) {
      interval.deadline += 3ms;
      f.wheel.insert(&interval);
    } else if (t == &trigger) {
      due_now.deadline = f.t0 + 4ms + 500us; // due within this call
      f.wheel.insert(&due_now);
      due_later.deadline = f.t0 + 10s + 1ns; // not due
      f.wheel.insert(&due_later);
    }
  };
  // 3 ms interval ticks at 3, 6, 9; trigger at 4 inserts 4.5; late at 5.
  BOOST_CHECK_EQUAL(f.wheel.expire(f.t0 + 10ms, on_due), 6u);
  std::vector<std::pair<int, time_point>> expected{
    {0, f.t0 + 3ms}, {1, f.t0 + 4ms}, {2, f.t0 + 4ms + 500us},
    {4, f.t0 + 5ms}, {0, f.t0 + 6ms}, {0, f.t0 + 9ms}};
  BOOST_CHECK(fired == expected);
  BOOST_CHECK(f.wheel.next_deadline() == f.t0 + 12ms);
  BOOST_CHECK_EQUAL(f.wheel.size(), 2u);
  // An insert with a deadline before the one firing fires next (it cannot
  // go back in time) and still before anything later.
  fired.clear();
  tnode early;
  early.id = 5;
  auto insert_early = [&](timer_node* n) {
    on_due(n);
    if (n == &interval && !early.linked() && early.id == 5) {
      early.deadline = f.t0 + 1ms;
      early.id = 6; // only once
      f.wheel.insert(&early);
    }
  };
  BOOST_CHECK_EQUAL(f.wheel.expire(f.t0 + 15ms, insert_early), 3u);
  std::vector<std::pair<int, time_point>> expected2{
    {0, f.t0 + 12ms}, {6, f.t0 + 1ms}, {0, f.t0 + 15ms}};
  BOOST_CHECK(fired == expected2);
}

BOOST_AUTO_TEST_CASE(remove_other_nodes_during_expire) {
  fixture f;
  tnode n[4];
  for (int i = 0; i < 4; ++i)
    f.arm(n[i], i, f.t0 + 1ms + duration{i});
  f.wheel.expire(f.t0 + 1s, [&](timer_node* x) {
    auto* t = static_cast<tnode*>(x);
    f.order.push_back(t->id);
    if (t->id == 0) {
      f.wheel.remove(&n[2]); // due as well
      f.wheel.remove(&n[3]);
    }
  });
  BOOST_TEST(f.order == (ids{0, 1}));
  BOOST_CHECK(f.wheel.empty());
}

BOOST_AUTO_TEST_CASE(virtual_time_from_zero_jumping_to_next_deadline) {
  // The deterministic backend's way: jump the clock to next_deadline().
  fixture f(time_point{});
  std::mt19937_64 rng(42);
  const int count = 2000;
  std::vector<tnode> n(count);
  for (int i = 0; i < count; ++i) {
    // From 1 ns to ~100 s, many in the same ticks.
    auto d = duration{static_cast<std::int64_t>(rng() % 100'000'000'000ull) + 1};
    if (i % 3 == 0)
      d = duration{static_cast<std::int64_t>(rng() % 5'000'000) + 1};
    f.arm(n[static_cast<std::size_t>(i)], i, time_point{} + d);
  }
  time_point now{};
  time_point last{};
  std::size_t total = 0;
  while (!f.wheel.empty()) {
    time_point next = f.wheel.next_deadline();
    BOOST_REQUIRE(next > now);
    now = next;
    std::size_t fired = f.wheel.expire(now, [&](timer_node* x) {
      BOOST_REQUIRE(x->deadline == now); // never early, never late
      BOOST_REQUIRE(x->deadline >= last);
      last = x->deadline;
    });
    BOOST_REQUIRE_GE(fired, 1u);
    total += fired;
  }
  BOOST_CHECK_EQUAL(total, static_cast<std::size_t>(count));
}

BOOST_AUTO_TEST_CASE(clear_unlinks_everything) {
  fixture f;
  tnode n[5];
  f.arm(n[0], 0, f.t0 + 1ms);
  f.arm(n[1], 1, f.t0 + 1h);
  f.arm(n[2], 2, f.t0 - 1ms);
  f.arm(n[3], 3, f.t0 + 2ms);
  f.arm(n[4], 4, f.t0 + 2ms);
  f.expire(f.t0); // n[2] fires; n[0] (same tick) waits in the due run
  BOOST_CHECK(f.wheel.next_deadline() == n[0].deadline);
  int seen = 0;
  BOOST_CHECK_EQUAL(f.wheel.clear([&](timer_node* x) {
    BOOST_CHECK(!x->linked());
    ++seen;
  }),
                    4u);
  BOOST_CHECK_EQUAL(seen, 4);
  BOOST_CHECK(f.wheel.empty());
  BOOST_CHECK(f.wheel.next_deadline() == time_point::max());
  for (auto& x : n)
    BOOST_CHECK(!x.linked());
  f.arm(n[1], 1, f.t0 + 5ms); // still usable
  BOOST_CHECK_EQUAL(f.expire(f.t0 + 5ms), 1u);
}

// Random operations against a plain ordered set.
BOOST_AUTO_TEST_CASE(random_operations_match_a_reference) {
  std::mt19937_64 rng(20240601);
  const std::size_t pool = 3000;
  auto nodes = std::make_unique<tnode[]>(pool);
  time_point start = time_point{} + 77ms;
  fixture f(start);
  using key = std::tuple<time_point, std::uint64_t, int>;
  std::set<key> model;
  std::vector<int> free_ids;
  for (std::size_t i = 0; i < pool; ++i)
    free_ids.push_back(static_cast<int>(i));
  std::vector<int> live; // ids in the wheel, unordered
  std::vector<std::size_t> live_pos(pool);
  auto add_live = [&](int id) {
    live_pos[static_cast<std::size_t>(id)] = live.size();
    live.push_back(id);
  };
  auto drop_live = [&](int id) {
    std::size_t p = live_pos[static_cast<std::size_t>(id)];
    live[p] = live.back();
    live_pos[static_cast<std::size_t>(live[p])] = p;
    live.pop_back();
  };
  // Offsets of very different scales, some in the past.
  auto offset = [&]() -> duration {
    switch (rng() % 8) {
      case 0: return duration{static_cast<std::int64_t>(rng() % 16)};
      case 1: return duration{static_cast<std::int64_t>(rng() % 3'000'000)};
      case 2: return duration{static_cast<std::int64_t>(rng() % 200'000'000)};
      case 3: return duration{static_cast<std::int64_t>(rng() % 5'000'000'000ull)};
      case 4: return duration{static_cast<std::int64_t>(rng() % 400'000'000'000'000ull)};
      case 5: return -duration{static_cast<std::int64_t>(rng() % 100'000'000)};
      default: return duration{static_cast<std::int64_t>(rng() % 70'000'000)};
    }
  };
  time_point now = start;
  std::size_t fired_total = 0;
  for (int step = 0; step < 60000; ++step) {
    auto op = rng() % 100;
    if (op < 45 && !free_ids.empty()) {
      int id = free_ids.back();
      free_ids.pop_back();
      auto& n = nodes[static_cast<std::size_t>(id)];
      f.arm(n, id, now + offset());
      model.emplace(n.deadline, n.seq, id);
      add_live(id);
    } else if (op < 70 && !live.empty()) {
      int id = live[rng() % live.size()];
      auto& n = nodes[static_cast<std::size_t>(id)];
      BOOST_REQUIRE(n.linked());
      BOOST_REQUIRE_EQUAL(model.erase(key{n.deadline, n.seq, id}), 1u);
      f.wheel.remove(&n);
      drop_live(id);
      free_ids.push_back(id);
    } else if (op < 85) {
      // Either jump to the exact next deadline or move by a random amount.
      if (rng() % 2 == 0 && !model.empty())
        now = std::max(now, std::get<0>(*model.begin()));
      else
        now += duration{static_cast<std::int64_t>(rng() % 40'000'000)};
      if (rng() % 500 == 0)
        now += 30h;
      std::vector<int> expected;
      while (!model.empty() && std::get<0>(*model.begin()) <= now) {
        expected.push_back(std::get<2>(*model.begin()));
        model.erase(model.begin());
      }
      std::vector<int> got;
      f.wheel.expire(now, [&](timer_node* x) {
        int id = static_cast<tnode*>(x)->id;
        got.push_back(id);
        drop_live(id);
        free_ids.push_back(id);
      });
      BOOST_REQUIRE(got == expected);
      fired_total += got.size();
    }
    BOOST_REQUIRE_EQUAL(f.wheel.size(), model.size());
    if (rng() % 4 == 0) {
      time_point want = model.empty() ? time_point::max() : std::get<0>(*model.begin());
      BOOST_REQUIRE(f.wheel.next_deadline() == want);
    }
  }
  BOOST_TEST_MESSAGE("random_operations: fired " << fired_total);
  BOOST_CHECK_GT(fired_total, 1000u);
}

// Timers due in the block after next start beyond the ring; while time
// crosses the block before theirs they move into the ring a little per tick,
// never all at once when they become due (that stall made every timer due
// right then late by its duration), and they still fire exactly in order.
BOOST_AUTO_TEST_CASE(far_timers_move_into_the_ring_gradually) {
  const std::size_t count = 100'000;
  auto nodes = std::make_unique<tnode[]>(count);
  fixture f;
  std::mt19937_64 rng(11);
  const duration tk = tandem::timer_wheel::tick;
  // Block 2: ticks [2048, 3072), out of reach of the ring at tick 0.
  for (std::size_t i = 0; i < count; ++i)
    f.arm(nodes[i], static_cast<int>(i),
          f.t0 + 2048 * tk + duration{static_cast<std::int64_t>(rng() % (1024 * tk.count()))});
  BOOST_REQUIRE_EQUAL(f.wheel.beyond_ring(), count);
  // Through block 0 nothing moves (the ring reaches only through block 1).
  f.wheel.expire(f.t0 + 1022 * tk, [](timer_node*) { BOOST_ERROR("nothing is due"); });
  BOOST_REQUIRE_EQUAL(f.wheel.beyond_ring(), count);
  // Through block 1, tick by tick: what is left beyond the ring shrinks in
  // proportion to the ticks left, and is gone before block 2 begins; some
  // inserts and removals meanwhile.
  std::size_t removed = 0;
  for (std::uint64_t k = 0; k < 1024; ++k) {
    f.wheel.expire(f.t0 + (1023 + k) * tk, [](timer_node*) { BOOST_ERROR("nothing is due"); });
    std::size_t left = f.wheel.beyond_ring();
    BOOST_REQUIRE_LE(left, count * (1024 - k) / 1024 + 64);
    if (k % 100 == 0 && nodes[k].linked()) {
      f.wheel.remove(&nodes[k]);
      ++removed;
    }
  }
  BOOST_CHECK_EQUAL(f.wheel.beyond_ring(), 0u);
  // All fire in exact order in block 2.
  const timer_node* last = nullptr;
  std::size_t fired = f.wheel.expire(f.t0 + 3072 * tk, [&](timer_node* x) {
    BOOST_REQUIRE(last == nullptr || last->deadline < x->deadline
                  || (last->deadline == x->deadline && last->seq < x->seq));
    last = x;
  });
  BOOST_CHECK_EQUAL(fired, count - removed);
  BOOST_CHECK(f.wheel.empty());
}

BOOST_AUTO_TEST_CASE(million_timers_half_removed) {
  const std::size_t count = 1'000'000;
  auto nodes = std::make_unique<tnode[]>(count);
  fixture f;
  std::mt19937_64 rng(7);
  // Random delays in [1 ms, 1 s), ns resolution.
  for (std::size_t i = 0; i < count; ++i)
    f.arm(nodes[i], static_cast<int>(i),
          f.t0 + 1ms + duration{static_cast<std::int64_t>(rng() % 999'000'000)});
  BOOST_REQUIRE_EQUAL(f.wheel.size(), count);
  for (std::size_t i = 0; i < count; i += 2)
    f.wheel.remove(&nodes[i]);
  BOOST_REQUIRE_EQUAL(f.wheel.size(), count / 2);
  // Advance in uneven steps (0-3 ms), checking order and that each node
  // fires on the first expire whose `now` reaches its deadline.
  time_point now = f.t0;
  time_point prev_now = now;
  const timer_node* last = nullptr;
  std::size_t fired = 0;
  bool ok = true;
  while (!f.wheel.empty()) {
    prev_now = now;
    now += duration{static_cast<std::int64_t>(rng() % 3'000'000)};
    fired += f.wheel.expire(now, [&](timer_node* x) {
      auto* t = static_cast<tnode*>(x);
      ok = ok && t->id % 2 == 1 && t->fired == 0 && x->deadline <= now && x->deadline > prev_now;
      ok = ok && (last == nullptr || last->deadline < x->deadline
                  || (last->deadline == x->deadline && last->seq < x->seq));
      ++t->fired;
      last = x;
    });
    BOOST_REQUIRE(ok);
  }
  BOOST_CHECK_EQUAL(fired, count / 2);
  BOOST_CHECK(now <= f.t0 + 1s + 3ms);
  for (std::size_t i = 0; i < count; ++i)
    if (nodes[i].fired != static_cast<int>(i % 2)) {
      BOOST_ERROR("node " << i << " fired " << nodes[i].fired << " times");
      break;
    }
}

BOOST_AUTO_TEST_SUITE_END()

#include "test_support.hpp"

#include <tandem/actors/detail/message.hpp>
#include <tandem/timers/timer_service.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <set>
#include <vector>

#if defined(TANDEM_TEST_HAS_THREADS)
#  include <tandem/tandem.hpp>

#  include <atomic>
#  include <chrono>
#  include <future>
#  include <thread>
#endif

namespace {

using tandem::detail::message;
using tandem::detail::message_of;

struct alignas(16) sixteen {
  long double x = 1;
};
struct alignas(64) sixty_four {
  int x = 1;
};
struct eight_longs {
  long v[8] = {};
};
struct big_payload {
  char bytes[1000] = {};
};

std::uintptr_t address(const void* p) {
  return reinterpret_cast<std::uintptr_t>(p);
}

// A timer entry the size of a delayed message.
struct test_entry final : tandem::timer_entry {
  char payload[40] = {};
  tandem::time_point fire(tandem::time_point) override { return tandem::time_point::max(); }
};
static_assert(sizeof(test_entry) > 64 && sizeof(test_entry) % 64 != 0);

} // namespace

BOOST_AUTO_TEST_SUITE(small_object_pool)

BOOST_AUTO_TEST_CASE(payloads_keep_their_alignment_and_values) {
  std::vector<std::unique_ptr<message>> keep;
  for (int i = 0; i < 100; ++i) {
    auto* a = new message_of<sixteen>();
    auto* b = new message_of<sixty_four>();
    auto* c = new message_of<big_payload>();
    auto* d = new message_of<long>(i);
    BOOST_TEST(address(&a->value) % 16 == 0u);
    BOOST_TEST(address(&b->value) % 64 == 0u);
    BOOST_TEST(d->value == i);
    keep.emplace_back(a);
    keep.emplace_back(b);
    keep.emplace_back(c);
    keep.emplace_back(d);
  }
  // No two live messages share memory.
  std::set<const message*> distinct;
  for (auto& m : keep)
    distinct.insert(m.get());
  BOOST_TEST(distinct.size() == keep.size());
}

BOOST_AUTO_TEST_CASE(a_freed_message_is_reused_by_its_thread) {
  if (!tandem::detail::small_object_pool_enabled())
    return; // AddressSanitizer: plain new/delete
  auto* first = new message_of<long>(1);
  auto* where = static_cast<message*>(first);
  delete first;
  auto* second = new message_of<long>(2);
  BOOST_TEST(static_cast<message*>(second) == where);
  delete second;
}

BOOST_AUTO_TEST_CASE(timer_entries_get_whole_cache_lines) {
  if (!tandem::detail::small_object_pool_enabled())
    return;
  std::vector<test_entry*> made;
  for (int i = 0; i < 100; ++i)
    made.push_back(new test_entry);
  for (std::size_t i = 0; i < made.size(); ++i) {
    BOOST_TEST(address(made[i]) % 64 == 0u);
    for (std::size_t j = 0; j < i; ++j) // no line shared with another entry
      BOOST_TEST((address(made[i]) + sizeof(test_entry) <= address(made[j])
                  || address(made[j]) + sizeof(test_entry) <= address(made[i])));
  }
  for (auto* e : made)
    e->release();
}

BOOST_AUTO_TEST_CASE(line_allocations_are_aligned_whole_lines_of_their_own) {
  // Actors are laid out by cache line (actor_base.hpp): each needs a
  // line-aligned slot, from the pool or, past its largest class, from
  // aligned operator new.
  std::vector<std::pair<char*, std::size_t>> made;
  for (std::size_t size : {1u, 63u, 64u, 65u, 176u, 192u, 200u, 256u, 257u, 1000u}) {
    for (int i = 0; i < 10; ++i) {
      auto* p = static_cast<char*>(tandem::detail::allocate_lines(size));
      BOOST_TEST(address(p) % 64 == 0u);
      std::fill(p, p + size, static_cast<char>(i));
      made.emplace_back(p, size);
    }
  }
  for (std::size_t i = 0; i < made.size(); ++i)
    for (std::size_t j = 0; j < i; ++j) // no line shared with another slot
      BOOST_TEST((address(made[i].first) + tandem::detail::whole_lines(made[i].second)
                    <= address(made[j].first)
                  || address(made[j].first) + tandem::detail::whole_lines(made[j].second)
                       <= address(made[i].first)));
  for (auto& [p, size] : made)
    tandem::detail::free_lines(p, size);
}

#if defined(TANDEM_TEST_HAS_THREADS)

BOOST_AUTO_TEST_CASE(timer_entries_freed_by_the_driver_come_back_to_the_arming_thread) {
  if (!tandem::detail::small_object_pool_enabled())
    return;
  constexpr int n = 1000;
  std::vector<test_entry*> made;
  for (int i = 0; i < n; ++i)
    made.push_back(new test_entry);
  std::set<test_entry*> before(made.begin(), made.end());
  std::thread driver{[&] {
    for (auto* e : made)
      e->release(); // the last reference: freed on this thread
  }};
  driver.join();
  std::vector<test_entry*> again;
  for (int i = 0; i < n; ++i)
    again.push_back(new test_entry);
  int reused = 0;
  for (auto* e : again)
    reused += before.count(e) ? 1 : 0;
  BOOST_TEST(reused == n);
  for (auto* e : again)
    e->release();
}

BOOST_AUTO_TEST_CASE(messages_freed_by_another_thread_come_back_to_their_maker) {
  if (!tandem::detail::small_object_pool_enabled())
    return;
  constexpr int n = 1000;
  std::vector<message*> made;
  for (int i = 0; i < n; ++i)
    made.push_back(new message_of<long>(i));
  std::set<message*> before(made.begin(), made.end());
  std::thread other{[&] {
    for (auto* m : made)
      delete m; // returned to this (the maker's) pool, not the freeing thread's
  }};
  other.join();
  std::vector<message*> again;
  for (int i = 0; i < n; ++i)
    again.push_back(new message_of<long>(i));
  int reused = 0;
  for (auto* m : again)
    reused += before.count(m) ? 1 : 0;
  BOOST_TEST(reused == n);
  for (auto* m : again)
    delete m;
}

BOOST_AUTO_TEST_CASE(a_pool_outlives_its_thread) {
  // Messages made by a thread that has exited stay valid, can be freed from
  // anywhere, and their memory serves the next thread that allocates.
  constexpr int n = 1000;
  std::vector<message*> made;
  std::thread maker{[&] {
    for (int i = 0; i < n; ++i)
      made.push_back(new message_of<long>(i));
  }};
  maker.join();
  long sum = 0;
  for (auto* m : made)
    sum += static_cast<message_of<long>*>(m)->value;
  BOOST_TEST(sum == long{n} * (n - 1) / 2);
  std::set<message*> before(made.begin(), made.end());
  for (auto* m : made)
    delete m;
  if (!tandem::detail::small_object_pool_enabled())
    return;
  // This thread freed another pool's blocks: the last partial chain goes
  // back when it says its work is done (a worker does after every job).
  tandem::detail::flush_remote_frees();
  int reused = 0;
  std::thread next{[&] {
    std::vector<message*> mine;
    for (int i = 0; i < n; ++i)
      mine.push_back(new message_of<long>(i));
    for (auto* m : mine)
      reused += before.count(m) ? 1 : 0;
    for (auto* m : mine)
      delete m;
  }};
  next.join();
  BOOST_TEST(reused == n);
}

// How many of `before` this thread gets back when it allocates up to
// `limit` more blocks of that type. They are kept in `held` (freed by the
// caller at the end), so this thread's own free list runs dry for good and
// later calls see what came back from other threads.
template <class T>
int reclaimed(const std::set<message*>& before, std::vector<std::unique_ptr<message>>& held,
              int limit = 20000) {
  int found = 0;
  for (int i = 0; i < limit && found < static_cast<int>(before.size()); ++i) {
    held.emplace_back(new message_of<T>());
    found += before.count(held.back().get()) ? 1 : 0;
  }
  return found;
}

BOOST_AUTO_TEST_CASE(blocks_freed_for_another_thread_wait_for_a_flush_or_the_freers_exit) {
  if (!tandem::detail::small_object_pool_enabled())
    return;
  // Fewer than a chain's worth, so none goes back on its own.
  constexpr int n = 5;
  std::vector<message*> made;
  for (int i = 0; i < n; ++i)
    made.push_back(new message_of<sixteen>());
  std::set<message*> before(made.begin(), made.end());
  std::vector<std::unique_ptr<message>> held;
  std::promise<void> freed, flush, flushed;
  std::thread other{[&] {
    for (auto* m : made)
      delete m;
    freed.set_value();
    flush.get_future().wait();
    tandem::detail::flush_remote_frees();
    flushed.set_value();
  }};
  freed.get_future().wait();
  BOOST_TEST(reclaimed<sixteen>(before, held) == 0); // parked on the freeing thread
  flush.set_value();
  flushed.get_future().wait();
  BOOST_TEST(reclaimed<sixteen>(before, held) == n);
  other.join();

  // The same once the freeing thread exits without a flush.
  for (auto& m : made)
    m = new message_of<sixteen>();
  before = std::set<message*>(made.begin(), made.end());
  std::thread exiting{[&] {
    for (auto* m : made)
      delete m;
  }};
  exiting.join();
  BOOST_TEST(reclaimed<sixteen>(before, held) == n);
}

// The timer thread frees the entries of every worker that armed timers,
// interleaved: a chain per owner, so that a change of owner does not send a
// chain of one back (nothing goes back before a flush here, fewer than a
// chain's worth each), and each owner gets exactly its own blocks.
BOOST_AUTO_TEST_CASE(a_thread_freeing_for_two_owners_in_turn_keeps_a_chain_for_each) {
  if (!tandem::detail::small_object_pool_enabled())
    return;
  constexpr int n = 5;
  std::vector<message*> mine, theirs;
  for (int i = 0; i < n; ++i)
    mine.push_back(new message_of<sixteen>());
  std::set<message*> mine_before(mine.begin(), mine.end());
  std::promise<void> they_made, freed, flush, flushed, they_looked, look_again;
  auto freed_seen = freed.get_future().share();
  int theirs_before_flush = -1;
  int theirs_after_flush = -1;
  std::thread owner{[&] {
    for (int i = 0; i < n; ++i)
      theirs.push_back(new message_of<sixteen>());
    std::set<message*> before(theirs.begin(), theirs.end());
    they_made.set_value();
    freed_seen.wait();
    std::vector<std::unique_ptr<message>> held;
    theirs_before_flush = reclaimed<sixteen>(before, held);
    they_looked.set_value();
    look_again.get_future().wait();
    theirs_after_flush = reclaimed<sixteen>(before, held);
  }};
  they_made.get_future().wait();
  std::thread freer{[&] {
    for (int i = 0; i < n; ++i) {
      delete mine[static_cast<std::size_t>(i)];
      delete theirs[static_cast<std::size_t>(i)];
    }
    freed.set_value();
    flush.get_future().wait();
    tandem::detail::flush_remote_frees();
    flushed.set_value();
  }};
  freed_seen.wait();
  std::vector<std::unique_ptr<message>> held;
  BOOST_TEST(reclaimed<sixteen>(mine_before, held) == 0);
  they_looked.get_future().wait();
  BOOST_TEST(theirs_before_flush == 0);
  flush.set_value();
  flushed.get_future().wait();
  BOOST_TEST(reclaimed<sixteen>(mine_before, held) == n);
  look_again.set_value();
  owner.join();
  freer.join();
  BOOST_TEST(theirs_after_flush == n);
}

BOOST_AUTO_TEST_CASE(a_pool_worker_hands_freed_messages_back_after_each_job) {
  if (!tandem::detail::small_object_pool_enabled())
    return;
  // Messages this thread makes and a worker frees come back to this thread
  // without the worker freeing a chain's worth or exiting.
  tandem::actor_system sys{std::make_unique<tandem::caf_pool>(tandem::caf_pool::options{2, 100})};
  constexpr int n = 5;
  std::atomic<int> handled{0};
  auto sink = sys.spawn([&handled](tandem::actor_base*) {
    return tandem::behavior{[&handled](const eight_longs&) { ++handled; }};
  });
  std::vector<message*> made;
  for (int i = 0; i < n; ++i)
    made.push_back(new message_of<eight_longs>());
  std::set<message*> before(made.begin(), made.end());
  for (auto* m : made)
    delete m;
  // Those blocks head this thread's free list now: the sends reuse them.
  for (int i = 0; i < n; ++i)
    tandem::send(sink, eight_longs{});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (handled.load() < n && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  BOOST_TEST(handled.load() == n);
  // The worker's job may still be ending when the last handler has run.
  std::vector<std::unique_ptr<message>> held;
  int back = reclaimed<eight_longs>(before, held);
  while (back < n && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    back += reclaimed<eight_longs>(before, held, 100);
  }
  BOOST_TEST(back == n);
  sys.shutdown();
}

#endif

BOOST_AUTO_TEST_SUITE_END()

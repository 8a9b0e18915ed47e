#pragma once

#include <tandem/runtime/time.hpp>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace tandem {

class timer_wheel;

/// One pending timer: "at `deadline`, hand me back". The owner allocates it
/// (usually as the base of a node that carries the message to deliver) and
/// keeps it alive while it is in a wheel; the wheel only links it (or, in a
/// ring slot, stores a pointer to it in the slot's array, which grows by
/// doubling), so arming a timer allocates nothing of its own. `deadline` must
/// not change while linked.
struct timer_node {
  time_point deadline{};
  /// Set by timer_wheel::insert (increasing per wheel): equal deadlines fire
  /// in insertion order.
  std::uint64_t seq = 0;

  timer_node() noexcept = default;
  explicit timer_node(time_point at) noexcept : deadline(at) {}

  // A copy of a linked node would carry the original's links.
  timer_node(const timer_node&) = delete;
  timer_node& operator=(const timer_node&) = delete;

  /// True while the node is in a wheel (inserted, not yet removed or fired).
  bool linked() const noexcept { return where_ != unlinked; }

private:
  friend class timer_wheel;

  static constexpr std::uint32_t unlinked = 0xffffffffu;

  // In a ring slot: at index_ of the slot's array. In a slot of a higher
  // level or the due run: a doubly linked list (next_, prev_). In the due
  // heap: a pairing heap (child_ = first child, next_ = next sibling, prev_ =
  // left sibling, or parent for a first child). where_ says which.
  timer_node* next_ = nullptr;
  timer_node* prev_ = nullptr;
  timer_node* child_ = nullptr;
  std::uint32_t where_ = unlinked;
  std::uint32_t index_ = 0;
};

/// The runtime's one timer mechanism: a hierarchical hashed timing wheel with
/// an exact order on top. Not thread-safe; the owner serializes all calls.
///
/// Time is counted in ticks of 2^20 ns (1.048576 ms) since the wheel's start:
/// a power of two so a deadline's tick is a subtraction and a shift, about a
/// millisecond because that is the scale of request timeouts and intervals
/// (and the browser clock's resolution). Ordering inside a tick is exact
/// anyway, so a finer tick would only add cascading.
///
/// Level 0, the near ring, has 2048 one-tick slots indexed by tick mod 2048;
/// it holds every tick from the current one to the end of the *next*
/// 1024-tick block (1.07 s), so between 1.07 and 2.14 s ahead. Levels 1-6
/// have 64 slots of aligned blocks: a level-L slot spans 1024 * 64^(L-1)
/// ticks (1: 1.07 s, 2: 69 s, 3: 73 min, 4: 78 h, 5: 208 days, 6: 36 years),
/// and the levels cover 2^46 ticks: every deadline a time_point can hold, so
/// there is no overflow list. A node beyond the ring goes to the level of the
/// highest digit in which its tick differs from the current one.
///
/// Why the ring reaches a whole block ahead: cascades are the dominant cost
/// of a wheel (each touches every node of a slot, and the nodes are scattered
/// over the owner's memory, a cache miss each), and a cascade done at once
/// when time reaches a slot delays the timers due right then by its whole
/// duration (measured: 10-25 ms for 500,000 pending timers). With the ring
/// covering the next block, a timer due within 1.07 s never cascades at all,
/// and the level-1 slot of the block after next is moved into the ring
/// *during* the current block: paced by the ticks that pass (and a little on
/// every insert), finished before any of its nodes can be due. What is left
/// of a cascade at once: crossing into a new level-2 block (every 69 s) moves
/// the nodes due in that block; and a driver that sleeps through a whole
/// block (no expiry, no insert) finishes the migration when it wakes. Work is
/// proportional to the timers, never to the ticks.
///
/// Every node is in one of three places:
/// - the wheel, if its tick is >= cur_ (the first tick not yet taken out):
///   unsorted slots, O(1) insert and remove, occupancy bitmaps so that
///   empty slots are skipped by bit scans, and slots of higher levels
///   cascade into lower ones when time reaches them. A ring slot is an array
///   of node pointers (a removed node leaves a hole): walking it to sort it
///   can prefetch nodes ahead -- the nodes are scattered over the owner's
///   memory, and a linked list would cost one serial cache miss per node on
///   the thread that expires timers -- and an insert touches no other node.
///   An array lives while its slot holds timers (a few reallocations per
///   slot and tick, not per timer), so an idle wheel holds no memory.
///   Higher levels keep doubly linked lists (cascades walk them anyway);
/// - the due run, a sorted list: the level-0 slots time has reached, each
///   sorted by (deadline, seq) once as it is taken out (in a small array of
///   keys, not by chasing the nodes, which are scattered in memory);
/// - the due heap, an intrusive pairing heap ordered by (deadline, seq), for
///   inserts into ticks already taken out (past deadlines, very short delays).
/// Run and heap nodes are earlier than every wheel node, so the smaller of
/// their two heads is the exact next deadline whenever one is not empty.
/// expire(now) takes the slots with tick <= tick(now) out of the wheel and
/// pops the run and heap heads while due: exact (deadline, seq) order, cost
/// proportional to the timers moved, however far `now` jumps.
class timer_wheel {
public:
  static constexpr int tick_shift = 20;
  static constexpr duration tick{duration::rep{1} << tick_shift};
  static constexpr int levels = 7;
  static constexpr int block_bits = 10;  // 1024 ticks: a level-1 slot
  static constexpr int ring_bits = block_bits + 1; // the ring: 2048 slots, two blocks
  static constexpr int level_bits = 6;   // 64 slots on levels 1..6

  /// `start` is the origin of the wheel's ticks, normally the clock's now()
  /// (time_point{} for a virtual clock). Deadlines before it are fine: they
  /// are simply due. Allocates the wheel's one sort buffer.
  explicit timer_wheel(time_point start);
  ~timer_wheel();

  timer_wheel(const timer_wheel&) = delete;
  timer_wheel& operator=(const timer_wheel&) = delete;

  /// Arms `n` for n->deadline and sets n->seq. `n` must not be linked. O(1)
  /// (amortised: a ring slot's array may grow; out of memory terminates).
  void insert(timer_node* n) noexcept {
    n->seq = next_seq_++;
    ++size_;
    std::uint64_t t = tick_of(n->deadline);
    if (t < cur_) {
      heap_push(n);
      return;
    }
    if (in_wheel_ == 0)
      wheel_min_ = n;
    else if (wheel_min_ != nullptr && before(n, wheel_min_))
      wheel_min_ = n;
    ++in_wheel_;
    place(n, t);
    if (migrating_ != no_slot)
      migrate(2);
  }

  /// Disarms `n`, which must be linked in this wheel. O(1), except for a
  /// node in the due heap (amortised O(log k) for k nodes there).
  void remove(timer_node* n) noexcept {
    if (n->where_ < in_heap) {
      unlink_from_slot(n);
      --in_wheel_;
      if (n == wheel_min_)
        wheel_min_ = nullptr; // found again by the next next_deadline()
    } else if (n->where_ == in_run) {
      unlink_from_run(n);
    } else {
      heap_erase(n);
    }
    --size_;
    reset(n);
  }

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  time_point origin() const noexcept { return origin_; }
  /// Nodes beyond the ring (on levels 1-6): each will move at least once
  /// more before it can fire. O(levels * 64); for tests and diagnostics.
  std::size_t beyond_ring() const noexcept {
    std::size_t n = 0;
    for (auto c : counts_)
      n += c;
    return n;
  }

  /// The exact earliest deadline present, or time_point::max() if none. O(1)
  /// while it is known; after the earliest node was removed or fired it may
  /// cost one slot: a level-0 slot less than 64 ticks ahead is sorted into
  /// the due run (work expire() would do anyway), a slot further off is
  /// scanned for its minimum (cached until that node leaves).
  time_point next_deadline() noexcept {
    if (timer_node* n = first_due())
      return n->deadline;
    if (in_wheel_ == 0)
      return time_point::max();
    if (wheel_min_ != nullptr)
      return wheel_min_->deadline;
    return find_next_deadline();
  }

  /// Removes every node with deadline <= now and calls on_due(timer_node*)
  /// for each, in (deadline, seq) order; returns how many. The node is
  /// unlinked before its call, so on_due may destroy it, re-insert it or
  /// insert others (an interval re-arming itself), and may remove other
  /// nodes. A node inserted during the call with deadline <= now fires in
  /// this same call, after the node whose on_due inserted it, in order with
  /// the rest. on_due must not call expire() or clear(); if it throws, the
  /// node it was given is already out and the others stay armed. `now` may
  /// jump by any amount: only occupied slots cost anything; it may also go
  /// backwards (nothing later than it fires).
  template <class F>
  std::size_t expire(time_point now, F&& on_due) {
    std::uint64_t t = tick_of(now);
    if (t >= cur_)
      advance(t);
    std::size_t fired = 0;
    for (;;) {
      timer_node* n = first_due();
      if (n == nullptr || n->deadline > now)
        return fired;
      if (n == run_head_)
        unlink_from_run(n);
      else
        heap_pop();
      reset(n);
      --size_;
      ++fired;
      on_due(n);
    }
  }

  /// Unlinks every node, in no particular order, and calls f(timer_node*) for
  /// each (to dispose of them at shutdown); returns how many.
  template <class F>
  std::size_t clear(F&& f) {
    timer_node* list = take_all();
    std::size_t count = 0;
    while (list != nullptr) {
      timer_node* n = list;
      list = n->next_;
      reset(n);
      ++count;
      f(n);
    }
    return count;
  }

private:
  static constexpr std::uint32_t ring_slots = 1u << ring_bits;
  static constexpr std::uint32_t level_slots = 1u << level_bits;
  static constexpr std::uint32_t slot_count = ring_slots + (levels - 1) * level_slots;
  static constexpr std::uint32_t no_slot = 0xffffffffu;
  // where_ of a linked node: its slot (an index into heads_), or one of these.
  static constexpr std::uint32_t in_heap = slot_count;
  static constexpr std::uint32_t in_run = slot_count + 1;

  /// Strict (deadline, seq) order: seq is unique, so there are no ties.
  static bool before(const timer_node* a, const timer_node* b) noexcept {
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
  }

  static void reset(timer_node* n) noexcept {
    n->next_ = n->prev_ = n->child_ = nullptr;
    n->where_ = timer_node::unlinked;
  }

  std::uint64_t tick_of(time_point t) const noexcept {
    auto d = t.time_since_epoch().count();
    auto o = origin_.time_since_epoch().count();
    if (d <= o)
      return 0;
    // d - o may not fit in the signed type; it always fits unsigned.
    return (static_cast<std::uint64_t>(d) - static_cast<std::uint64_t>(o)) >> tick_shift;
  }

  /// Level L's (L >= 1) digit of a tick: bits [shift, shift + level_bits).
  static constexpr int digit_shift(int level) noexcept {
    return block_bits + (level - 1) * level_bits;
  }
  static constexpr int digit_width(int) noexcept { return level_bits; }
  /// Index into heads_ of slot `slot` of `level` (level 0: the ring).
  static constexpr std::uint32_t slot_id(int level, std::uint32_t slot) noexcept {
    return level == 0 ? slot
                      : ring_slots + static_cast<std::uint32_t>(level - 1) * level_slots + slot;
  }
  /// The first tick the ring does not cover while the current tick is `cur`:
  /// the start of the block after the next.
  static constexpr std::uint64_t ring_limit(std::uint64_t cur) noexcept {
    return ((cur >> block_bits) + 2) << block_bits;
  }
  std::uint32_t cur_index(int level) const noexcept {
    return static_cast<std::uint32_t>((cur_ >> digit_shift(level))
                                      & ((std::uint64_t{1} << digit_width(level)) - 1));
  }
  // occupied_ has one bit per slot, in heads_ order: 32 words for the ring,
  // then one word per level.
  void mark(std::uint32_t id) noexcept { occupied_[id / 64] |= std::uint64_t{1} << (id % 64); }
  void unmark(std::uint32_t id) noexcept {
    occupied_[id / 64] &= ~(std::uint64_t{1} << (id % 64));
  }

  /// The earliest node taken out of the wheel, if any.
  timer_node* first_due() const noexcept {
    if (run_head_ == nullptr)
      return heap_;
    if (heap_ == nullptr || before(run_head_, heap_))
      return run_head_;
    return heap_;
  }

  /// Puts `n` (tick t >= cur_) in the ring if t < lim_, else on the level of
  /// the highest digit in which t differs from cur_: a level-L slot holds a
  /// later level-L block of cur_'s level-(L+1) block. So every node of a
  /// lower level is earlier than every node of a higher one (the one
  /// exception, a level-1 slot being migrated into the ring, is handled where
  /// it matters: find_next), and within a level a higher slot is later.
  void place(timer_node* n, std::uint64_t t) noexcept {
    std::uint32_t id;
    if (t < lim_) {
      id = static_cast<std::uint32_t>(t & (ring_slots - 1));
      ring_slot& r = ring_[id];
      if (r.size == r.capacity)
        grow(r);
      n->where_ = id;
      n->index_ = r.size;
      r.items[r.size++] = n;
      ++r.live;
      mark(id);
      return;
    } else {
      std::uint64_t x = t ^ cur_;
      int level = 1 + (63 - std::countl_zero(x) - block_bits) / level_bits;
      auto digit = static_cast<std::uint32_t>((t >> digit_shift(level)) & (level_slots - 1));
      id = slot_id(level, digit);
      ++counts_[id - ring_slots];
    }
    n->where_ = id;
    n->prev_ = nullptr;
    n->next_ = heads_[id];
    if (heads_[id] != nullptr)
      heads_[id]->prev_ = n;
    heads_[id] = n;
    mark(id);
  }

  void unlink_from_slot(timer_node* n) noexcept {
    std::uint32_t id = n->where_;
    if (id < ring_slots) {
      ring_slot& r = ring_[id];
      r.items[n->index_] = nullptr;
      if (--r.live == 0) {
        release(r);
        unmark(id);
      }
      return;
    }
    --counts_[id - ring_slots];
    if (n->prev_ != nullptr)
      n->prev_->next_ = n->next_;
    else
      heads_[id] = n->next_;
    if (n->next_ != nullptr)
      n->next_->prev_ = n->prev_;
    if (heads_[id] == nullptr)
      unmark(id);
  }

  void unlink_from_run(timer_node* n) noexcept {
    if (n->prev_ != nullptr)
      n->prev_->next_ = n->next_;
    else
      run_head_ = n->next_;
    if (n->next_ != nullptr)
      n->next_->prev_ = n->prev_;
    else
      run_tail_ = n->prev_;
  }

  /// Pairing heap: the root wins, the loser becomes its first child.
  static timer_node* link(timer_node* a, timer_node* b) noexcept {
    if (before(b, a)) {
      timer_node* t = a;
      a = b;
      b = t;
    }
    b->prev_ = a;
    b->next_ = a->child_;
    if (a->child_ != nullptr)
      a->child_->prev_ = b;
    a->child_ = b;
    return a;
  }

  void heap_push(timer_node* n) noexcept {
    n->where_ = in_heap;
    n->child_ = nullptr;
    n->next_ = n->prev_ = nullptr;
    if (heap_ != nullptr) {
      heap_ = link(heap_, n);
      heap_->next_ = heap_->prev_ = nullptr;
    } else {
      heap_ = n;
    }
  }

  void heap_pop() noexcept;
  void heap_erase(timer_node* n) noexcept;
  static timer_node* merge_pairs(timer_node* first) noexcept;

  /// Takes every wheel node with tick <= t out; cur_ becomes t + 1.
  void advance(std::uint64_t t) noexcept;
  void advance_to(std::uint64_t t) noexcept;
  /// The earliest occupied slot: the lowest level with an occupied slot at or
  /// after cur_, and that slot. Finishes a pending migration first if the
  /// answer would otherwise be a ring slot in the next block.
  bool find_next(int& level, std::uint32_t& slot) noexcept;
  /// The first occupied ring slot at or after cur_, or no_slot.
  std::uint32_t first_ring_slot() const noexcept;
  /// Moves up to `budget` nodes of the slot being migrated into the ring.
  void migrate(std::size_t budget) noexcept;
  /// First tick of slot `slot` of `level` in cur_'s block of that level.
  std::uint64_t slot_start(int level, std::uint32_t slot) const noexcept;
  /// Unlinks the whole list of a slot of level >= 1.
  timer_node* take_slot(std::uint32_t id) noexcept {
    timer_node* list = heads_[id];
    heads_[id] = nullptr;
    unmark(id);
    return list;
  }
  /// Sorts level-0 slot `slot` onto the end of the due run.
  void slot_to_run(std::uint32_t slot) noexcept;
  /// Sorts the nodes of ring slot `id` and empties it; returns them sorted,
  /// linked through next_.
  timer_node* sort_ring_slot(std::uint32_t id) noexcept;
  /// Merges two sorted lists linked through next_.
  static timer_node* merge_runs(timer_node* a, timer_node* b) noexcept;
  /// After cur_ moved forward: moves the ring's limit along, re-places the
  /// nodes of higher-level slots that cur_ has reached, and starts migrating
  /// the level-1 slot of the next block into the ring.
  void settle() noexcept;
  time_point find_next_deadline() noexcept;
  timer_node* take_all() noexcept;

  struct ring_slot {
    timer_node** items = nullptr; // holes (nullptr) where nodes were removed
    std::uint32_t size = 0;       // items used, holes included
    std::uint32_t capacity = 0;
    std::uint32_t live = 0;       // items that are not holes
  };
  static void grow(ring_slot& r) noexcept;
  /// Frees an empty slot's array: only slots holding timers hold memory.
  static void release(ring_slot& r) noexcept;

  struct sort_key {
    time_point::rep deadline;
    std::uint64_t seq;
    timer_node* node;
  };
  static constexpr std::size_t sort_chunk = 1024;
  /// How far ahead next_deadline() sorts a level-0 slot instead of scanning.
  static constexpr std::uint64_t near_ticks = 64;

  time_point origin_;
  std::uint64_t cur_ = 0; // first tick still in the wheel
  std::uint64_t lim_ = ring_limit(0); // first tick beyond the ring
  // The level-1 slot being moved into the ring (no_slot if none), how many
  // nodes it held when that began, and the tick by which it must be done.
  std::uint32_t migrating_ = no_slot;
  std::uint32_t migrate_total_ = 0;
  std::uint64_t migrate_end_ = 0;
  std::uint64_t next_seq_ = 0;
  std::size_t size_ = 0;
  std::size_t in_wheel_ = 0;
  timer_node* run_head_ = nullptr;  // the due run, sorted
  timer_node* run_tail_ = nullptr;
  timer_node* heap_ = nullptr;      // root of the due heap
  timer_node* wheel_min_ = nullptr; // earliest wheel node, if known
  std::unique_ptr<sort_key[]> keys_; // sort_chunk keys
  std::uint64_t occupied_[slot_count / 64] = {};
  std::uint32_t counts_[slot_count - ring_slots] = {}; // nodes per level >= 1 slot
  timer_node* heads_[slot_count] = {}; // lists of levels >= 1 (the ring part unused)
  std::unique_ptr<ring_slot[]> ring_;
};

} // namespace tandem

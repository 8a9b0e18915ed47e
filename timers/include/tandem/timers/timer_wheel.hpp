#pragma once

#include <tandem/runtime/time.hpp>

#include <bit>
#include <cstddef>
#include <cstdint>

namespace tandem {

class timer_wheel;

/// One pending timer: "at `deadline`, hand me back". The owner allocates it
/// (usually as the base of a node that carries the message to deliver) and
/// keeps it alive while it is in a wheel; the wheel only links it, so arming
/// a timer allocates nothing. `deadline` must not change while linked.
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

  // In a wheel slot: a doubly linked list (next_, prev_). In the due heap: a
  // pairing heap (child_ = first child, next_ = next sibling, prev_ = left
  // sibling, or parent for a first child). where_ says which.
  timer_node* next_ = nullptr;
  timer_node* prev_ = nullptr;
  timer_node* child_ = nullptr;
  std::uint32_t where_ = unlinked;
};

/// The runtime's one timer mechanism: a hierarchical hashed timing wheel with
/// an exact order on top. Not thread-safe; the owner serializes all calls.
///
/// Time is counted in ticks of 2^20 ns (1.048576 ms) since the wheel's start:
/// a power of two so a deadline's tick is a subtraction and a shift, about a
/// millisecond because that is the scale of request timeouts and intervals
/// (and the browser clock's resolution). Ordering inside a tick stays exact,
/// so a finer tick would only add cascading. 8 levels of 64 slots cover
/// 2^48 ticks, i.e. every deadline a time_point can hold: no overflow list.
/// A level-L slot spans 64^L ticks (level 0: 1 ms, 1: 67 ms, 2: 4.3 s,
/// 3: 4.6 min, 4: 4.9 h, 5: 13 days, ...).
///
/// Every node is in one of two places:
/// - the wheel, if its tick is >= cur_ (the first tick not yet taken out):
///   unsorted slot lists, O(1) insert and remove, an occupancy bitmap per
///   level so that empty slots are skipped with one bit scan, and slots of
///   higher levels cascade into lower ones when time reaches them;
/// - the due heap, an intrusive pairing heap ordered by (deadline, seq), for
///   ticks < cur_: the slots time has reached, past deadlines, and inserts
///   into ticks already taken out. Every heap node is earlier than every
///   wheel node, so the heap's root is the exact next deadline whenever the
///   heap is not empty.
/// expire(now) moves the slots with tick <= tick(now) into the heap and pops
/// it while the root is due: exact (deadline, seq) order, cost proportional
/// to the timers moved, however far `now` jumps.
class timer_wheel {
public:
  static constexpr int tick_shift = 20;
  static constexpr duration tick{duration::rep{1} << tick_shift};
  static constexpr int slot_bits = 6;
  static constexpr unsigned slots_per_level = 1u << slot_bits;
  static constexpr int levels = 8;

  /// `start` is the origin of the wheel's ticks, normally the clock's now()
  /// (time_point{} for a virtual clock). Deadlines before it are fine: they
  /// are simply due.
  explicit timer_wheel(time_point start) noexcept : origin_(start) {}

  timer_wheel(const timer_wheel&) = delete;
  timer_wheel& operator=(const timer_wheel&) = delete;

  /// Arms `n` for n->deadline and sets n->seq. `n` must not be linked. O(1).
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
  }

  /// Disarms `n`, which must be linked in this wheel. O(1) for a node in the
  /// wheel; amortised O(log k) for one of the k nodes in the due heap.
  void remove(timer_node* n) noexcept {
    if (n->where_ == in_heap) {
      heap_erase(n);
    } else {
      unlink_from_slot(n);
      --in_wheel_;
      if (n == wheel_min_)
        wheel_min_ = nullptr; // found again by the next next_deadline()
    }
    --size_;
    reset(n);
  }

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  time_point origin() const noexcept { return origin_; }

  /// The exact earliest deadline present, or time_point::max() if none. O(1)
  /// while it is known; after the earliest node was removed or fired it costs
  /// one slot: the next level-0 slot goes into the heap (work expire() would
  /// do anyway), or a higher-level slot is scanned for its minimum.
  time_point next_deadline() noexcept {
    if (heap_ != nullptr)
      return heap_->deadline;
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
  /// the rest. on_due must not call expire() or clear(). `now` may jump by
  /// any amount: only occupied slots cost anything; it may also go backwards
  /// (nothing later than it fires).
  template <class F>
  std::size_t expire(time_point now, F&& on_due) {
    std::uint64_t t = tick_of(now);
    if (t >= cur_)
      advance(t);
    std::size_t fired = 0;
    while (heap_ != nullptr && heap_->deadline <= now) {
      timer_node* n = heap_pop();
      --size_;
      ++fired;
      on_due(n);
    }
    return fired;
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
  static constexpr std::uint32_t in_heap = levels * slots_per_level;
  static constexpr std::uint64_t slot_mask = slots_per_level - 1;

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

  std::uint64_t cur_index(int level) const noexcept {
    return (cur_ >> (level * slot_bits)) & slot_mask;
  }

  /// Puts `n` (tick t >= cur_) on the level of the highest bit in which t
  /// differs from cur_: level-0 slots hold the current 64-tick block, a
  /// level-L slot a later 64^L block of the same 64^(L+1) block. So every
  /// node of a lower level is earlier than every node of a higher one, and
  /// within a level a higher slot is later.
  void place(timer_node* n, std::uint64_t t) noexcept {
    int level = (63 - std::countl_zero((t ^ cur_) | slot_mask)) / slot_bits;
    auto slot = static_cast<std::uint32_t>((t >> (level * slot_bits)) & slot_mask);
    std::uint32_t w = static_cast<std::uint32_t>(level) * slots_per_level + slot;
    n->where_ = w;
    n->prev_ = nullptr;
    n->next_ = heads_[w];
    if (heads_[w] != nullptr)
      heads_[w]->prev_ = n;
    heads_[w] = n;
    occupied_[level] |= std::uint64_t{1} << slot;
  }

  void unlink_from_slot(timer_node* n) noexcept {
    std::uint32_t w = n->where_;
    if (n->prev_ != nullptr)
      n->prev_->next_ = n->next_;
    else
      heads_[w] = n->next_;
    if (n->next_ != nullptr)
      n->next_->prev_ = n->prev_;
    if (heads_[w] == nullptr)
      occupied_[w / slots_per_level] &= ~(std::uint64_t{1} << (w % slots_per_level));
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

  timer_node* heap_pop() noexcept;
  void heap_erase(timer_node* n) noexcept;
  static timer_node* merge_pairs(timer_node* first) noexcept;

  /// Moves every wheel node with tick <= t into the heap; cur_ becomes t + 1.
  void advance(std::uint64_t t) noexcept;
  /// The lowest level with an occupied slot at or after cur_, and that slot.
  bool find_next(int& level, std::uint32_t& slot) const noexcept;
  /// First tick of slot `slot` of `level` in cur_'s block of that level.
  std::uint64_t slot_start(int level, std::uint32_t slot) const noexcept;
  /// Moves level-0 slot `slot` into the heap.
  void slot_to_heap(std::uint32_t slot) noexcept;
  /// Re-places the nodes of higher-level slots that cur_ has reached.
  void settle() noexcept;
  time_point find_next_deadline() noexcept;
  timer_node* take_all() noexcept;

  time_point origin_;
  std::uint64_t cur_ = 0;      // first tick still in the wheel
  std::uint64_t next_seq_ = 0;
  std::size_t size_ = 0;
  std::size_t in_wheel_ = 0;
  timer_node* heap_ = nullptr;      // root of the due heap
  timer_node* wheel_min_ = nullptr; // earliest wheel node, if known
  std::uint64_t occupied_[levels] = {};
  timer_node* heads_[levels * slots_per_level] = {};
};

} // namespace tandem

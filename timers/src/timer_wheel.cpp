#include <tandem/timers/timer_wheel.hpp>

#include <algorithm>
#include <cstdlib>
#include <exception>

namespace tandem {

timer_wheel::timer_wheel(time_point start)
  : origin_(start), keys_(std::make_unique<sort_key[]>(sort_chunk)),
    ring_(std::make_unique<ring_slot[]>(ring_slots)) {}

// The nodes belong to the owner; whatever is still linked is simply forgotten.
timer_wheel::~timer_wheel() {
  for (std::uint32_t i = 0; i < ring_slots; ++i)
    std::free(ring_[i].items);
}

void timer_wheel::release(ring_slot& r) noexcept {
  std::free(r.items);
  r = ring_slot{};
}

void timer_wheel::grow(ring_slot& r) noexcept {
  std::uint32_t capacity = r.capacity == 0 ? 16 : r.capacity * 2;
  auto* items = static_cast<timer_node**>(std::realloc(r.items, capacity * sizeof(timer_node*)));
  if (items == nullptr)
    std::terminate(); // like an allocation failing in any noexcept insert
  r.items = items;
  r.capacity = capacity;
}

// -- due heap -----------------------------------------------------------------

// Two-pass pairing: link the siblings in pairs left to right, then fold the
// pairs right to left. Amortised O(log k).
timer_node* timer_wheel::merge_pairs(timer_node* first) noexcept {
  if (first == nullptr)
    return nullptr;
  timer_node* pairs = nullptr; // linked through next_, last pair first
  while (first != nullptr) {
    timer_node* a = first;
    timer_node* b = a->next_;
    if (b == nullptr) {
      a->next_ = pairs;
      pairs = a;
      break;
    }
    first = b->next_;
    timer_node* m = link(a, b);
    m->next_ = pairs;
    pairs = m;
  }
  timer_node* root = pairs;
  pairs = pairs->next_;
  while (pairs != nullptr) {
    timer_node* next = pairs->next_;
    root = link(root, pairs);
    pairs = next;
  }
  root->next_ = root->prev_ = nullptr;
  return root;
}

void timer_wheel::heap_pop() noexcept {
  heap_ = merge_pairs(heap_->child_);
}

void timer_wheel::heap_erase(timer_node* n) noexcept {
  if (n == heap_) {
    heap_pop();
    return;
  }
  // prev_ is the parent if n is a first child, else the left sibling.
  if (n->prev_->child_ == n)
    n->prev_->child_ = n->next_;
  else
    n->prev_->next_ = n->next_;
  if (n->next_ != nullptr)
    n->next_->prev_ = n->prev_;
  if (timer_node* sub = merge_pairs(n->child_)) {
    heap_ = link(heap_, sub);
    heap_->next_ = heap_->prev_ = nullptr;
  }
}

// -- wheel --------------------------------------------------------------------

std::uint32_t timer_wheel::first_ring_slot() const noexcept {
  // The ring holds ticks [cur_, lim_): scan the bitmap from cur_'s slot, at
  // most lim_ - cur_ slots, wrapping around the end of the ring.
  std::uint64_t span = lim_ - cur_;
  auto idx = static_cast<std::uint32_t>(cur_ & (ring_slots - 1));
  std::uint32_t word = idx / 64;
  std::uint64_t m = occupied_[word] & (~std::uint64_t{0} << (idx % 64));
  // Words to look at: the first (partial) one plus enough to cover span.
  std::uint64_t words = (idx % 64 + span + 63) / 64;
  for (std::uint64_t i = 0; i < words; ++i) {
    if (m != 0) {
      auto slot = word * 64 + static_cast<std::uint32_t>(std::countr_zero(m));
      // A bit past lim_ in the last word belongs to no tick of the ring's
      // span; the ring has nothing there (every ring node is in [cur_, lim_)).
      return slot;
    }
    word = (word + 1) % (ring_slots / 64);
    m = occupied_[word];
  }
  return no_slot;
}

// A level L >= 1 never holds anything in cur_'s own slot (settle() keeps it
// so), only later slots: the first occupied slot of the lowest occupied level
// is the earliest -- except while the level-1 slot of the next block is being
// migrated into the ring: the ring's nodes of that block are then not all
// earlier than the slot's, so a ring answer in the next block first finishes
// the migration.
bool timer_wheel::find_next(int& level, std::uint32_t& slot) noexcept {
  std::uint32_t s = first_ring_slot();
  if (s != no_slot && migrating_ != no_slot) {
    std::uint64_t tick = cur_ + ((s - cur_) & (ring_slots - 1));
    if ((tick >> block_bits) != (cur_ >> block_bits)) {
      migrate(~std::size_t{0});
      s = first_ring_slot();
    }
  }
  if (s != no_slot) {
    level = 0;
    slot = s;
    return true;
  }
  for (int l = 1; l < levels; ++l) {
    std::uint64_t m = occupied_[slot_id(l, 0) / 64] & (~std::uint64_t{0} << cur_index(l));
    if (m != 0) {
      level = l;
      slot = static_cast<std::uint32_t>(std::countr_zero(m));
      return true;
    }
  }
  return false;
}

std::uint64_t timer_wheel::slot_start(int level, std::uint32_t slot) const noexcept {
  if (level == 0)
    return cur_ + ((slot - cur_) & (ring_slots - 1));
  int low = digit_shift(level);
  int high = low + digit_width(level);
  return ((cur_ >> high) << high) | (std::uint64_t{slot} << low);
}

timer_node* timer_wheel::merge_runs(timer_node* a, timer_node* b) noexcept {
  timer_node* out = nullptr;
  timer_node** tail = &out;
  while (a != nullptr && b != nullptr) {
    if (before(b, a)) {
      *tail = b;
      tail = &b->next_;
      b = b->next_;
    } else {
      *tail = a;
      tail = &a->next_;
      a = a->next_;
    }
  }
  *tail = a != nullptr ? a : b;
  return out;
}

// The nodes of a slot are scattered over the owner's memory, so a comparison
// sort that chases them (a heap, a list merge sort) pays a cache and TLB miss
// per comparison. Instead: copy each chunk's keys into the sort buffer --
// walking the slot's array, with the nodes a few places ahead prefetched, so
// the misses overlap instead of queueing -- sort that, and relink the chunk in
// order; chunks (only for slots of more than sort_chunk nodes) are merged as
// lists, like a binary counter.
timer_node* timer_wheel::sort_ring_slot(std::uint32_t id) noexcept {
  constexpr std::uint32_t ahead = 8;
  ring_slot& r = ring_[id];
  timer_node** items = r.items;
  std::uint32_t size = r.size;
  r = ring_slot{}; // its array is freed below, once walked
  unmark(id);
  for (std::uint32_t i = 0; i < ahead && i < size; ++i)
    if (items[i] != nullptr)
      __builtin_prefetch(items[i]);
  timer_node* runs[64] = {};
  int top = 0;
  sort_key* keys = keys_.get();
  std::uint32_t i = 0;
  while (i < size) {
    std::size_t k = 0;
    for (; i < size && k < sort_chunk; ++i) {
      if (i + ahead < size && items[i + ahead] != nullptr)
        __builtin_prefetch(items[i + ahead]);
      timer_node* n = items[i];
      if (n != nullptr)
        keys[k++] = sort_key{n->deadline.time_since_epoch().count(), n->seq, n};
    }
    if (k == 0)
      continue;
    std::sort(keys, keys + k, [](const sort_key& a, const sort_key& b) {
      return a.deadline < b.deadline || (a.deadline == b.deadline && a.seq < b.seq);
    });
    for (std::size_t j = 0; j + 1 < k; ++j)
      keys[j].node->next_ = keys[j + 1].node;
    keys[k - 1].node->next_ = nullptr;
    timer_node* carry = keys[0].node;
    int j = 0;
    for (; j < top && runs[j] != nullptr; ++j) {
      carry = merge_runs(runs[j], carry);
      runs[j] = nullptr;
    }
    runs[j] = carry;
    if (j == top)
      ++top;
  }
  std::free(items);
  timer_node* sorted = nullptr;
  for (int j = 0; j < top; ++j)
    if (runs[j] != nullptr)
      sorted = sorted == nullptr ? runs[j] : merge_runs(runs[j], sorted);
  return sorted;
}

// All of a level-0 slot's nodes have the same tick, later than every node
// already in the run: the sorted slot goes on the run's end.
void timer_wheel::slot_to_run(std::uint32_t slot) noexcept {
  timer_node* n = sort_ring_slot(slot_id(0, slot));
  timer_node* prev = run_tail_;
  if (prev == nullptr)
    run_head_ = n;
  else
    prev->next_ = n;
  for (; n != nullptr; n = n->next_) {
    n->prev_ = prev;
    n->where_ = in_run;
    --in_wheel_;
    prev = n;
  }
  run_tail_ = prev;
  // The cached minimum may have been among them.
  wheel_min_ = nullptr;
}

// Called whenever cur_ moved forward (never past the earliest wheel node).
// The ring's limit moves with cur_'s block. A slot of level L >= 1 that cur_
// has entered holds nodes of cur_'s own block of that level, which belong on
// lower levels (or in the ring) now. Re-placing them relative to cur_ never
// lands in another such slot (the level is chosen by the highest digit in
// which the tick differs from cur_, and there it is greater), so one pass
// suffices. A node moves down at most 6 times in its life, and not at all if
// it is due within the ring's reach when inserted.
void timer_wheel::settle() noexcept {
  std::uint64_t lim = ring_limit(cur_);
  bool new_block = lim != lim_;
  lim_ = lim;
  if (new_block && migrating_ != no_slot) {
    // A migration the driver slept through: its block is (at least) the
    // current one now; settle() below or migrate() finish it.
    migrate(~std::size_t{0});
  }
  for (int l = levels - 1; l >= 1; --l) {
    std::uint32_t id = slot_id(l, cur_index(l));
    if (heads_[id] == nullptr)
      continue;
    timer_node* n = take_slot(id);
    counts_[id - ring_slots] = 0;
    while (n != nullptr) {
      timer_node* next = n->next_;
      place(n, tick_of(n->deadline));
      n = next;
    }
  }
  if (new_block) {
    // The ring now reaches through the next block, whose nodes inserted
    // earlier sit in a level-1 slot (unless that block starts a new level-2
    // block: then they are in a higher slot with others, and cascade when
    // cur_ gets there). Move them in during this block.
    std::uint64_t next_block = (cur_ >> block_bits) + 1;
    if ((next_block & (level_slots - 1)) != 0) {
      std::uint32_t id = slot_id(1, static_cast<std::uint32_t>(next_block & (level_slots - 1)));
      if (heads_[id] != nullptr) {
        migrating_ = id;
        migrate_total_ = counts_[id - ring_slots];
        migrate_end_ = next_block << block_bits;
      }
    }
  }
}

void timer_wheel::migrate(std::size_t budget) noexcept {
  std::uint32_t id = migrating_;
  while (budget-- > 0) {
    timer_node* n = heads_[id];
    if (n == nullptr)
      break;
    heads_[id] = n->next_;
    if (n->next_ != nullptr)
      n->next_->prev_ = nullptr;
    --counts_[id - ring_slots];
    place(n, tick_of(n->deadline)); // within lim_: into the ring
  }
  if (heads_[id] == nullptr) {
    unmark(id);
    migrating_ = no_slot;
  }
}

void timer_wheel::advance(std::uint64_t t) noexcept {
  advance_to(t);
  if (migrating_ != no_slot) {
    // Pace: by the end of the block, all of the slot is in the ring. Keep
    // what is left proportional to the ticks left (and move at least a few).
    std::uint64_t left_ticks = migrate_end_ > cur_ ? migrate_end_ - cur_ : 0;
    std::uint64_t keep = std::uint64_t{migrate_total_} * left_ticks >> block_bits;
    std::uint64_t have = counts_[migrating_ - ring_slots];
    if (have > keep)
      migrate(static_cast<std::size_t>(have - keep) + 16);
  }
}

void timer_wheel::advance_to(std::uint64_t t) noexcept {
  while (cur_ <= t) {
    int level = 0;
    std::uint32_t slot = 0;
    if (in_wheel_ == 0 || !find_next(level, slot)) {
      cur_ = t + 1;
      settle(); // the ring's limit follows cur_ even when the wheel is empty
      return;
    }
    std::uint64_t start = slot_start(level, slot);
    if (start > t) {
      // Nothing up to t: jump. Every wheel node is >= start > t, so all
      // stay where they are, except any in the slots cur_ now enters.
      cur_ = t + 1;
      settle();
      return;
    }
    if (level == 0) {
      slot_to_run(slot);
      cur_ = start + 1;
    } else {
      cur_ = start; // settle() cascades this very slot
    }
    settle();
  }
}

time_point timer_wheel::find_next_deadline() noexcept {
  int level = 0;
  std::uint32_t slot = 0;
  find_next(level, slot); // in_wheel_ > 0: there is one
  std::uint64_t start = slot_start(level, slot);
  if (level == 0 && start < cur_ + near_ticks) {
    // One tick's worth, and soon: sort it into the run now (work expire()
    // would do anyway) rather than scan it. cur_ then runs ahead of the
    // caller's clock by less than near_ticks; nodes inserted before it go
    // to the due heap, which is exact too, but slower than the wheel when
    // it holds many: so not for a slot further off.
    slot_to_run(slot);
    cur_ = start + 1;
    settle();
    return first_due()->deadline;
  }
  timer_node* best = nullptr;
  if (level == 0) {
    const ring_slot& r = ring_[slot];
    for (std::uint32_t i = 0; i < r.size; ++i)
      if (timer_node* n = r.items[i]; n != nullptr && (best == nullptr || before(n, best)))
        best = n;
  } else {
    best = heads_[slot_id(level, slot)];
    for (timer_node* n = best->next_; n != nullptr; n = n->next_)
      if (before(n, best))
        best = n;
  }
  wheel_min_ = best;
  return best->deadline;
}

timer_node* timer_wheel::take_all() noexcept {
  timer_node* out = nullptr;
  // The heap, flattened through next_.
  timer_node* todo = heap_;
  while (todo != nullptr) {
    timer_node* p = todo;
    todo = p->next_;
    for (timer_node* c = p->child_; c != nullptr;) {
      timer_node* next = c->next_;
      c->next_ = todo;
      todo = c;
      c = next;
    }
    p->next_ = out;
    out = p;
  }
  heap_ = nullptr;
  for (timer_node* n = run_head_; n != nullptr;) {
    timer_node* next = n->next_;
    n->next_ = out;
    out = n;
    n = next;
  }
  run_head_ = run_tail_ = nullptr;
  for (std::uint32_t word = 0; word < slot_count / 64; ++word) {
    std::uint64_t m = occupied_[word];
    while (m != 0) {
      std::uint32_t id = word * 64 + static_cast<std::uint32_t>(std::countr_zero(m));
      m &= m - 1;
      if (id < ring_slots) {
        ring_slot& r = ring_[id];
        for (std::uint32_t i = 0; i < r.size; ++i)
          if (timer_node* n = r.items[i]) {
            n->next_ = out;
            out = n;
          }
        release(r);
        unmark(id);
        continue;
      }
      for (timer_node* n = take_slot(id); n != nullptr;) {
        timer_node* next = n->next_;
        n->next_ = out;
        out = n;
        n = next;
      }
    }
  }
  size_ = 0;
  in_wheel_ = 0;
  wheel_min_ = nullptr;
  migrating_ = no_slot;
  for (auto& c : counts_)
    c = 0;
  return out;
}

} // namespace tandem

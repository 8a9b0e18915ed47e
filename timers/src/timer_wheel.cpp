#include <tandem/timers/timer_wheel.hpp>

#include <algorithm>

namespace tandem {

timer_wheel::timer_wheel(time_point start)
  : origin_(start), keys_(std::make_unique<sort_key[]>(sort_chunk)) {}

// The nodes belong to the owner; whatever is still linked is simply forgotten.
timer_wheel::~timer_wheel() = default;

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

// Level 0 holds ticks of cur_'s 1024-tick block at or after cur_. A level
// L >= 1 never holds anything in cur_'s own slot (settle() keeps it so), only
// later slots: the first occupied slot of the lowest occupied level is the
// earliest.
bool timer_wheel::find_next(int& level, std::uint32_t& slot) const noexcept {
  std::uint32_t idx = cur_index(0);
  std::uint64_t m = occupied_[idx / 64] & (~std::uint64_t{0} << (idx % 64));
  for (std::uint32_t word = idx / 64;;) {
    if (m != 0) {
      level = 0;
      slot = word * 64 + static_cast<std::uint32_t>(std::countr_zero(m));
      return true;
    }
    if (++word == level0_slots / 64)
      break;
    m = occupied_[word];
  }
  for (int l = 1; l < levels; ++l) {
    m = occupied_[slot_id(l, 0) / 64] & (~std::uint64_t{0} << cur_index(l));
    if (m != 0) {
      level = l;
      slot = static_cast<std::uint32_t>(std::countr_zero(m));
      return true;
    }
  }
  return false;
}

std::uint64_t timer_wheel::slot_start(int level, std::uint32_t slot) const noexcept {
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
// per comparison. Instead: copy each chunk's keys into the sort buffer, sort
// that, and relink the chunk in order; chunks (only for slots of more than
// sort_chunk nodes) are merged as lists, like a binary counter.
timer_node* timer_wheel::sort_list(timer_node* list) noexcept {
  timer_node* runs[64] = {};
  int top = 0;
  sort_key* keys = keys_.get();
  while (list != nullptr) {
    std::size_t k = 0;
    while (list != nullptr && k < sort_chunk) {
      keys[k++] = sort_key{list->deadline.time_since_epoch().count(), list->seq, list};
      list = list->next_;
    }
    std::sort(keys, keys + k, [](const sort_key& a, const sort_key& b) {
      return a.deadline < b.deadline || (a.deadline == b.deadline && a.seq < b.seq);
    });
    for (std::size_t i = 0; i + 1 < k; ++i)
      keys[i].node->next_ = keys[i + 1].node;
    keys[k - 1].node->next_ = nullptr;
    timer_node* carry = keys[0].node;
    int i = 0;
    for (; i < top && runs[i] != nullptr; ++i) {
      carry = merge_runs(runs[i], carry);
      runs[i] = nullptr;
    }
    runs[i] = carry;
    if (i == top)
      ++top;
  }
  timer_node* sorted = nullptr;
  for (int i = 0; i < top; ++i)
    if (runs[i] != nullptr)
      sorted = sorted == nullptr ? runs[i] : merge_runs(runs[i], sorted);
  return sorted;
}

// All of a level-0 slot's nodes have the same tick, later than every node
// already in the run: the sorted slot goes on the run's end.
void timer_wheel::slot_to_run(std::uint32_t slot) noexcept {
  timer_node* n = sort_list(take_slot(slot_id(0, slot)));
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

// Called whenever cur_ moved forward (never past the earliest wheel node):
// a slot of level L >= 1 that cur_ has entered holds nodes of cur_'s own
// block of that level, which belong on lower levels now. Re-placing them
// relative to cur_ never lands in another such slot (the level is chosen by
// the highest digit in which the tick differs from cur_, and there it is
// greater), so one pass suffices. A node moves down at most 6 times in its
// life, and not at all if it is due within the 1024-tick block it was
// inserted in.
void timer_wheel::settle() noexcept {
  for (int l = levels - 1; l >= 1; --l) {
    std::uint32_t id = slot_id(l, cur_index(l));
    if (heads_[id] == nullptr)
      continue;
    timer_node* n = take_slot(id);
    while (n != nullptr) {
      timer_node* next = n->next_;
      place(n, tick_of(n->deadline));
      n = next;
    }
  }
}

void timer_wheel::advance(std::uint64_t t) noexcept {
  while (cur_ <= t) {
    int level = 0;
    std::uint32_t slot = 0;
    if (in_wheel_ == 0 || !find_next(level, slot)) {
      cur_ = t + 1;
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
  timer_node* best = heads_[slot_id(level, slot)];
  for (timer_node* n = best->next_; n != nullptr; n = n->next_)
    if (before(n, best))
      best = n;
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
  return out;
}

} // namespace tandem

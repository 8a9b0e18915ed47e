#include <tandem/timers/timer_wheel.hpp>

namespace tandem {

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

timer_node* timer_wheel::heap_pop() noexcept {
  timer_node* root = heap_;
  heap_ = merge_pairs(root->child_);
  reset(root);
  return root;
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

// Level 0 holds ticks of cur_'s 64-tick block at or after cur_. A level L >= 1
// never holds anything in cur_'s own slot (settle() keeps it so), only later
// slots: the first occupied slot of the lowest occupied level is the earliest.
bool timer_wheel::find_next(int& level, std::uint32_t& slot) const noexcept {
  for (int l = 0; l < levels; ++l) {
    std::uint64_t idx = cur_index(l);
    std::uint64_t mask = ~std::uint64_t{0} << idx;
    std::uint64_t m = occupied_[l] & mask;
    if (m != 0) {
      level = l;
      slot = static_cast<std::uint32_t>(std::countr_zero(m));
      return true;
    }
  }
  return false;
}

std::uint64_t timer_wheel::slot_start(int level, std::uint32_t slot) const noexcept {
  int low = level * slot_bits;
  int high = low + slot_bits;
  return ((cur_ >> high) << high) | (std::uint64_t{slot} << low);
}

void timer_wheel::slot_to_heap(std::uint32_t slot) noexcept {
  timer_node* n = heads_[slot];
  heads_[slot] = nullptr;
  occupied_[0] &= ~(std::uint64_t{1} << slot);
  while (n != nullptr) {
    timer_node* next = n->next_;
    heap_push(n);
    --in_wheel_;
    n = next;
  }
  // The cached minimum may have been among them.
  wheel_min_ = nullptr;
}

// Called whenever cur_ moved forward (never past the earliest wheel node):
// a slot of level L >= 1 that cur_ has entered holds nodes of cur_'s own
// block of that level, which belong on lower levels now. Re-placing them
// relative to cur_ never lands in another such slot (the level is chosen by
// the highest digit in which the tick differs from cur_, and there it is
// greater), so one pass suffices. Each node moves down at most 7 times in
// its life.
void timer_wheel::settle() noexcept {
  for (int l = levels - 1; l >= 1; --l) {
    std::uint64_t idx = cur_index(l);
    if ((occupied_[l] & (std::uint64_t{1} << idx)) == 0)
      continue;
    std::uint32_t w = static_cast<std::uint32_t>(l) * slots_per_level
                      + static_cast<std::uint32_t>(idx);
    timer_node* n = heads_[w];
    heads_[w] = nullptr;
    occupied_[l] &= ~(std::uint64_t{1} << idx);
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
      slot_to_heap(slot);
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
  if (level == 0) {
    // One tick's worth: sort it into the heap now rather than scan it.
    // cur_ moves at most to the end of its 64-tick block, ahead of the
    // caller's clock; nodes inserted before it go to the heap, which is
    // exact too.
    std::uint64_t start = slot_start(0, slot);
    slot_to_heap(slot);
    cur_ = start + 1;
    settle();
    return heap_->deadline;
  }
  timer_node* best = heads_[static_cast<std::uint32_t>(level) * slots_per_level + slot];
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
  for (int l = 0; l < levels; ++l) {
    std::uint64_t m = occupied_[l];
    while (m != 0) {
      auto slot = static_cast<std::uint32_t>(std::countr_zero(m));
      m &= m - 1;
      std::uint32_t w = static_cast<std::uint32_t>(l) * slots_per_level + slot;
      timer_node* n = heads_[w];
      heads_[w] = nullptr;
      while (n != nullptr) {
        timer_node* next = n->next_;
        n->next_ = out;
        out = n;
        n = next;
      }
    }
    occupied_[l] = 0;
  }
  size_ = 0;
  in_wheel_ = 0;
  wheel_min_ = nullptr;
  return out;
}

} // namespace tandem

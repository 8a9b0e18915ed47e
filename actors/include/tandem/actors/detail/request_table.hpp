#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

namespace tandem::detail {

/// The requests an actor awaits, by id: open addressing with Robin Hood
/// linear probing and backward-shift deletion, so awaiting a response costs
/// no allocation of its own (std::unordered_map allocates a node per entry)
/// and a lookup touches one or two adjacent slots. Ids are an increasing
/// counter and answers come roughly in order, so the ids in flight form a
/// window: placed by their low bits, neighbours sit in neighbouring slots (a
/// scattering hash made every lookup a cache miss, 4x slower with 10,000 in
/// flight), and Robin Hood order lets a deletion stop at the first entry
/// that is at home instead of walking the whole window. Only the owning
/// actor touches it.
template <class Value>
class request_table {
public:
  using key_type = std::uint64_t;

  request_table() = default;
  request_table(const request_table&) = delete;
  request_table& operator=(const request_table&) = delete;

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }

  /// The value for `key`, default-constructed if absent. Key 0 is reserved.
  Value& operator[](key_type key) {
    if ((size_ + 1) * 2 > capacity_)
      rehash(capacity_ == 0 ? 8 : capacity_ * 2);
    std::size_t i = home(key);
    for (std::size_t d = 0;; ++d, i = next(i)) {
      if (slots_[i].key == key)
        return slots_[i].value;
      if (slots_[i].key == 0 || distance(i) < d) {
        // Absent (Robin Hood: it would have been found by now).
        make_room(i);
        slots_[i].key = key;
        ++size_;
        return slots_[i].value;
      }
    }
  }

  /// The value for `key`, or nullptr.
  Value* find(key_type key) noexcept {
    std::size_t i = index_of(key);
    return i == npos ? nullptr : &slots_[i].value;
  }

  /// Removes `key`'s entry and moves its value into `out`, if present.
  bool take(key_type key, Value& out) {
    std::size_t i = index_of(key);
    if (i == npos)
      return false;
    out = std::move(slots_[i].value);
    // Backward shift: pull the displaced entries after it one slot closer
    // to home; the first empty or at-home slot ends the run.
    for (std::size_t j = next(i); slots_[j].key != 0 && distance(j) > 0; j = next(j)) {
      slots_[i].key = slots_[j].key;
      slots_[i].value = std::move(slots_[j].value);
      i = j;
    }
    slots_[i].key = 0;
    slots_[i].value = Value{};
    --size_;
    // After a burst of outstanding requests, give the memory back.
    if (capacity_ > 64 && size_ * 8 < capacity_)
      rehash(capacity_ / 2);
    return true;
  }

  /// Calls f(key, value&) for each entry, then empties the table.
  template <class F>
  void drain(F&& f) {
    for (std::size_t i = 0; i < capacity_; ++i)
      if (slots_[i].key != 0) {
        f(slots_[i].key, slots_[i].value);
        slots_[i].key = 0;
        slots_[i].value = Value{};
      }
    size_ = 0;
  }

private:
  static constexpr std::size_t npos = ~std::size_t{0};

  struct slot {
    key_type key = 0;
    Value value{};
  };

  std::size_t next(std::size_t i) const noexcept { return (i + 1) & (capacity_ - 1); }
  std::size_t home(key_type key) const noexcept {
    return static_cast<std::size_t>(key) & (capacity_ - 1);
  }
  /// How far slot i's entry sits from its home.
  std::size_t distance(std::size_t i) const noexcept {
    return (i - home(slots_[i].key)) & (capacity_ - 1);
  }

  std::size_t index_of(key_type key) const noexcept {
    if (size_ == 0)
      return npos;
    std::size_t i = home(key);
    for (std::size_t d = 0;; ++d, i = next(i)) {
      if (slots_[i].key == key)
        return i;
      if (slots_[i].key == 0 || distance(i) < d)
        return npos;
    }
  }

  /// Empties slot i by shifting the run from i up to the next empty slot
  /// one slot further (each entry moves one further from home, which keeps
  /// the Robin Hood order: the new entry is poorer than all of them).
  void make_room(std::size_t i) {
    if (slots_[i].key == 0)
      return;
    std::size_t end = i;
    while (slots_[end].key != 0)
      end = next(end);
    for (std::size_t j = end; j != i;) {
      std::size_t prev = (j + capacity_ - 1) & (capacity_ - 1);
      slots_[j].key = slots_[prev].key;
      slots_[j].value = std::move(slots_[prev].value);
      j = prev;
    }
    slots_[i].key = 0;
    slots_[i].value = Value{};
  }

  void rehash(std::size_t capacity) {
    std::size_t old_capacity = capacity_;
    auto old = std::move(slots_);
    capacity_ = capacity;
    slots_ = std::make_unique<slot[]>(capacity_);
    size_ = 0;
    for (std::size_t i = 0; i < old_capacity; ++i)
      if (old[i].key != 0)
        (*this)[old[i].key] = std::move(old[i].value);
  }

  std::unique_ptr<slot[]> slots_;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
};

} // namespace tandem::detail

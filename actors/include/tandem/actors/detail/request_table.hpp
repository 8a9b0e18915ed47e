#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

namespace tandem::detail {

/// The requests an actor awaits, by id: open addressing with linear probing
/// and backward-shift deletion (no tombstones), so awaiting a response costs
/// no allocation of its own (std::unordered_map allocates a node per entry)
/// and a lookup touches one or two adjacent slots. Ids are an actor's
/// increasing counter, spread over the table by a multiplicative hash. Only
/// the owning actor touches it.
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
      grow();
    std::size_t i = index_of(key);
    while (slots_[i].key != 0) {
      if (slots_[i].key == key)
        return slots_[i].value;
      i = (i + 1) & mask();
    }
    slots_[i].key = key;
    ++size_;
    return slots_[i].value;
  }

  /// The value for `key`, or nullptr.
  Value* find(key_type key) noexcept {
    if (size_ == 0)
      return nullptr;
    for (std::size_t i = index_of(key);; i = (i + 1) & mask()) {
      if (slots_[i].key == key)
        return &slots_[i].value;
      if (slots_[i].key == 0)
        return nullptr;
    }
  }

  /// Removes `key`'s entry and returns its value (moved out), if present.
  bool take(key_type key, Value& out) {
    if (size_ == 0)
      return false;
    std::size_t i = index_of(key);
    for (;; i = (i + 1) & mask()) {
      if (slots_[i].key == key)
        break;
      if (slots_[i].key == 0)
        return false;
    }
    out = std::move(slots_[i].value);
    erase_at(i);
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
  struct slot {
    key_type key = 0;
    Value value{};
  };

  std::size_t mask() const noexcept { return capacity_ - 1; }
  std::size_t index_of(key_type key) const noexcept {
    // Fibonacci hashing: consecutive ids land far apart.
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ull) >> shift_);
  }

  // Backward-shift deletion: pull later entries of the probe run into the
  // hole where their home slot allows, so lookups never need tombstones.
  void erase_at(std::size_t hole) {
    for (std::size_t j = (hole + 1) & mask();; j = (j + 1) & mask()) {
      if (slots_[j].key == 0)
        break;
      std::size_t home = index_of(slots_[j].key);
      // Movable into the hole if its home is not in (hole, j] cyclically.
      bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (stays)
        continue;
      slots_[hole].key = slots_[j].key;
      slots_[hole].value = std::move(slots_[j].value);
      hole = j;
    }
    slots_[hole].key = 0;
    slots_[hole].value = Value{};
    --size_;
  }

  void grow() { rehash(capacity_ == 0 ? 8 : capacity_ * 2); }

  void rehash(std::size_t capacity) {
    std::size_t old_capacity = capacity_;
    auto old = std::move(slots_);
    capacity_ = capacity;
    shift_ = 64 - std::countr_zero(capacity_);
    slots_ = std::make_unique<slot[]>(capacity_);
    size_ = 0;
    for (std::size_t i = 0; i < old_capacity; ++i)
      if (old[i].key != 0) {
        std::size_t j = index_of(old[i].key);
        while (slots_[j].key != 0)
          j = (j + 1) & mask();
        slots_[j].key = old[i].key;
        slots_[j].value = std::move(old[i].value);
        ++size_;
      }
  }

  std::unique_ptr<slot[]> slots_;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
  int shift_ = 64;
};

} // namespace tandem::detail

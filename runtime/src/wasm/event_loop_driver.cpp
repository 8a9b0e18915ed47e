#include <tandem/runtime/event_loop_driver.hpp>

#include <emscripten/eventloop.h>

#include <algorithm>
#include <cstdint>
#include <unordered_map>

namespace tandem {

namespace {

// Callbacks carry a serial number, not the driver's address, and find the
// driver here: a callback that could not be cleared (or raced with disposal)
// finds nothing instead of a dangling pointer. Single-threaded: the driver
// lives on the JavaScript thread.
std::unordered_map<std::uintptr_t, event_loop_driver*>& live_drivers() {
  static std::unordered_map<std::uintptr_t, event_loop_driver*> drivers;
  return drivers;
}
std::uintptr_t next_serial = 1;

} // namespace

event_loop_driver::event_loop_driver(cooperative_loop& loop, duration slice)
    : loop_(loop), slice_(slice), serial_(next_serial++) {
  live_drivers().emplace(serial_, this);
  loop_.set_wakeup([this] { reschedule(); });
}

event_loop_driver::~event_loop_driver() {
  loop_.set_wakeup(nullptr);
  live_drivers().erase(serial_);
  // A page may dispose its runtime while actors are busy: nothing pending may
  // keep the event loop (or node) busy on its behalf.
  if (timeout_pending_)
    emscripten_clear_timeout(timeout_id_);
  if (immediate_pending_)
    emscripten_clear_immediate(immediate_id_);
}

void event_loop_driver::start() {
  reschedule();
}

event_loop_driver* event_loop_driver::find(void* serial) {
  auto& drivers = live_drivers();
  auto i = drivers.find(reinterpret_cast<std::uintptr_t>(serial));
  return i == drivers.end() ? nullptr : i->second;
}

void* event_loop_driver::token() const noexcept {
  return reinterpret_cast<void*>(serial_);
}

void event_loop_driver::on_immediate(void* serial) {
  auto* d = find(serial);
  if (d == nullptr)
    return;
  d->immediate_pending_ = false;
  d->pump();
}

void event_loop_driver::on_timeout(void* serial) {
  auto* d = find(serial);
  if (d == nullptr)
    return;
  d->timeout_pending_ = false;
  d->timeout_at_ = time_point::max();
  d->pump();
}

void event_loop_driver::pump() {
  ++tasks_;
  // Turns run in batches with one clock read each (reading the clock is a
  // call into JavaScript). The batch size adapts so that a batch takes about
  // an eighth of the slice: short turns get big batches, slow ones small.
  auto start = loop_.now();
  auto end = start + slice_;
  auto target = slice_ / 8;
  auto batch_start = start;
  for (;;) {
    auto turns = loop_.run_turns(batch_);
    if (turns == 0)
      break;
    auto now = loop_.now();
    auto took = now - batch_start;
    if (turns == batch_) {
      if (took < target / 2 && batch_ < max_batch)
        batch_ *= 2;
      else if (took > target && batch_ > 1)
        batch_ /= 2;
    }
    if (now >= end)
      break;
    batch_start = now;
  }
  reschedule();
}

void event_loop_driver::reschedule() {
  if (loop_.runnable() > 0) {
    if (!immediate_pending_) {
      immediate_pending_ = true;
      immediate_id_ = emscripten_set_immediate(&event_loop_driver::on_immediate, token());
    }
    return;
  }
  auto next = loop_.next_deadline();
  if (next == time_point::max() || (timeout_pending_ && timeout_at_ <= next))
    return; // idle, or already woken in time
  if (timeout_pending_)
    emscripten_clear_timeout(timeout_id_);
  auto wait = std::max(duration::zero(), next - loop_.now());
  // Rounded up: a timeout that fires early would only be re-armed.
  double ms = std::chrono::duration<double, std::milli>(wait).count() + 0.5;
  timeout_pending_ = true;
  timeout_at_ = next;
  timeout_id_ = emscripten_set_timeout(&event_loop_driver::on_timeout, ms, token());
}

} // namespace tandem

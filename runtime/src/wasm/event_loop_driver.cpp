#include <tandem/runtime/event_loop_driver.hpp>

#include <emscripten/eventloop.h>

#include <algorithm>

namespace tandem {

event_loop_driver::event_loop_driver(cooperative_loop& loop, duration slice)
    : loop_(loop), slice_(slice) {
  loop_.set_wakeup([this] { reschedule(); });
}

event_loop_driver::~event_loop_driver() {
  loop_.set_wakeup(nullptr);
  if (timeout_id_ != 0)
    emscripten_clear_timeout(timeout_id_);
  // A pending immediate cannot be cancelled in this emscripten version; the
  // owner keeps the driver alive as long as the page runs.
}

void event_loop_driver::start() {
  reschedule();
}

void event_loop_driver::on_immediate(void* self) {
  auto* d = static_cast<event_loop_driver*>(self);
  d->immediate_pending_ = false;
  d->pump();
}

void event_loop_driver::on_timeout(void* self) {
  auto* d = static_cast<event_loop_driver*>(self);
  d->timeout_id_ = 0;
  d->timeout_at_ = time_point::max();
  d->pump();
}

void event_loop_driver::pump() {
  ++tasks_;
  auto end = loop_.now() + slice_;
  while (loop_.run_once())
    if (loop_.now() >= end)
      break;
  reschedule();
}

void event_loop_driver::reschedule() {
  if (loop_.runnable() > 0) {
    if (!immediate_pending_) {
      immediate_pending_ = true;
      emscripten_set_immediate(&event_loop_driver::on_immediate, this);
    }
    return;
  }
  auto next = loop_.next_deadline();
  if (next == time_point::max() || (timeout_id_ != 0 && timeout_at_ <= next))
    return; // idle, or already woken in time
  if (timeout_id_ != 0)
    emscripten_clear_timeout(timeout_id_);
  auto wait = std::max(duration::zero(), next - loop_.now());
  // Rounded up: a timeout that fires early would only be re-armed.
  double ms = std::chrono::duration<double, std::milli>(wait).count() + 0.5;
  timeout_at_ = next;
  timeout_id_ = emscripten_set_timeout(&event_loop_driver::on_timeout, ms, this);
}

} // namespace tandem

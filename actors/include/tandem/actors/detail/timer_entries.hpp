#pragma once

#include <tandem/actors/actor_base.hpp>
#include <tandem/actors/missed_tick_policy.hpp>
#include <tandem/timers/timer_service.hpp>

#include <optional>
#include <utility>

namespace tandem::detail {

/// "At deadline, send this value to that actor": delayed sends and run_later.
/// The value waits inside the timer entry and becomes a message only when the
/// timer fires: arming costs one allocation, and a cancelled timer (half of
/// them, typically) never pays for a message at all. A receiver that has
/// terminated by then drops it.
template <class T>
class delayed_value final : public timer_entry {
public:
  template <class U>
  delayed_value(actor_base* target, message_kind kind, U&& value)
      : target_(target), kind_(kind), value_(std::forward<U>(value)) {}

  time_point fire(time_point) override {
    auto* m = make_message(std::move(*value_));
    m->kind = kind_;
    value_.reset();
    actor_base::deliver(target_.get(), m);
    target_.reset(); // a handle kept after firing holds nothing
    return time_point::max();
  }
  void discard() noexcept override {
    value_.reset();
    target_.reset();
  }

private:
  intrusive_ptr<actor_base> target_;
  message_kind kind_;
  std::optional<T> value_;
};

/// A copy of `value` to `target` every `period` on a fixed-rate grid.
template <class T>
class periodic_message final : public timer_entry {
public:
  periodic_message(duration period, missed_tick_policy policy, actor_base* target, T value)
      : period_(period), policy_(policy), target_(target), value_(std::move(value)) {
    set_periodic();
  }

  time_point fire(time_point now) override {
    actor_base::deliver(target_.get(), make_message(T{value_}));
    if (target_->terminated()) {
      target_.reset(); // the interval ends with its receiver
      return time_point::max();
    }
    return next_after(now);
  }
  void discard() noexcept override { target_.reset(); }

private:
  time_point next_after(time_point now) const {
    auto next = deadline + period_;
    if (next > now)
      return next;
    switch (policy_) {
      case missed_tick_policy::burst:
        return next; // due already: fires again in the same expiry round
      case missed_tick_policy::skip: {
        auto missed = (now - deadline) / period_;
        return deadline + (missed + 1) * period_;
      }
      case missed_tick_policy::delay:
        return now + period_;
    }
    return next;
  }

  duration period_;
  missed_tick_policy policy_;
  intrusive_ptr<actor_base> target_;
  T value_;
};

} // namespace tandem::detail

namespace tandem {

/// Sends `msg` to `dest` after `delay` on `dest`'s system's clock, from
/// outside any actor. The handle cancels it (O(1)).
template <class Dest, class T>
timer_handle delayed_send(const Dest& dest, duration delay, T&& msg) {
  detail::check_accepts<Dest, T>();
  auto* target = detail::cell_of(dest);
  if (target == nullptr)
    return {};
  return target->arm_timer_after(new detail::delayed_value<std::decay_t<T>>(
                                   target, detail::message_kind::ordinary, std::forward<T>(msg)),
                                 delay);
}

template <class Dest, class T>
timer_handle actor_base::delayed_send(const Dest& dest, duration delay, T&& msg) {
  return tandem::delayed_send(dest, delay, std::forward<T>(msg));
}

template <class Dest, class T>
timer_handle actor_base::send_periodically(const Dest& dest, duration period, T msg,
                                           missed_tick_policy policy) {
  detail::check_accepts<Dest, T>();
  auto* target = detail::cell_of(dest);
  if (target == nullptr || period <= duration::zero())
    return {};
  return arm_timer_after(
    new detail::periodic_message<std::decay_t<T>>(period, policy, target, std::move(msg)), period);
}

} // namespace tandem

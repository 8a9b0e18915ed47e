#pragma once

#include <tandem/actors/actor_base.hpp>
#include <tandem/actors/stateful_actor.hpp>
#include <tandem/runtime/scheduler.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>

namespace tandem {

namespace detail {

template <class F>
struct function_actor_traits {
  using first = std::remove_cv_t<first_arg_t<F>>;
  static constexpr bool takes_self =
    std::is_pointer_v<first> && std::is_base_of_v<actor_base, std::remove_pointer_t<first>>;
  using impl = std::conditional_t<takes_self, std::remove_pointer_t<first>, actor_base>;
};

template <class B>
struct handle_for_behavior {
  using type = actor;
};
template <class... Sigs>
struct handle_for_behavior<typed_behavior<Sigs...>> {
  using type = typed_actor<Sigs...>;
};

template <class C, class = void>
struct class_interface {
  using type = actor;
};
template <class C>
struct class_interface<C, std::void_t<typename C::interface>> {
  using type = typename C::interface;
};

template <class B>
behavior to_behavior(B&& b) {
  if constexpr (std::is_same_v<std::decay_t<B>, behavior>)
    return std::move(b);
  else
    return std::move(b.unbox());
}

} // namespace detail

/// Owns a backend (or borrows one) and the actors running on it.
///
/// Destroying the system, or calling shutdown(), stops every actor that is
/// still running (reason errc::system_shutdown) and waits until all have
/// terminated; await_all_actors_done() instead waits for them to quit on
/// their own. Actors live until they quit, fail or are stopped — like Akka's,
/// not garbage-collected when their last handle goes.
class actor_system {
public:
  /// Runs on the platform's default backend (CAF pool natively, the
  /// cooperative loop under WebAssembly).
  actor_system();
  /// Runs on `backend`, which must outlive the system.
  explicit actor_system(scheduler& backend);
  /// Runs on `backend` and owns it.
  explicit actor_system(std::unique_ptr<scheduler> backend);
  actor_system(const actor_system&) = delete;
  actor_system& operator=(const actor_system&) = delete;
  ~actor_system();

  scheduler& backend() noexcept { return *scheduler_; }
  /// Every timer of this system (delayed sends, request timeouts, intervals).
  timer_service& timers() noexcept { return *timers_; }
  time_point now() const { return scheduler_->now(); }

  /// Spawns a function-based actor: `fun(self, args...)` or `fun(args...)`
  /// returns its behavior (`behavior` gives an `actor`, `typed_behavior<S...>`
  /// a `typed_actor<S...>`). `self` may be `actor_base*` or
  /// `stateful_actor<State>*`.
  template <class F, class... Args>
    requires(!std::is_base_of_v<actor_base, F> && !std::is_same_v<std::decay_t<F>, spawn_options>)
  auto spawn(F fun, Args&&... args) {
    return spawn(spawn_options{}, std::move(fun), std::forward<Args>(args)...);
  }

  template <class F, class... Args>
    requires(!std::is_base_of_v<actor_base, F>)
  auto spawn(spawn_options opts, F fun, Args&&... args);

  /// Spawns a class-based actor: `C(actor_config&, args...)` deriving from
  /// actor_base. Gives `C::interface` if C declares one, else `actor`.
  template <class C, class... Args>
    requires std::is_base_of_v<actor_base, C>
  auto spawn(Args&&... args) {
    return spawn<C>(spawn_options{}, std::forward<Args>(args)...);
  }

  template <class C, class... Args>
    requires std::is_base_of_v<actor_base, C>
  auto spawn(spawn_options opts, Args&&... args);

  /// Actors spawned and not yet terminated.
  std::size_t live_actors() const noexcept { return live_.load(std::memory_order_acquire); }

  /// Waits until every actor has terminated on its own. On a loop backend it
  /// runs the loop, and returns early if nothing is left to run (the actors
  /// still alive are waiting for messages that cannot come).
  void await_all_actors_done();

  /// Stops every running actor (errc::system_shutdown) and waits until all
  /// have terminated.
  void shutdown();

  /// Where the system reports dropped messages and similar events (default:
  /// standard error). Must be thread-safe.
  using log_function = std::function<void(const std::string&)>;
  void set_log(log_function fn);
  void log(const std::string& line);

  // tandem's internals
  void register_actor(actor_base* self);
  void unregister_actor(actor_base* self);
  actor_id next_actor_id() noexcept { return next_id_.fetch_add(1, std::memory_order_relaxed); }

private:
  std::unique_ptr<scheduler> owned_;
  scheduler* scheduler_;
  std::unique_ptr<timer_service> timers_; // after scheduler_: destroyed first
  std::atomic<actor_id> next_id_{1};
  std::atomic<std::size_t> live_{0};
  std::mutex registry_mutex_;
  actor_base* registry_head_ = nullptr;
  std::mutex log_mutex_;
  log_function log_;
};

template <class F, class... Args>
  requires(!std::is_base_of_v<actor_base, F>)
auto actor_system::spawn(spawn_options opts, F fun, Args&&... args) {
  using traits = detail::function_actor_traits<F>;
  using impl = typename traits::impl;
  using result = std::conditional_t<traits::takes_self,
                                    std::invoke_result<F&, impl*, Args&&...>,
                                    std::invoke_result<F&, Args&&...>>;
  using B = typename result::type;
  static_assert(std::is_same_v<B, void> || std::is_same_v<B, behavior>
                  || !std::is_same_v<typename detail::handle_for_behavior<B>::type, actor>,
                "an actor function returns a behavior, a typed_behavior, or nothing");
  actor_config cfg{this, std::move(opts)};
  auto* self = new impl(cfg);
  actor handle{self};
  register_actor(self);
  self->start([&]() -> behavior {
    auto make = [&]() -> decltype(auto) {
      if constexpr (traits::takes_self)
        return fun(self, std::forward<Args>(args)...);
      else
        return fun(std::forward<Args>(args)...);
    };
    if constexpr (std::is_void_v<B>) {
      make();
      return behavior{};
    } else {
      return detail::to_behavior(make());
    }
  });
  using handle_type = typename detail::handle_for_behavior<B>::type;
  return actor_cast<handle_type>(handle);
}

template <class C, class... Args>
  requires std::is_base_of_v<actor_base, C>
auto actor_system::spawn(spawn_options opts, Args&&... args) {
  actor_config cfg{this, std::move(opts)};
  auto* self = new C(cfg, std::forward<Args>(args)...);
  actor handle{self};
  register_actor(self);
  self->start([self] { return self->make_behavior(); });
  return actor_cast<typename detail::class_interface<C>::type>(handle);
}

template <class F, class... Ts>
  requires(!std::is_base_of_v<actor_base, std::decay_t<F>>)
auto actor_base::spawn(F&& f, Ts&&... xs) {
  return system().spawn(std::forward<F>(f), std::forward<Ts>(xs)...);
}

template <class C, class... Ts>
  requires std::is_base_of_v<actor_base, C>
auto actor_base::spawn(Ts&&... xs) {
  return system().template spawn<C>(std::forward<Ts>(xs)...);
}

} // namespace tandem

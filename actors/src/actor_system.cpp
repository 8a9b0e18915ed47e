#include <tandem/actors/actor_system.hpp>
#include <tandem/runtime/default_scheduler.hpp>

#include <cstdio>
#include <vector>

namespace tandem {

actor_system::actor_system() : actor_system(make_default_scheduler()) {}

actor_system::actor_system(scheduler& backend)
    : scheduler_(&backend), timers_(std::make_unique<timer_service>(backend)) {}

actor_system::actor_system(std::unique_ptr<scheduler> backend)
    : owned_(std::move(backend)),
      scheduler_(owned_.get()),
      timers_(std::make_unique<timer_service>(*scheduler_)) {}

actor_system::~actor_system() {
  shutdown();
  timers_.reset(); // pending timers go (their messages to dead actors with them)
}

void actor_system::register_actor(actor_base* self) {
  std::lock_guard<std::mutex> guard{registry_mutex_};
  self->registry_prev = nullptr;
  self->registry_next = registry_head_;
  if (registry_head_ != nullptr)
    registry_head_->registry_prev = self;
  registry_head_ = self;
  live_.fetch_add(1, std::memory_order_relaxed);
}

void actor_system::unregister_actor(actor_base* self) {
  bool last;
  {
    std::lock_guard<std::mutex> guard{registry_mutex_};
    if (self->registry_prev != nullptr)
      self->registry_prev->registry_next = self->registry_next;
    else
      registry_head_ = self->registry_next;
    if (self->registry_next != nullptr)
      self->registry_next->registry_prev = self->registry_prev;
    self->registry_prev = self->registry_next = nullptr;
    last = live_.fetch_sub(1, std::memory_order_acq_rel) == 1;
  }
  if (last)
    scheduler_->notify_waiters();
}

void actor_system::await_all_actors_done() {
  scheduler_->run_until([this] { return live_actors() == 0; });
}

void actor_system::shutdown() {
  std::vector<actor> running;
  {
    std::lock_guard<std::mutex> guard{registry_mutex_};
    for (auto* a = registry_head_; a != nullptr; a = a->registry_next)
      running.emplace_back(a);
  }
  for (auto& a : running)
    a.cell()->kill(errc::system_shutdown);
  running.clear();
  await_all_actors_done();
}

void actor_system::set_log(log_function fn) {
  std::lock_guard<std::mutex> guard{log_mutex_};
  log_ = std::move(fn);
}

void actor_system::log(const std::string& line) {
  std::lock_guard<std::mutex> guard{log_mutex_};
  if (log_)
    log_(line);
  else
    std::fprintf(stderr, "[tandem] %s\n", line.c_str());
}

} // namespace tandem

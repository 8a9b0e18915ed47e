#include <tandem/timers/timer_service.hpp>

#include <utility>

namespace tandem {

namespace detail {

// Shared by the service and every handle, so a handle outliving the service
// (and its actor system) can still be cancelled safely: it finds it closed.
struct timer_core {
  explicit timer_core(time_point origin) : wheel(origin) {}

  mutable std::mutex mutex;
  timer_wheel wheel;
  std::size_t armed = 0;
  bool closed = false;
  // The earliest deadline handed to the backend. Arming compares against it
  // instead of asking the wheel for its exact minimum: that can cost a slot
  // scan, and requests answered in order cancel the minimum every time. A
  // cancelled minimum only costs the backend one early, empty expire().
  time_point announced = time_point::max();

  // With the mutex held. The entry must not be armed.
  void insert_locked(timer_entry* e) {
    e->armed_ = true;
    ++armed;
    wheel.insert(e);
  }
};

} // namespace detail

// -- timer_handle -------------------------------------------------------------

timer_handle::timer_handle(std::shared_ptr<detail::timer_core> core, timer_entry* entry) noexcept
    : core_(std::move(core)), entry_(entry) {
  entry_->add_ref();
}

timer_handle::timer_handle(const timer_handle& other) : core_(other.core_), entry_(other.entry_) {
  if (entry_ != nullptr)
    entry_->add_ref();
}

timer_handle::timer_handle(timer_handle&& other) noexcept
    : core_(std::move(other.core_)), entry_(std::exchange(other.entry_, nullptr)) {}

timer_handle& timer_handle::operator=(timer_handle other) noexcept {
  std::swap(core_, other.core_);
  std::swap(entry_, other.entry_);
  return *this;
}

timer_handle::~timer_handle() {
  if (entry_ != nullptr)
    entry_->release();
}

bool timer_handle::cancel() {
  if (entry_ == nullptr)
    return false;
  bool removed = false;
  {
    std::lock_guard<std::mutex> guard{core_->mutex};
    if (entry_->cancelled_)
      return false;
    entry_->cancelled_ = true; // also stops an interval between fire and re-arm
    if (entry_->armed_) {
      core_->wheel.remove(entry_);
      entry_->armed_ = false;
      --core_->armed;
      removed = true;
    }
  }
  if (removed) {
    entry_->discard(); // nobody else touches it now: it left the wheel
    entry_->release(); // the wheel's reference, dropped outside the lock
  }
  return removed;
}

bool timer_handle::pending() const {
  if (entry_ == nullptr)
    return false;
  std::lock_guard<std::mutex> guard{core_->mutex};
  return entry_->armed_;
}

// -- timer_service ------------------------------------------------------------

timer_service::timer_service(scheduler& backend)
    : backend_(backend), core_(std::make_shared<detail::timer_core>(backend.now())) {
  backend_.set_timer_handler(this);
}

timer_service::~timer_service() {
  // Waits for a running expire() on a timer thread to return.
  backend_.set_timer_handler(nullptr);
  timer_entry* all = nullptr;
  {
    std::lock_guard<std::mutex> guard{core_->mutex};
    core_->closed = true;
    core_->wheel.expire(time_point::max(), [&](timer_node* n) {
      auto* e = static_cast<timer_entry*>(n);
      e->armed_ = false;
      e->cancelled_ = true;
      e->next_due_ = all;
      all = e;
    });
    core_->armed = 0;
  }
  while (all != nullptr) {
    auto* next = all->next_due_;
    all->discard();
    all->release();
    all = next;
  }
}

timer_handle timer_service::arm(timer_entry* entry) {
  timer_handle handle{core_, entry};
  auto deadline = entry->deadline;
  bool closed;
  bool earliest = false;
  {
    std::lock_guard<std::mutex> guard{core_->mutex};
    closed = core_->closed;
    if (closed) {
      entry->cancelled_ = true;
    } else {
      core_->insert_locked(entry);
      earliest = deadline < core_->announced;
      if (earliest)
        core_->announced = deadline;
    }
  }
  if (closed)
    entry->release(); // never armed: the service's reference goes now
  else if (earliest)
    backend_.arm_timer(deadline); // only a new earliest deadline wakes the driver
  return handle;
}

std::size_t timer_service::pending() const {
  std::lock_guard<std::mutex> guard{core_->mutex};
  return core_->armed;
}

time_point timer_service::expire(time_point now) {
  // Take the due entries out under the lock, fire them outside it (firing
  // enqueues into mailboxes and may arm more timers), in deadline order.
  timer_entry* head = nullptr;
  timer_entry** tail = &head;
  {
    std::lock_guard<std::mutex> guard{core_->mutex};
    core_->wheel.expire(now, [&](timer_node* n) {
      auto* e = static_cast<timer_entry*>(n);
      e->armed_ = false;
      --core_->armed;
      e->next_due_ = nullptr;
      *tail = e;
      tail = &e->next_due_;
    });
  }
  while (head != nullptr) {
    auto* e = head;
    head = e->next_due_;
    auto again = e->fire(now);
    if (again != time_point::max()) {
      std::lock_guard<std::mutex> guard{core_->mutex};
      if (!e->cancelled_ && !core_->closed) {
        e->deadline = again;
        core_->insert_locked(e);
        continue; // the wheel keeps its reference
      }
    }
    e->release();
  }
  std::lock_guard<std::mutex> guard{core_->mutex};
  core_->announced = core_->wheel.next_deadline();
  return core_->announced;
}

} // namespace tandem

#include <tandem/actors/detail/timer_entries.hpp>

namespace tandem::detail {

time_point delayed_message::fire(time_point) {
  actor_base::deliver(target_.get(), std::exchange(msg_, nullptr));
  target_.reset(); // a handle kept after firing holds nothing
  return time_point::max();
}

} // namespace tandem::detail

#include <tandem/actors/actor.hpp>
#include <tandem/actors/actor_base.hpp>

namespace tandem {

actor_id actor::id() const noexcept {
  return cell_ ? cell_->id() : 0;
}

std::string actor::name() const {
  return cell_ ? cell_->name() : std::string{};
}

} // namespace tandem

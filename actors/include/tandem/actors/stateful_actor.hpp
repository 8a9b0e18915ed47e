#pragma once

#include <tandem/actors/actor_base.hpp>

namespace tandem {

/// An actor whose state is a plain struct, for function-based actors:
/// `[](stateful_actor<counter>* self) { return behavior{...self->state...}; }`
template <class State>
class stateful_actor : public actor_base {
public:
  explicit stateful_actor(actor_config& cfg) : actor_base(cfg) {}

  State state{};
};

} // namespace tandem

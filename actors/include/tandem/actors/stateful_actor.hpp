#pragma once

#include <tandem/actors/actor_base.hpp>

#include <new>

namespace tandem {

/// An actor whose state is a plain struct, for function-based actors:
/// `[](stateful_actor<counter>* self) { return behavior{...self->state...}; }`
///
/// The state is destroyed when the actor terminates, not when its last handle
/// goes: handles kept in the state (a ring of actors, a parent and its
/// children) would otherwise keep each other alive forever.
template <class State>
class stateful_actor : public actor_base {
public:
  explicit stateful_actor(actor_config& cfg) : actor_base(cfg) { new (&state) State{}; }
  ~stateful_actor() override {
    if (!state_released_)
      state.~State();
  }

  union {
    State state;
  };

protected:
  void release_state() override {
    state.~State();
    state_released_ = true;
  }

private:
  bool state_released_ = false;
};

} // namespace tandem

#pragma once

// Everything an application needs to write actors.

#include <tandem/actors/actor.hpp>
#include <tandem/actors/actor_base.hpp>
#include <tandem/actors/actor_system.hpp>
#include <tandem/actors/behavior.hpp>
#include <tandem/actors/messages.hpp>
#include <tandem/actors/response_promise.hpp>
#include <tandem/actors/spawn_options.hpp>
#include <tandem/actors/stateful_actor.hpp>
#include <tandem/mailbox/mailbox_options.hpp>
#include <tandem/mailbox/mpsc.hpp>
#include <tandem/mailbox/oneshot.hpp>
#include <tandem/runtime/error.hpp>
#include <tandem/runtime/expected.hpp>
#include <tandem/runtime/scheduler.hpp>
#include <tandem/runtime/time.hpp>

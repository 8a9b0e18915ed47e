#pragma once

// RPC sessions: JSON-RPC 2.0 services and calls over a connection.

#include <tandem/session/call_context.hpp>
#include <tandem/session/codec.hpp>
#include <tandem/session/connection.hpp>
#include <tandem/session/in_process.hpp>
#include <tandem/session/json_rpc_codec.hpp>
#include <tandem/session/pending_call.hpp>
#include <tandem/session/rpc_error.hpp>
#include <tandem/session/rpc_notification.hpp>
#include <tandem/session/rpc_promise.hpp>
#include <tandem/session/service.hpp>
#include <tandem/session/session_client.hpp>
#include <tandem/session/session_handle.hpp>
#include <tandem/session/spawn_session.hpp>

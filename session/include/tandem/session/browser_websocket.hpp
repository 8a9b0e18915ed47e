#pragma once

// The browser's WebSocket as a session transport (WebAssembly builds only;
// emscripten/websocket.h underneath). Frames written before the socket is
// open are queued and sent on open; inbound text frames reach the session
// actor as inbound_frame messages, and the end of the socket (closed by
// either side, refused, network error) as one transport_closed.

#include <tandem/session/connection.hpp>

#include <functional>
#include <memory>
#include <string>

namespace tandem::session {

/// Opens a WebSocket to `url` (e.g. "ws://127.0.0.1:8080/rpc"). Never
/// throws: a URL the browser refuses gives a connection whose start()
/// delivers transport_closed at once. `on_open` runs (on the JavaScript
/// thread, e.g. to send an actor a message) once the socket is open, which
/// the seam itself does not report.
std::unique_ptr<connection> make_browser_websocket(std::string url,
                                                   connection_limits limits = {},
                                                   std::function<void()> on_open = {});

} // namespace tandem::session

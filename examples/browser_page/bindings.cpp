// The embind layer of the browser/node module: a runtime (cooperative loop +
// actor system + event_loop_driver) and the playground. The idiomatic
// JavaScript API (Promises, options objects, dispose) is js/api.js, linked in
// with --post-js; this file only exposes what it needs.

#include "playground.hpp"

#include <tandem/session/browser_websocket.hpp>
#include <tandem/session/session_client.hpp>

#include <tandem/runtime/event_loop_driver.hpp>
#include <tandem/tandem.hpp>

#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <malloc.h>

#include <chrono>
#include <cmath>
#include <map>

namespace {

using emscripten::val;

val to_js(const tandem::playground::ring_progress& p) {
  auto o = val::object();
  o.set("messages", static_cast<double>(p.messages));
  o.set("elapsedMs", p.elapsed_ms);
  o.set("messagesPerSecond", p.messages_per_second);
  return o;
}

val to_js(const tandem::playground::ring_result& r) {
  auto o = val::object();
  o.set("messages", static_cast<double>(r.messages));
  o.set("actors", static_cast<double>(r.actors));
  o.set("lastActor", static_cast<double>(r.last_actor));
  o.set("countsSum", static_cast<double>(r.counts_sum));
  o.set("countsMin", static_cast<double>(r.counts_min));
  o.set("countsMax", static_cast<double>(r.counts_max));
  o.set("elapsedMs", r.elapsed_ms);
  o.set("messagesPerSecond", r.messages_per_second);
  o.set("stopped", r.stopped);
  return o;
}

tandem::duration from_ms(double ms) {
  return std::chrono::duration_cast<tandem::duration>(std::chrono::duration<double, std::milli>(ms));
}

/// One actor system on the page's (or node's) event loop. Members are
/// declared in construction order; the destructor stops every actor while
/// the JavaScript callbacks they hold can still run.
class web_runtime {
public:
  web_runtime() : system_(loop_), driver_(loop_) {}
  ~web_runtime() {
    system_.shutdown();
    rings_.clear();
  }
  web_runtime(const web_runtime&) = delete;
  web_runtime& operator=(const web_runtime&) = delete;

  double slice_ms() const {
    return std::chrono::duration<double, std::milli>(driver_.slice()).count();
  }
  void set_slice_ms(double ms) { driver_.set_slice(from_ms(ms)); }
  double live_actors() const { return static_cast<double>(system_.live_actors()); }
  /// The clock actors see (performance.now() underneath), in ms.
  double now_ms() const {
    return std::chrono::duration<double, std::milli>(loop_.now().time_since_epoch()).count();
  }

  /// Starts a ring; returns its id for stop_ring, or 0 if the options were
  /// unusable (on_done has then been called with an empty result).
  int start_ring(double actors, double messages, double progress_ms, val on_progress,
                 val on_done) {
    tandem::playground::ring_options opts;
    opts.actors = actors >= 1 ? static_cast<std::size_t>(actors) : 0;
    opts.messages = messages >= 1 ? static_cast<std::uint64_t>(messages) : 0;
    opts.progress_interval = from_ms(progress_ms);
    int id = next_id_++;
    tandem::playground::ring_callbacks cb;
    cb.on_progress = [on_progress](const tandem::playground::ring_progress& p) {
      on_progress(to_js(p));
    };
    cb.on_done = [this, id, on_done](const tandem::playground::ring_result& r) {
      rings_.erase(id);
      on_done(to_js(r));
    };
    auto ring = tandem::playground::start_ring(system_, opts, std::move(cb));
    if (!ring)
      return 0;
    rings_.emplace(id, ring);
    driver_.start();
    return id;
  }

  tandem::actor_system& system() noexcept { return system_; }

  void stop_ring(int id) {
    auto i = rings_.find(id);
    if (i != rings_.end())
      tandem::playground::stop_ring(i->second);
  }

private:
  tandem::cooperative_loop loop_;
  tandem::actor_system system_;
  tandem::event_loop_driver driver_;
  std::map<int, tandem::actor> rings_;
  int next_id_ = 1;
};

/// Bytes allocated on the wasm heap right now: lets tests and pages check
/// that repeated create/dispose or connect/disconnect leaks nothing.
double heap_bytes_in_use() {
  return static_cast<double>(mallinfo().uordblks);
}

/// JSON text for JavaScript's JSON.parse (invalid UTF-8 cannot come from the
/// codec, but replacing it beats throwing into the event loop).
std::string to_json_text(const tandem::session::json& j) {
  return j.dump(-1, ' ', false, tandem::session::json::error_handler_t::replace);
}

/// One session to a server: a session_client actor (reconnects with backoff)
/// over the browser's WebSocket. `events` is a JavaScript object with
/// onState(state, detail, retryMs), onNotification(method, paramsJson),
/// onResult(call, resultJson) and onError(call, code, message, dataJson),
/// called on the client actor. Destroying this object closes the session
/// ("closed" is the last state); the actor outlives it until then.
class web_session {
public:
  web_session(web_runtime& runtime, std::string url, double initial_retry_ms, double max_retry_ms,
              val events)
      : events_(events) {
    namespace rpc = tandem::session;
    rpc::client_options opts;
    if (initial_retry_ms > 0)
      opts.reconnect.initial = from_ms(initial_retry_ms);
    if (max_retry_ms > 0)
      opts.reconnect.max = from_ms(max_retry_ms);
    opts.name = "page-session";
    opts.connect = [url](std::function<void()> on_open) -> tandem::expected<std::unique_ptr<rpc::connection>> {
      return rpc::make_browser_websocket(url, {}, std::move(on_open));
    };
    opts.events.on_state = [events](rpc::client_state state, const std::string& detail,
                                    tandem::duration retry_in) {
      events.call<void>("onState", std::string{rpc::to_string(state)}, detail,
                        std::chrono::duration<double, std::milli>(retry_in).count());
    };
    opts.events.on_notification = [events](rpc::rpc_notification& n) {
      events.call<void>("onNotification", n.method, to_json_text(n.params));
    };
    opts.events.on_result = [events](std::int64_t call, rpc::json& result) {
      events.call<void>("onResult", static_cast<double>(call), to_json_text(result));
    };
    opts.events.on_error = [events](std::int64_t call, const rpc::rpc_error& e) {
      events.call<void>("onError", static_cast<double>(call), e.code(), e.message(),
                        e.data() ? to_json_text(*e.data()) : std::string{});
    };
    client_ = rpc::spawn_session_client(runtime.system(), std::move(opts));
  }
  ~web_session() { close(); }
  web_session(const web_session&) = delete;
  web_session& operator=(const web_session&) = delete;

  /// `params_json` comes from JSON.stringify, which lets lone surrogates
  /// through as escapes that are not valid JSON text for the codec.
  void call(double call, std::string method, std::string params_json, double timeout_ms) {
    namespace rpc = tandem::session;
    auto params = rpc::json::parse(params_json, nullptr, false);
    if (params.is_discarded()) {
      events_.call<void>("onError", call, rpc::rpc_code::invalid_params,
                         std::string{"params are not valid JSON text"}, std::string{});
      return;
    }
    // After close() the client may still be ending: the call fails here.
    auto sent = tandem::send(client_, rpc::client_call{static_cast<std::int64_t>(call), std::move(method),
                                                       std::move(params),
                                                       timeout_ms > 0 ? from_ms(timeout_ms) : rpc::no_timeout});
    if (sent)
      events_.call<void>("onError", call, static_cast<int>(tandem::errc::channel_closed),
                         std::string{"session closed"}, std::string{});
  }
  void cancel(double call) {
    tandem::send(client_, tandem::session::client_cancel{static_cast<std::int64_t>(call)});
  }
  void close() {
    if (client_)
      tandem::send(client_, tandem::session::client_close{});
    client_ = tandem::actor{};
  }

private:
  val events_;
  tandem::actor client_;
};

} // namespace

EMSCRIPTEN_BINDINGS(tandem_web) {
  emscripten::constant("ERR_TIMEOUT", static_cast<int>(tandem::errc::request_timeout));
  emscripten::constant("ERR_DISCONNECTED", static_cast<int>(tandem::errc::channel_closed));
  emscripten::constant("ERR_CANCELLED", tandem::session::rpc_code::request_cancelled);
  emscripten::class_<web_session>("RawSession")
    .constructor<web_runtime&, std::string, double, double, val>()
    .function("call", &web_session::call)
    .function("cancel", &web_session::cancel)
    .function("close", &web_session::close);
  emscripten::function("heapBytesInUse", &heap_bytes_in_use);
  emscripten::class_<web_runtime>("RawRuntime")
    .constructor<>()
    .function("sliceMs", &web_runtime::slice_ms)
    .function("setSliceMs", &web_runtime::set_slice_ms)
    .function("liveActors", &web_runtime::live_actors)
    .function("nowMs", &web_runtime::now_ms)
    .function("startRing", &web_runtime::start_ring)
    .function("stopRing", &web_runtime::stop_ring);
}

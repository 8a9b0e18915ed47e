#pragma once

#include <tandem/actors/actor_base.hpp>
#include <tandem/mailbox/oneshot.hpp>
#include <tandem/session/detail/session_messages.hpp>
#include <tandem/session/pending_call.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

namespace tandem::session {

/// No timeout for a call: it completes by response, cancellation or
/// disconnect only.
inline constexpr duration no_timeout = duration::zero();

/// A handle to a session actor: calls and notifications to the peer. Cheap to
/// copy; usable from any actor or thread. Params convert to JSON with
/// to_json (pass `nullptr` for none); results with from_json.
class session_handle {
public:
  session_handle() = default;
  session_handle(actor session, std::shared_ptr<detail::session_shared> shared)
      : actor_(std::move(session)), shared_(std::move(shared)) {}

  explicit operator bool() const noexcept { return static_cast<bool>(actor_); }
  /// The session actor (to monitor it: it quits when its connection closes).
  const actor& as_actor() const noexcept { return actor_; }

  /// Calls `method` on the peer from inside an actor. `.then(on_value,
  /// on_error)` runs on `self`, exactly once: with the result converted to R,
  /// or with the error (the peer's JSON-RPC error; errc::request_timeout after
  /// `timeout`; -32800 once cancelled; errc::channel_closed on disconnect).
  template <class R = json, class P = json>
  pending_call<R> call(actor_base* self, std::string method, P&& params,
                       duration timeout = no_timeout) const;

  /// A call whose handler streams items before its result (ctx.stream):
  /// `on_stream(json)` runs on `self` for each, in order, before `then`'s.
  template <class R = json, class P = json, class OnStream>
  pending_call<R> call(actor_base* self, std::string method, P&& params, duration timeout,
                       OnStream on_stream) const;

  /// The same from outside actors: the result arrives in a oneshot. A failed
  /// call's error keeps the peer's data: `rpc_error{e}.data()`.
  template <class R = json, class P = json>
  oneshot_receiver<R> call(std::string method, P&& params, duration timeout = no_timeout) const;

  /// A streaming call from outside actors: `on_stream(json)` runs for each
  /// item, in order, on the session actor (never concurrently with itself;
  /// guard what it shares with other threads), and every item's call
  /// returns before the oneshot completes.
  template <class R = json, class P = json, class OnStream>
  oneshot_receiver<R> call(std::string method, P&& params, duration timeout, OnStream on_stream) const;

  /// A notification to the peer (no answer).
  template <class P = json>
  error notify(std::string method, P&& params) const;

  /// Cancels a pending call: it completes with -32800 at once and the peer is
  /// sent `$/cancelRequest`. Unknown or finished ids are ignored.
  error cancel(std::int64_t call_id) const { return tandem::send(actor_, detail::cancel_call{call_id}); }

  /// Closes the connection; every pending call fails, the session quits.
  error close() const { return tandem::send(actor_, detail::close_session{}); }

private:
  std::int64_t next_id() const {
    return shared_->last_call_id.fetch_add(1, std::memory_order_relaxed) + 1;
  }

  template <class P>
  static expected<json> to_params(P&& params);

  actor actor_;
  std::shared_ptr<detail::session_shared> shared_;
};

// -- implementation -----------------------------------------------------------

template <class P>
expected<json> session_handle::to_params(P&& params) {
  try {
    json j = std::forward<P>(params);
    if (!j.is_null() && !j.is_array() && !j.is_object())
      return error{rpc_code::invalid_params, "params must be an array, an object or null"};
    return j;
  } catch (const std::exception& e) {
    return error{rpc_code::invalid_params, std::string{"params do not convert to JSON: "} + e.what()};
  }
}

template <class R, class P>
pending_call<R> session_handle::call(actor_base* self, std::string method, P&& params,
                                     duration timeout) const {
  auto id = next_id();
  auto p = to_params(std::forward<P>(params));
  if (!p) {
    auto rid = self->next_request_id();
    self->fail_request_locally(rid, std::move(p).error_value());
    return pending_call<R>{self, pending_request<tandem::detail::dynamic_response>{self, rid}, id};
  }
  auto req = self->request(actor_, detail::outgoing_call{id, std::move(method), std::move(*p), timeout, {}, {}});
  return pending_call<R>{self, std::move(req), id};
}

namespace detail {

/// Runs `fn` on `target` as a message of its own (never concurrently with its
/// handlers; dropped if it has terminated).
void run_on(actor_base* target, tandem::detail::unique_function<void()> fn);

} // namespace detail

template <class R, class P, class OnStream>
pending_call<R> session_handle::call(actor_base* self, std::string method, P&& params, duration timeout,
                                     OnStream on_stream) const {
  auto id = next_id();
  auto p = to_params(std::forward<P>(params));
  if (!p) {
    auto rid = self->next_request_id();
    self->fail_request_locally(rid, std::move(p).error_value());
    return pending_call<R>{self, pending_request<tandem::detail::dynamic_response>{self, rid}, id};
  }
  // Items go to the caller through its mailbox, like the response after them
  // (both sent by the session actor), so they arrive first and in order.
  auto fn = std::make_shared<OnStream>(std::move(on_stream));
  tandem::detail::unique_function<void(json)> sink =
    [target = self->this_actor(), fn](json item) {
      detail::run_on(target.cell(), [fn, item = std::move(item)]() mutable { (*fn)(std::move(item)); });
    };
  auto req = self->request(actor_, detail::outgoing_call{id, std::move(method), std::move(*p), timeout, {},
                                                         std::move(sink)});
  return pending_call<R>{self, std::move(req), id};
}

template <class R, class P>
oneshot_receiver<R> session_handle::call(std::string method, P&& params, duration timeout) const {
  return call<R>(std::move(method), std::forward<P>(params), timeout, nullptr);
}

template <class R, class P, class OnStream>
oneshot_receiver<R> session_handle::call(std::string method, P&& params, duration timeout,
                                         OnStream on_stream) const {
  static_assert(!std::is_void_v<R>, "a oneshot carries a value: call<json> or call<unit> instead");
  auto [tx, rx] = make_oneshot<R>();
  auto p = to_params(std::forward<P>(params));
  if (!p) {
    tx.fail(std::move(p).error_value());
    return std::move(rx);
  }
  auto sender = std::make_shared<oneshot_sender<R>>(std::move(tx));
  auto complete = [sender](detail::call_outcome o) {
    if (o.error) {
      sender->fail(o.error->to_error());
      return;
    }
    auto value = detail::convert_result<R>(o.result);
    if (value)
      sender->send(std::move(*value));
    else
      sender->fail(std::move(value).error_value());
  };
  // Run by the session actor as items arrive, before `complete` (its answer).
  tandem::detail::unique_function<void(json)> sink;
  if constexpr (!std::is_same_v<OnStream, std::nullptr_t>)
    sink = [fn = std::move(on_stream)](json item) mutable { fn(std::move(item)); };
  auto sent = tandem::send(actor_, detail::outgoing_call{next_id(), std::move(method), std::move(*p),
                                                         timeout, std::move(complete), std::move(sink)});
  if (sent)
    sender->fail(sent); // the session had terminated
  return std::move(rx);
}

template <class P>
error session_handle::notify(std::string method, P&& params) const {
  auto p = to_params(std::forward<P>(params));
  if (!p)
    return std::move(p).error_value();
  return tandem::send(actor_, detail::outgoing_notification{std::move(method), std::move(*p)});
}

} // namespace tandem::session

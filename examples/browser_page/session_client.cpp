#include "session_client.hpp"

#include <algorithm>
#include <map>

namespace tandem::browser {

namespace {

struct connect_now {};
struct opened {
  std::uint64_t generation;
};

struct client_state {
  connection_factory factory;
  reconnect_policy policy;
  client_events events;
  session::session_handle session;
  std::uint64_t generation = 0;
  duration backoff{};
  bool connected = false;
  bool closing = false;
  timer_handle retry;
  std::map<int, std::int64_t> calls; // JavaScript's call number -> session call id
};

using client_actor = stateful_actor<client_state>;

void fail_call(client_state& st, int call, int code, const std::string& message) {
  if (st.events.on_error)
    st.events.on_error(call, code, message, std::string{});
}

void start_connection(client_actor* self) {
  auto& st = self->state;
  auto generation = ++st.generation;
  auto conn = st.factory([target = self->this_actor(), generation] {
    tandem::send(target, opened{generation});
  });
  session::session_options opts;
  opts.notifications = self->this_actor();
  opts.name = "page-session";
  st.session = session::spawn_session(self->system(), std::move(conn), std::move(opts));
  self->monitor(st.session.as_actor());
  if (st.events.on_state)
    st.events.on_state("connecting", std::string{}, 0);
}

behavior client(client_actor* self, connection_factory factory, reconnect_policy policy,
                client_events events) {
  auto& st = self->state;
  st.factory = std::move(factory);
  st.policy = policy;
  st.backoff = policy.initial;
  st.events = std::move(events);
  start_connection(self);
  return behavior{
    [self](connect_now) {
      if (!self->state.closing)
        start_connection(self);
    },
    [self](const opened& o) {
      auto& st = self->state;
      if (o.generation != st.generation || st.closing)
        return;
      st.connected = true;
      st.backoff = st.policy.initial;
      if (st.events.on_state)
        st.events.on_state("open", std::string{}, 0);
    },
    [self](down_msg& d) {
      auto& st = self->state;
      if (d.source != st.session.as_actor())
        return; // an earlier session's late notice
      st.connected = false;
      st.session = session::session_handle{};
      if (st.closing) {
        if (st.events.on_state)
          st.events.on_state("closed", std::string{}, 0);
        self->quit();
        return;
      }
      auto wait = st.backoff;
      st.backoff = std::min(st.backoff * 2, st.policy.max);
      st.retry = self->delayed_send(self->this_actor(), wait, connect_now{});
      if (st.events.on_state)
        st.events.on_state("disconnected",
                           d.reason ? d.reason.message() : std::string{"connection closed"},
                           std::chrono::duration<double, std::milli>(wait).count());
    },
    [self](session::rpc_notification& n) {
      if (self->state.events.on_notification)
        self->state.events.on_notification(n.method, n.params.dump());
    },
    [self](client_call& c) {
      auto& st = self->state;
      if (!st.connected || !st.session) {
        fail_call(st, c.call, static_cast<int>(errc::channel_closed), "not connected");
        return;
      }
      auto params = session::json::parse(c.params_json, nullptr, false);
      if (params.is_discarded()) {
        fail_call(st, c.call, session::rpc_code::invalid_params, "params are not JSON");
        return;
      }
      auto pending = st.session.call(self, c.method, std::move(params), c.timeout);
      st.calls[c.call] = pending.id();
      pending.then(
        [self, call = c.call](session::json result) {
          self->state.calls.erase(call);
          if (self->state.events.on_result)
            self->state.events.on_result(call, result.dump());
        },
        [self, call = c.call](session::rpc_error e) {
          self->state.calls.erase(call);
          if (self->state.events.on_error)
            self->state.events.on_error(call, e.code(), e.message(),
                                        e.data() ? e.data()->dump() : std::string{});
        });
    },
    [self](const client_cancel& c) {
      auto& st = self->state;
      auto i = st.calls.find(c.call);
      if (i != st.calls.end() && st.session)
        st.session.cancel(i->second);
    },
    [self](client_close) {
      auto& st = self->state;
      if (st.closing)
        return;
      st.closing = true;
      st.retry.cancel();
      if (st.session) {
        st.session.close(); // its down_msg ends the client
      } else {
        if (st.events.on_state)
          st.events.on_state("closed", std::string{}, 0);
        self->quit();
      }
    },
  };
}

} // namespace

actor spawn_client(actor_system& sys, connection_factory factory, reconnect_policy policy,
                   client_events events) {
  return sys.spawn(client, std::move(factory), policy, std::move(events));
}

} // namespace tandem::browser

#include <tandem/session/session_client.hpp>

#include <tandem/session/spawn_session.hpp>
#include <tandem/tandem.hpp>

#include <algorithm>
#include <map>
#include <utility>

namespace tandem::session {

const char* to_string(client_state s) noexcept {
  switch (s) {
    case client_state::connecting:
      return "connecting";
    case client_state::open:
      return "open";
    case client_state::disconnected:
      return "disconnected";
    case client_state::closed:
      return "closed";
  }
  return "?";
}

namespace {

struct connect_now {};
/// The connection of attempt `attempt` has opened.
struct opened {
  std::uint64_t attempt;
};

struct client_data {
  client_options opts;
  session_handle session;
  std::uint64_t attempt = 0;
  duration backoff{};
  client_state state = client_state::connecting;
  timer_handle retry;
  std::map<std::int64_t, std::int64_t> calls; // the caller's number -> the session's call id

  client_data() = default;
  client_data(const client_data&) = delete;
  client_data& operator=(const client_data&) = delete;
  // However the client ends, its connection does not outlive it.
  ~client_data() {
    if (session)
      session.close();
  }
};

using client_actor = stateful_actor<client_data>;

void set_state(client_data& st, client_state s, const std::string& detail = {},
               duration retry_in = duration::zero()) {
  st.state = s;
  st.opts.events.on_state(s, detail, retry_in);
}

void wait_and_retry(client_actor* self, const std::string& why) {
  auto& st = self->state;
  auto wait = st.backoff;
  st.backoff = std::min(st.backoff * 2, st.opts.reconnect.max);
  st.retry = self->delayed_send(self->this_actor(), wait, connect_now{});
  set_state(st, client_state::disconnected, why, wait);
}

void start_attempt(client_actor* self) {
  auto& st = self->state;
  auto attempt = ++st.attempt;
  set_state(st, client_state::connecting);
  auto conn = st.opts.connect([target = self->this_actor(), attempt] {
    tandem::send(target, opened{attempt});
  });
  if (!conn) {
    wait_and_retry(self, conn.error_value().message());
    return;
  }
  session_options so;
  so.notifications = self->this_actor();
  so.name = st.opts.name;
  st.session = spawn_session(self->system(), std::move(*conn), std::move(so));
  self->monitor(st.session.as_actor());
}

void fail_call(client_data& st, std::int64_t call, const std::string& why) {
  st.opts.events.on_error(call, rpc_error{errc::channel_closed, why});
}

behavior client(client_actor* self, client_options opts) {
  auto& st = self->state;
  st.opts = std::move(opts);
  st.opts.reconnect.max = std::max(st.opts.reconnect.max, st.opts.reconnect.initial);
  st.backoff = st.opts.reconnect.initial;
  start_attempt(self);
  return behavior{
    [self](connect_now) {
      if (self->state.state == client_state::disconnected)
        start_attempt(self);
    },
    [self](const opened& o) {
      auto& st = self->state;
      if (o.attempt != st.attempt || st.state != client_state::connecting || !st.session)
        return; // an earlier attempt's, or the client is closing
      st.backoff = st.opts.reconnect.initial;
      set_state(st, client_state::open);
    },
    [self](down_msg& d) {
      auto& st = self->state;
      if (!st.session || d.source != st.session.as_actor())
        return;
      st.session = session_handle{};
      if (st.state == client_state::closed) {
        set_state(st, client_state::closed); // the session is gone: report it last
        self->quit();
        return;
      }
      wait_and_retry(self, d.reason ? d.reason.message() : std::string{"connection closed"});
    },
    [self](rpc_notification& n) { self->state.opts.events.on_notification(n); },
    [self](client_call& c) {
      auto& st = self->state;
      if (st.state == client_state::closed) {
        fail_call(st, c.call, "session closed");
        return;
      }
      if (!st.session) {
        fail_call(st, c.call, "not connected");
        return;
      }
      auto pending = st.session.call(self, std::move(c.method), std::move(c.params), c.timeout);
      st.calls[c.call] = pending.id();
      pending.then(
        [self, call = c.call](json result) {
          self->state.calls.erase(call);
          self->state.opts.events.on_result(call, result);
        },
        [self, call = c.call](rpc_error e) {
          self->state.calls.erase(call);
          // The session ended before it took the call: the same as a drop.
          if (e.code() == static_cast<int>(errc::receiver_down))
            e = rpc_error{errc::channel_closed, "connection closed"};
          self->state.opts.events.on_error(call, e);
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
      if (st.state == client_state::closed)
        return;
      st.retry.cancel();
      st.state = client_state::closed;
      if (st.session) {
        st.session.close(); // its down_msg reports closed and ends the client
      } else {
        set_state(st, client_state::closed);
        self->quit();
      }
    },
  };
}

} // namespace

actor spawn_session_client(actor_system& sys, client_options opts) {
  return sys.spawn(client, std::move(opts));
}

} // namespace tandem::session

#include "playground.hpp"

#include <algorithm>
#include <limits>
#include <memory>
#include <vector>

namespace tandem::playground {

namespace {

struct token {
  std::uint64_t remaining;
};
struct set_next {
  actor next;
};
struct count_query {};
struct finished {
  std::size_t index;
};
struct report_tick {};
struct stop_ring_msg {};

// Hops are counted where they happen and read by the coordinator's progress
// ticks; the ring runs on one thread in the browser, but relaxed atomics keep
// it correct on a multi-threaded backend too.
using hop_counter = std::shared_ptr<std::atomic<std::uint64_t>>;

struct member_state {
  actor next;
  std::uint64_t count = 0;
};

behavior member(stateful_actor<member_state>* self, actor coordinator, std::size_t index,
                hop_counter hops) {
  // Linked: a stopped coordinator takes the whole ring with it.
  self->link_to(coordinator);
  return behavior{
    [self](set_next& m) { self->state.next = std::move(m.next); },
    [self, coordinator, index, hops](const token& t) {
      ++self->state.count;
      hops->fetch_add(1, std::memory_order_relaxed);
      if (t.remaining <= 1)
        self->send(coordinator, finished{index});
      else
        self->send(self->state.next, token{t.remaining - 1});
    },
    [self](count_query) {
      self->quit();
      return self->state.count;
    },
  };
}

struct coordinator_state;
void finish(coordinator_state& st, time_point now);

struct coordinator_state {
  coordinator_state() = default;
  coordinator_state(const coordinator_state&) = delete;
  coordinator_state& operator=(const coordinator_state&) = delete;
  // The state dies with the actor, however it ends: a ring the system shut
  // down (or that failed) still reports, so on_done runs exactly once.
  ~coordinator_state() {
    if (!done && clock != nullptr) {
      result.stopped = true;
      result.counts_min = 0;
      finish(*this, clock->now());
    }
  }

  const actor_system* clock = nullptr;
  std::vector<actor> members;
  ring_callbacks callbacks;
  hop_counter hops = std::make_shared<std::atomic<std::uint64_t>>(0);
  time_point started;
  time_point last_report;
  std::uint64_t last_reported = 0;
  timer_handle reporter;
  ring_result result;
  std::size_t answers = 0;
  bool done = false;
};

double ms_between(time_point a, time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

void finish(coordinator_state& st, time_point now) {
  if (st.done)
    return;
  st.done = true;
  st.reporter.cancel();
  auto elapsed = ms_between(st.started, now);
  st.result.messages = st.hops->load(std::memory_order_relaxed);
  st.result.elapsed_ms = elapsed;
  st.result.messages_per_second =
    elapsed > 0 ? static_cast<double>(st.result.messages) * 1000.0 / elapsed : 0.0;
  if (st.callbacks.on_done)
    st.callbacks.on_done(st.result);
}

behavior coordinator(stateful_actor<coordinator_state>* self, ring_options opts,
                     ring_callbacks callbacks) {
  auto& st = self->state;
  st.clock = &self->system();
  st.callbacks = std::move(callbacks);
  st.result.actors = opts.actors;
  st.members.reserve(opts.actors);
  for (std::size_t i = 0; i < opts.actors; ++i)
    st.members.push_back(self->spawn(member, self->this_actor(), i, st.hops));
  for (std::size_t i = 0; i < opts.actors; ++i)
    self->send(st.members[i], set_next{st.members[(i + 1) % opts.actors]});
  st.started = self->now();
  st.last_report = st.started;
  self->send(st.members[0], token{opts.messages});
  st.reporter = self->send_periodically(self->this_actor(), opts.progress_interval, report_tick{});
  return behavior{
    [self](report_tick) {
      auto& st = self->state;
      auto now = self->now();
      auto hops = st.hops->load(std::memory_order_relaxed);
      ring_progress p;
      p.messages = hops;
      p.elapsed_ms = ms_between(st.started, now);
      auto interval_ms = ms_between(st.last_report, now);
      p.messages_per_second =
        interval_ms > 0 ? static_cast<double>(hops - st.last_reported) * 1000.0 / interval_ms : 0;
      st.last_report = now;
      st.last_reported = hops;
      if (st.callbacks.on_progress)
        st.callbacks.on_progress(p);
    },
    [self](const finished& f) {
      auto& st = self->state;
      st.reporter.cancel();
      st.result.last_actor = f.index;
      st.result.counts_min = std::numeric_limits<std::uint64_t>::max();
      for (auto& m : st.members) {
        self->request(m, count_query{})
          .then(
            [self](std::uint64_t n) {
              auto& st = self->state;
              st.result.counts_sum += n;
              st.result.counts_min = std::min(st.result.counts_min, n);
              st.result.counts_max = std::max(st.result.counts_max, n);
              if (++st.answers == st.members.size()) {
                finish(self->state, self->now());
                st.members.clear();
                self->quit();
              }
            },
            [self](error e) {
              // A member that cannot answer makes the counts meaningless.
              self->state.result.stopped = true;
              finish(self->state, self->now());
              self->quit(std::move(e));
            });
      }
    },
    [self](stop_ring_msg) {
      self->state.result.stopped = true;
      self->state.result.counts_min = 0;
      finish(self->state, self->now());
      // Not a normal exit: the links stop every member.
      self->quit(error{errc::killed, "playground stopped"});
    },
  };
}

} // namespace

actor start_ring(actor_system& sys, ring_options opts, ring_callbacks callbacks) {
  if (opts.actors == 0 || opts.messages == 0) {
    ring_result empty;
    empty.actors = opts.actors;
    if (callbacks.on_done)
      callbacks.on_done(empty);
    return actor{};
  }
  if (opts.progress_interval <= duration::zero())
    opts.progress_interval = std::chrono::milliseconds(100);
  return sys.spawn(coordinator, opts, std::move(callbacks));
}

void stop_ring(const actor& coordinator) {
  if (coordinator)
    send(coordinator, stop_ring_msg{});
}

} // namespace tandem::playground

// WebAssembly only: actors on the cooperative loop driven by node's event
// loop through tandem::event_loop_driver. main() returns to the event loop;
// the program ends from a callback. Phases, one after the other:
//   1. timers are awaited with one setTimeout each (few event-loop tasks), not
//      by spinning, and a long message burst is sliced (JavaScript tasks run
//      in between);
//   2. once everything is done the driver sleeps: nothing pending, no task
//      runs while nothing happens;
//   3. a timer armed from outside the loop earlier than the one the driver
//      waits for wakes it in time;
//   4. a driver destroyed while an immediate and a timeout are pending runs
//      nothing afterwards.

#include <tandem/runtime/event_loop_driver.hpp>
#include <tandem/tandem.hpp>

#include <emscripten/emscripten.h>
#include <emscripten/eventloop.h>

#include <chrono>
#include <cstdio>

using namespace std::chrono_literals;

namespace {

struct tick {
  int n;
};
struct burst {
  int left;
};
struct wake {
  int id;
};

tandem::cooperative_loop loop;
tandem::actor_system* sys = nullptr;
tandem::event_loop_driver* driver = nullptr;
int interleaved_js_tasks = 0;

void fail(const char* why) {
  std::printf("FAILED: %s\n", why);
  emscripten_force_exit(1);
}

void js_task(void*) {
  // Runs only if the driver really returns to the event loop during a burst.
  ++interleaved_js_tasks;
}

void phase_idle();
void phase_earlier_timer();
void phase_disposal();

void phase_timers_and_burst() {
  auto start = loop.now();
  sys->spawn([start](tandem::actor_base* self) {
    self->delayed_send(self->this_actor(), 30ms, tick{1});
    return tandem::behavior{
      [self, start](tick t) {
        if (t.n < 3) {
          self->delayed_send(self->this_actor(), 30ms, tick{t.n + 1});
          return;
        }
        auto waited = self->now() - start;
        if (waited < 90ms)
          fail("three 30 ms delays took less than 90 ms");
        // Then a burst of 300,000 self-sends: must be sliced.
        for (int i = 0; i < 20; ++i)
          emscripten_set_immediate(js_task, nullptr);
        self->send(self->this_actor(), burst{300'000});
      },
      [self, start](burst b) {
        if (b.left > 0) {
          self->send(self->this_actor(), burst{b.left - 1});
          return;
        }
        std::printf("timers and burst done after %lld ms in %zu event-loop tasks, "
                    "%d JavaScript tasks ran in between\n",
                    static_cast<long long>((self->now() - start) / 1ms), driver->tasks(),
                    interleaved_js_tasks);
        // Waiting must not spin: 3 timers need a handful of tasks, not thousands.
        if (driver->tasks() > 2000)
          fail("the driver ran far too many event-loop tasks (spinning?)");
        if (interleaved_js_tasks == 0)
          fail("the burst never gave the event loop back");
        self->quit();
        emscripten_set_timeout([](void*) { phase_idle(); }, 0, nullptr);
      }};
  });
}

void phase_idle() {
  if (driver->scheduled())
    fail("the driver keeps a task pending with nothing to do");
  static std::size_t tasks_before = driver->tasks();
  tasks_before = driver->tasks();
  emscripten_set_timeout(
    [](void*) {
      if (driver->tasks() != tasks_before)
        fail("the driver ran event-loop tasks while idle");
      std::printf("idle: no task in 50 ms\n");
      phase_earlier_timer();
    },
    50, nullptr);
}

void phase_earlier_timer() {
  // The driver first waits for a 2 s timer; a 20 ms one armed afterwards from
  // a JavaScript callback (outside any turn) must wake it after ~20 ms.
  static tandem::time_point start;
  start = loop.now();
  auto receiver = sys->spawn([](tandem::actor_base* self) {
    return tandem::behavior{[self](wake w) {
      if (w.id == 2) {
        fail("the late timer fired first");
        return;
      }
      auto took = self->now() - start;
      std::printf("earlier timer after %lld ms\n", static_cast<long long>(took / 1ms));
      if (took > 1500ms)
        fail("an earlier timer did not wake the driver before the later one");
      self->quit();
      emscripten_set_timeout([](void*) { phase_disposal(); }, 0, nullptr);
    }};
  });
  static tandem::actor target;
  target = receiver;
  auto late = tandem::delayed_send(receiver, 2s, wake{2});
  static tandem::timer_handle late_handle;
  late_handle = late;
  emscripten_set_timeout(
    [](void*) {
      tandem::delayed_send(target, 20ms, wake{1});
      // The late one is cancelled once the early one arrived (not needed
      // for the check, but nothing may keep the program alive).
      emscripten_set_timeout([](void*) { late_handle.cancel(); }, 100, nullptr);
      target = tandem::actor{};
    },
    5, nullptr);
}

int disposed_system_messages = 0;

void phase_disposal() {
  // A second loop and driver with a busy actor and an armed timer; the
  // driver is destroyed while its immediate and timeout are pending. Its
  // callbacks must run nothing afterwards.
  static tandem::cooperative_loop other_loop;
  static tandem::actor_system* other_sys = new tandem::actor_system{other_loop};
  auto* other_driver = new tandem::event_loop_driver{other_loop};
  auto busy = other_sys->spawn([](tandem::actor_base* self) {
    self->delayed_send(self->this_actor(), 10ms, burst{0});
    return tandem::behavior{[self](burst b) {
      ++disposed_system_messages;
      self->send(self->this_actor(), burst{b.left + 1});
    }};
  });
  tandem::send(busy, burst{0});
  other_driver->start();
  if (!other_driver->scheduled())
    fail("a driver with work scheduled nothing");
  delete other_driver;
  emscripten_set_timeout(
    [](void*) {
      std::printf("disposed driver: %d messages ran afterwards\n", disposed_system_messages);
      if (disposed_system_messages != 0)
        fail("a destroyed driver's callback still ran the loop");
      std::printf("PASSED\n");
      emscripten_force_exit(0);
    },
    60, nullptr);
}

} // namespace

int main() {
  sys = new tandem::actor_system{loop};
  driver = new tandem::event_loop_driver{loop};
  emscripten_set_timeout([](void*) { fail("timed out after 10 s"); }, 10000, nullptr);
  phase_timers_and_burst();
  driver->start();
  emscripten_exit_with_live_runtime();
}

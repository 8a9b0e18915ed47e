// WebAssembly only: actors on the cooperative loop driven by node's event
// loop through tandem::event_loop_driver. main() returns to the event loop;
// the program ends from inside an actor. Checks that timers are awaited with
// one setTimeout each (few event-loop tasks), not by spinning, and that a
// long message burst is sliced (the event loop gets control back in between).

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

} // namespace

int main() {
  sys = new tandem::actor_system{loop};
  driver = new tandem::event_loop_driver{loop};
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
        std::printf("PASSED\n");
        emscripten_force_exit(0);
      }};
  });
  emscripten_set_timeout([](void*) { fail("timed out after 10 s"); }, 10000, nullptr);
  driver->start();
  emscripten_exit_with_live_runtime();
}

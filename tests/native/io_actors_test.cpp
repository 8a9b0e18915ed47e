// Actors on a server's I/O thread (session_thread::io_thread), below the
// sockets: a socket handler that delivered frames and found its socket
// drained runs the actors they woke at once, and the writes those actors
// queue start when that run ends -- so an answer leaves before the next read
// and without hops through the io_context's queue.

#include "native/io_actors.hpp"
#include "native/io_thread.hpp"

#include <tandem/actors/actor_base.hpp>

#include <boost/asio/post.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <thread>

using namespace std::chrono_literals;
namespace native = tandem::session::native;

namespace {

// A write queue as a socket has one: records what had happened when the I/O
// thread flushed it.
struct recording_writer : native::deferred_flush {
  std::atomic<int>* handled = nullptr;
  int handled_at_flush = -1;
  std::atomic<int> flushes{0};
  void flush_deferred() override {
    ++flushes;
    handled_at_flush = handled->load();
  }
};

struct io_actors_fixture {
  std::shared_ptr<native::io_thread> io = std::make_shared<native::io_thread>();
  std::unique_ptr<native::io_actors> actors = std::make_unique<native::io_actors>(io);
  std::shared_ptr<recording_writer> writer = std::make_shared<recording_writer>();
  std::atomic<int> handled{0};
  std::atomic<bool> collected{false};
  tandem::actor answering;

  io_actors_fixture() {
    writer->handled = &handled;
    // As a session does: handle the frame, queue the answer on the socket.
    answering = actors->system().spawn([this](tandem::actor_base*) -> tandem::behavior {
      return {[this](int) {
        ++handled;
        collected = io->collect_flush(writer);
      }};
    });
    io->run();
  }
  ~io_actors_fixture() { // as network_server::stop() does
    auto* a = actors.get();
    io->post(io->context().get_executor(), [a] { a->detach_from_io(); });
    io->finish();
    actors->shutdown();
  }

  template <class F>
  auto on_io_thread(F fn) {
    std::promise<decltype(fn())> result;
    io->post(io->context().get_executor(), [&] { result.set_value(fn()); });
    return result.get_future().get();
  }
};

bool eventually(const std::function<bool()>& done) {
  auto until = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until)
      return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

} // namespace

BOOST_AUTO_TEST_SUITE(session_io_actors)

BOOST_AUTO_TEST_CASE(a_drained_read_runs_the_actors_it_woke_and_their_writes_start_when_they_return) {
  io_actors_fixture f;
  struct seen {
    int before, after, flushes_after, handled_at_flush;
  };
  auto s = f.on_io_thread([&f] {
    // What a socket read does: deliver a frame, then (nothing more to read)
    // run the woken actors.
    tandem::send(f.answering, 1);
    int before = f.handled.load();
    f.io->run_woken_actors();
    return seen{before, f.handled.load(), f.writer->flushes.load(), f.writer->handled_at_flush};
  });
  BOOST_TEST(s.before == 0);
  BOOST_TEST(s.after == 1);            // ran inside the read's handler
  BOOST_TEST(f.collected.load());      // its write waited for the run to end
  BOOST_TEST(s.flushes_after == 1);    // and started when it did
  BOOST_TEST(s.handled_at_flush == 1); // after the handler, not before
  // The drain the frame had posted finds nothing left to do.
  BOOST_TEST(f.on_io_thread([&f] { return f.handled.load(); }) == 1);
  BOOST_TEST(f.writer->flushes.load() == 1);
}

BOOST_AUTO_TEST_CASE(outside_a_run_of_actors_a_write_is_not_collected) {
  io_actors_fixture f;
  BOOST_TEST(!f.on_io_thread([&f] { return f.io->collect_flush(f.writer); }));
  BOOST_TEST(f.on_io_thread([&f] {
    f.io->run_woken_actors(); // nothing woken: nothing runs
    return f.handled.load();
  }) == 0);
}

BOOST_AUTO_TEST_CASE(work_woken_after_an_inline_run_is_not_lost) {
  io_actors_fixture f;
  for (int i = 1; i <= 200; ++i) {
    // Alternate: frames from the I/O thread run inline; messages from this
    // thread wake the loop through the posted drain, which an inline run may
    // have emptied just before.
    if (i % 2 == 0) {
      f.on_io_thread([&f] {
        tandem::send(f.answering, 1);
        f.io->run_woken_actors();
        return 0;
      });
    } else {
      tandem::send(f.answering, 1);
    }
  }
  BOOST_TEST(eventually([&f] { return f.handled.load() == 200; }));
  // Messages run by a posted drain flushed through it too, never stranded.
  BOOST_TEST(eventually([&f] { return f.writer->flushes == 200; }));
}

BOOST_AUTO_TEST_SUITE_END()

#pragma once

// An actor system whose actors run on an I/O thread: a cooperative_loop
// driven by the thread's io_context. The loop's wakeup posts one drain onto
// the io_context (never more than one outstanding), a steady_timer fires its
// next timer deadline, so actors and socket handlers take turns on the same
// thread and a frame read there reaches its session, and the answer its
// socket, without a thread hop. Actors on other systems (the CAF pool) may
// send to these and receive from them: cross-thread schedules land in the
// loop's remote queue and wake it through the io_context.

#include "native/io_thread.hpp"

#include <tandem/actors/actor_system.hpp>
#include <tandem/runtime/cooperative_loop.hpp>

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <memory>

namespace tandem::session::native {

class io_actors {
public:
  explicit io_actors(std::shared_ptr<io_thread> io);
  io_actors(const io_actors&) = delete;
  io_actors& operator=(const io_actors&) = delete;
  /// shutdown() if it has not run.
  ~io_actors();

  actor_system& system() noexcept { return system_; }

  /// Stops driving from the io_context: drops the timer so that the thread can
  /// run out of work. Call on the I/O thread, or before it runs.
  void detach_from_io();
  /// Once the I/O thread has been joined: stops every actor still running and
  /// runs the loop on the calling thread until all have terminated.
  void shutdown();

private:
  void wake();
  void drain();
  /// A socket handler on the I/O thread delivered frames and found its socket
  /// drained: run the actors they woke now (io_thread::run_woken_actors).
  void run_woken();
  /// Turns, with the writes they queue started at the end; re-arms the timer.
  std::size_t run_some();
  void arm_timer();

  std::shared_ptr<io_thread> io_;
  cooperative_loop loop_;
  actor_system system_{loop_};
  boost::asio::steady_timer timer_;
  time_point timer_at_ = time_point::max();
  std::atomic<bool> drain_posted_{false};
  std::atomic<unsigned> wakes_{0}; // since the posted drain last looked
  int yields_ = 0;                 // I/O thread only
  bool running_ = false;           // I/O thread only: inside run_some()
  bool ran_inline_ = false;        // I/O thread only: run_woken() did the posted drain's work
  bool detached_ = false; // I/O thread only
  bool shut_down_ = false;
};

} // namespace tandem::session::native

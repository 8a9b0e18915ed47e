#pragma once

#include <cstddef>

namespace tandem {

/// What a resumable tells its scheduler after a turn.
enum class resume_result {
  resume_later, ///< budget used up, still has work: run it again later
  awaiting,     ///< idle; whoever makes it runnable schedules it again
  done,         ///< finished for good
};

/// A unit of work a scheduler runs in turns: an actor, usually. Reference
/// counted, because a scheduler holds it while it is queued or running.
class resumable {
public:
  /// Runs at most `budget` steps (messages, for an actor).
  virtual resume_result resume(std::size_t budget) = 0;

  virtual void add_ref() noexcept = 0;
  virtual void release() noexcept = 0;

  /// resume(), then release() unless the result is resume_later: what a
  /// scheduler does with each job it runs, as one virtual call instead of
  /// two. An indirect call costs WebAssembly several times what it costs
  /// natively (a table lookup and signature check, then the callee reloads
  /// its instance), and a loop makes one per turn.
  virtual resume_result resume_then_release(std::size_t budget) {
    auto result = resume(budget);
    if (result != resume_result::resume_later)
      release();
    return result;
  }

  /// Storage that belongs to the scheduler that runs this resumable (an
  /// intrusive queue link, or an adapter object for a foreign scheduler), so
  /// that scheduling never allocates. All zero bytes until a scheduler first
  /// writes it. A resumable runs on one scheduler for its whole life.
  static constexpr std::size_t scheduler_storage_size = 2 * sizeof(void*);
  void* scheduler_storage() noexcept { return storage_; }

protected:
  resumable() = default;
  resumable(const resumable&) = delete;
  resumable& operator=(const resumable&) = delete;
  ~resumable() = default;

private:
  alignas(void*) unsigned char storage_[scheduler_storage_size] = {};
};

} // namespace tandem

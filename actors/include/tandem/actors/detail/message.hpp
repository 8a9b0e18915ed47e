#pragma once

#include <tandem/actors/detail/intrusive_ptr.hpp>
#include <tandem/mailbox/intrusive_mpsc.hpp>
#include <tandem/runtime/detail/small_object_pool.hpp>
#include <tandem/actors/detail/type_key.hpp>

#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <typeinfo>
#include <utility>

namespace tandem {
class actor_base;
void intrusive_ptr_add_ref(actor_base* p) noexcept;
void intrusive_ptr_release(actor_base* p) noexcept;
} // namespace tandem

namespace tandem::detail {

using request_id = std::uint64_t;

enum class message_kind : std::uint8_t {
  ordinary, ///< a send: subject to mailbox bounds
  request,  ///< expects a response at `sender`: subject to mailbox bounds
  system,   ///< down/exit notifications: never dropped by a bound
  response, ///< answers request `id`
  failure,  ///< answers request `id` with an error (payload: tandem::error)
  wakeup,   ///< carries nothing; makes an idle actor look at its kill flag
  call,     ///< runs a function on the actor (run_later, idle checks)
};

/// One queued message: an intrusive node in a mailbox with a typed payload.
struct message : mpsc_link {
  type_key type;
  message_kind kind = message_kind::ordinary;
  request_id id = 0;
  intrusive_ptr<actor_base> sender; ///< requests only: where the answer goes

  explicit message(type_key t) noexcept : type(t) {}
  message(const message&) = delete;
  message& operator=(const message&) = delete;
  virtual ~message() = default;

  // Every message lives in the per-thread small-object pool
  // (small_object_pool.hpp); over-aligned payloads take the global aligned
  // allocation.
  static void* operator new(std::size_t size) { return allocate_small(size); }
  static void operator delete(void* p, std::size_t size) noexcept { free_small(p, size); }
  static void* operator new(std::size_t size, std::align_val_t align) {
    return ::operator new(size, align);
  }
  static void operator delete(void* p, std::size_t, std::align_val_t align) noexcept {
    ::operator delete(p, align); // unsized: clang has sized deallocation off by default
  }

  /// Readable payload type, for errors.
  virtual std::string type_name() const = 0;

  bool expects_response() const noexcept {
    return kind == message_kind::request && sender;
  }
};

template <class T>
struct message_of final : message {
  template <class... Args>
  explicit message_of(Args&&... args)
      : message(type_key_of<T>()), value(std::forward<Args>(args)...) {}

  std::string type_name() const override { return demangle(typeid(T).name()); }

  T value;
};

} // namespace tandem::detail

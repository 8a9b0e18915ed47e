#pragma once

#include <tandem/actors/detail/intrusive_ptr.hpp>
#include <tandem/mailbox/intrusive_mpsc.hpp>
#include <tandem/runtime/detail/small_object_pool.hpp>
#include <tandem/actors/detail/type_key.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
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
  /// Non-zero for a payload with nothing to destroy: the pool block size
  /// that dispose() hands back without the virtual destructor.
  std::uint16_t plain_size = 0;
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

/// Sends and requests: what a bounded mailbox may refuse or drop.
inline bool droppable(const message& m) noexcept {
  return m.kind == message_kind::ordinary || m.kind == message_kind::request;
}

template <class T>
struct message_of final : message {
  template <class... Args>
  explicit message_of(Args&&... args)
      : message(type_key_of<T>()), value(std::forward<Args>(args)...) {
    if constexpr (std::is_trivially_destructible_v<T>
                  && alignof(message_of) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__
                  && sizeof(message_of) <= 0xffff)
      plain_size = sizeof(message_of);
  }

  std::string type_name() const override { return demangle(typeid(T).name()); }

  T value;
};

/// Destroys and frees a message. One whose payload has nothing to destroy
/// and that holds no sender goes straight back to the pool: skipping its
/// (virtual) destructor skips nothing, and an indirect call per message costs
/// WebAssembly more than the rest of the disposal.
inline void dispose(message* m) noexcept {
  if (m->plain_size != 0 && !m->sender)
    free_small(m, m->plain_size);
  else
    delete m;
}

struct message_disposer {
  void operator()(message* m) const noexcept { dispose(m); }
};

/// Owns a message; disposes of it with dispose().
using message_ptr = std::unique_ptr<message, message_disposer>;

} // namespace tandem::detail

#include <tandem/actors/actor_base.hpp>
#include <tandem/actors/response_promise.hpp>

namespace tandem::detail {

promise_state::~promise_state() {
  if (pending())
    fail(error{errc::broken_promise, "response promise dropped without an answer"});
}

bool promise_state::complete(message* response) noexcept {
  std::unique_ptr<message> owned{response};
  if (done_.exchange(true, std::memory_order_acq_rel))
    return false;
  auto target = std::move(reply_to_);
  if (!target)
    return true;
  response->kind = message_kind::response;
  response->id = id_;
  actor_base::deliver(target.get(), owned.release());
  return true;
}

bool promise_state::fail(error reason) {
  if (done_.exchange(true, std::memory_order_acq_rel))
    return false;
  auto target = std::move(reply_to_);
  if (!target)
    return true;
  auto* f = new message_of<error>(std::move(reason));
  f->kind = message_kind::failure;
  f->id = id_;
  actor_base::deliver(target.get(), f);
  return true;
}

} // namespace tandem::detail

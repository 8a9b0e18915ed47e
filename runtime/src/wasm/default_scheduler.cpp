#include <tandem/runtime/cooperative_loop.hpp>
#include <tandem/runtime/default_scheduler.hpp>

namespace tandem {

std::unique_ptr<scheduler> make_default_scheduler() {
  return std::make_unique<cooperative_loop>();
}

} // namespace tandem

#include <tandem/runtime/caf_pool.hpp>
#include <tandem/runtime/default_scheduler.hpp>

namespace tandem {

std::unique_ptr<scheduler> make_default_scheduler() {
  return std::make_unique<caf_pool>();
}

} // namespace tandem

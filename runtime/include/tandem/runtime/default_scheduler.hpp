#pragma once

#include <tandem/runtime/scheduler.hpp>

#include <memory>

namespace tandem {

/// The platform's default backend, chosen when tandem is built: the CAF pool
/// natively, the cooperative loop under WebAssembly.
std::unique_ptr<scheduler> make_default_scheduler();

} // namespace tandem

#include <tandem/session/rpc_error.hpp>

namespace tandem::session {

rpc_error rpc_error::from(const error& e) {
  if (e.code() < 0)
    return rpc_error{e.code(), e.message()};
  return rpc_error{rpc_code::internal_error, "Internal error: " + tandem::to_string(e)};
}

std::string to_string(const rpc_error& e) {
  auto s = tandem::to_string(e.to_error());
  if (e.data())
    s += " (data: " + e.data()->dump(-1, ' ', false, json::error_handler_t::replace) + ")";
  return s;
}

} // namespace tandem::session

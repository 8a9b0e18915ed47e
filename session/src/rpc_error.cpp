#include <tandem/session/rpc_error.hpp>

namespace tandem::session {

namespace {

std::optional<json> data_of(const error& e) {
  if (const auto* d = e.context<rpc_error_data>())
    return d->data;
  return std::nullopt;
}

} // namespace

rpc_error::rpc_error(const error& e) : rpc_error(e.code(), e.message(), data_of(e)) {}

rpc_error rpc_error::from(const error& e) {
  if (e.code() < 0)
    return rpc_error{e};
  return rpc_error{rpc_code::internal_error, "Internal error: " + tandem::to_string(e)};
}

error rpc_error::to_error() const {
  if (!data_)
    return error{code_, message_};
  return error{code_, message_, std::make_shared<rpc_error_data>(*data_)};
}

std::string to_string(const rpc_error& e) {
  auto s = tandem::to_string(e.to_error());
  if (e.data())
    s += " (data: " + e.data()->dump(-1, ' ', false, json::error_handler_t::replace) + ")";
  return s;
}

} // namespace tandem::session

#include <tandem/runtime/error.hpp>

namespace tandem {

const char* to_string(errc code) noexcept {
  switch (code) {
    case errc::none: return "none";
    case errc::unexpected_message: return "unexpected_message";
    case errc::unexpected_response: return "unexpected_response";
    case errc::request_timeout: return "request_timeout";
    case errc::broken_promise: return "broken_promise";
    case errc::receiver_down: return "receiver_down";
    case errc::mailbox_full: return "mailbox_full";
    case errc::message_dropped: return "message_dropped";
    case errc::unhandled_exception: return "unhandled_exception";
    case errc::killed: return "killed";
    case errc::system_shutdown: return "system_shutdown";
    case errc::channel_closed: return "channel_closed";
    case errc::invalid_argument: return "invalid_argument";
  }
  return "unknown";
}

std::string to_string(const error& e) {
  if (!e)
    return "no error";
  std::string name;
  if (e.code() > 0 && e.code() <= static_cast<int>(errc::invalid_argument))
    name = to_string(static_cast<errc>(e.code()));
  else
    name = "error " + std::to_string(e.code());
  if (e.message().empty())
    return name;
  return name + ": " + e.message();
}

} // namespace tandem

#include <tandem/session/serve.hpp>

namespace tandem::session {

expected<std::unique_ptr<network_server>> serve(actor_system& sys, server_options options,
                                                session_options session) {
  session.limits = options.limits;
  return network_server::start(std::move(options), [&sys, session](std::unique_ptr<connection> conn) {
    auto opts = session;
    opts.name = conn->peer();
    spawn_session(sys, std::move(conn), std::move(opts));
  });
}

} // namespace tandem::session

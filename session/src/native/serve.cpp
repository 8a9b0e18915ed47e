#include <tandem/session/serve.hpp>

namespace tandem::session {

expected<std::unique_ptr<network_server>> serve(actor_system& sys, server_options options,
                                                session_options session) {
  session.limits = options.limits;
  accept_handler_on on_accept = [&sys, session](std::unique_ptr<connection> conn, actor_system* io_actors) {
    auto opts = session;
    opts.name = conn->peer();
    spawn_session(io_actors != nullptr ? *io_actors : sys, std::move(conn), std::move(opts));
  };
  return network_server::start(std::move(options), std::move(on_accept));
}

} // namespace tandem::session

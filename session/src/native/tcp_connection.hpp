#pragma once

// Newline-delimited JSON over TCP: one frame per line ("\n", an optional
// "\r" before it is dropped; blank lines are skipped). A line longer than
// max_frame_bytes closes the connection (its id cannot be known without
// buffering it): a final -32600 error line with id null says why.

#include "native/socket_connection.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <array>

namespace tandem::session::native {

class tcp_connection final : public socket_connection {
public:
  /// `socket` must have been opened on `strand`.
  tcp_connection(std::shared_ptr<io_thread> io, strand_type strand, boost::asio::ip::tcp::socket socket,
                 connection_limits limits);

private:
  void start_read() override;
  void start_write(std::vector<std::string>& frames) override;
  void start_shutdown() override;
  void close_socket() noexcept override;

  void on_read(const boost::system::error_code& ec, std::size_t n);
  void reject_oversized();

  boost::asio::ip::tcp::socket socket_;
  std::array<char, 64 * 1024> chunk_;
  std::string partial_;            // the unfinished line so far
  std::vector<std::string> writing_frames_;
};

} // namespace tandem::session::native

#include "native/tcp_connection.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cstring>

namespace tandem::session::native {

namespace asio = boost::asio;

namespace {

std::string describe(const asio::ip::tcp::socket& s) {
  boost::system::error_code ec;
  auto ep = s.remote_endpoint(ec);
  if (ec)
    return "tcp://?";
  return "tcp://" + ep.address().to_string() + ":" + std::to_string(ep.port());
}

bool blank(const char* b, const char* e) {
  return std::all_of(b, e, [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

} // namespace

tcp_connection::tcp_connection(std::shared_ptr<io_thread> io, strand_type strand, asio::ip::tcp::socket socket,
                               connection_limits limits)
    : socket_connection(std::move(io), std::move(strand), limits, describe(socket)), socket_(std::move(socket)) {
  boost::system::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay{true}, ec); // request/response latency
}

void tcp_connection::start_read() {
  auto self = std::static_pointer_cast<tcp_connection>(shared_from_this());
  socket_.async_read_some(asio::buffer(chunk_),
                          asio::bind_executor(strand(), [self](const boost::system::error_code& ec,
                                                               std::size_t n) { self->on_read(ec, n); }));
}

void tcp_connection::on_read(const boost::system::error_code& ec, std::size_t n) {
  if (closing())
    return;
  if (ec) {
    if (ec == asio::error::eof) // the peer may only have shut down its sending side: answer what is queued
      close_after_writes(partial_.empty()
                             ? error{errc::receiver_down, "peer closed: " + peer()}
                             : error{errc::receiver_down, "peer closed in the middle of a frame: " + peer()});
    else
      fail(error{errc::receiver_down, "read from " + peer() + " failed: " + ec.message()});
    return;
  }
  const char* p = chunk_.data();
  const char* end = p + n;
  const std::size_t limit = limits().max_frame_bytes;
  while (p != end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    const char* stop = nl ? nl : end;
    if (partial_.size() + static_cast<std::size_t>(stop - p) > limit + 1) { // +1: a "\r" before "\n"
      reject_oversized();
      return;
    }
    if (!nl) {
      partial_.append(p, end);
      break;
    }
    if (partial_.empty()) {
      if (!blank(p, nl)) {
        std::string frame(p, nl);
        if (!frame.empty() && frame.back() == '\r')
          frame.pop_back();
        if (frame.size() > limit) {
          reject_oversized();
          return;
        }
        deliver(std::move(frame));
      }
    } else {
      partial_.append(p, nl);
      if (!partial_.empty() && partial_.back() == '\r')
        partial_.pop_back();
      if (partial_.size() > limit) {
        reject_oversized();
        return;
      }
      if (!blank(partial_.data(), partial_.data() + partial_.size()))
        deliver(std::move(partial_));
      partial_.clear();
    }
    p = nl + 1;
  }
  if (n < chunk_.size())
    io_->run_woken_actors(); // nothing more waiting: answer before reading again
  read_done();
}

void tcp_connection::reject_oversized() {
  // Stop reading, tell the peer why, close after what is queued.
  partial_.clear();
  partial_.shrink_to_fit();
  std::string msg = R"({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"frame exceeds )" +
                    std::to_string(limits().max_frame_bytes) + R"( bytes; closing"}})";
  enqueue(std::move(msg));
  close_after_writes(error{errc::invalid_argument, "frame over " + std::to_string(limits().max_frame_bytes) +
                                                       " bytes from " + peer()});
}

void tcp_connection::start_write(std::vector<std::string>& frames) {
  writing_frames_.swap(frames); // frames gets the last batch's emptied vector
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(writing_frames_.size() * 2);
  std::size_t bytes = 0;
  static const char newline = '\n';
  for (auto& f : writing_frames_) {
    buffers.emplace_back(f.data(), f.size());
    buffers.emplace_back(&newline, 1);
    bytes += f.size();
  }
  auto self = std::static_pointer_cast<tcp_connection>(shared_from_this());
  asio::async_write(socket_, buffers,
                    asio::bind_executor(strand(), [self, bytes](const boost::system::error_code& ec, std::size_t) {
                      self->writing_frames_.clear();
                      self->on_written(bytes, ec);
                    }));
}

void tcp_connection::start_shutdown() {
  boost::system::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  on_shutdown_done();
}

void tcp_connection::close_socket() noexcept {
  boost::system::error_code ec;
  socket_.close(ec);
}

} // namespace tandem::session::native

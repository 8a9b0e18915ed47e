#include <tandem/session/browser_websocket.hpp>

#include <tandem/actors/actor_base.hpp>

#include <emscripten/websocket.h>

#include <cstdint>
#include <deque>
#include <unordered_map>
#include <utility>

namespace tandem::session {

namespace {

class browser_websocket final : public connection {
public:
  browser_websocket(std::string url, connection_limits limits, std::function<void()> on_open);
  ~browser_websocket() override;

  void start(actor session) override;
  error write(std::string frame) override;
  void close() override;
  std::string peer() const override { return url_; }

private:
  static browser_websocket* find(void* serial);
  void* token() const noexcept { return reinterpret_cast<void*>(serial_); }

  static EM_BOOL on_open(int, const EmscriptenWebSocketOpenEvent*, void* serial);
  static EM_BOOL on_message(int, const EmscriptenWebSocketMessageEvent* e, void* serial);
  static EM_BOOL on_error(int, const EmscriptenWebSocketErrorEvent*, void* serial);
  static EM_BOOL on_close(int, const EmscriptenWebSocketCloseEvent* e, void* serial);

  void deliver(std::string text);
  void finish(error reason);
  error send_now(const std::string& frame);

  std::string url_;
  connection_limits limits_;
  std::function<void()> on_open_;
  std::uintptr_t serial_;
  EMSCRIPTEN_WEBSOCKET_T socket_ = 0;
  actor session_;
  bool open_ = false;
  bool closing_ = false;
  bool closed_ = false;
  error error_seen_;
  std::deque<std::string> before_open_; // frames written while connecting
  std::size_t before_open_bytes_ = 0;
  std::deque<std::string> before_start_; // frames received before start()
  error closed_before_start_;
  bool closed_pending_ = false;
};

// Callbacks carry a serial number and find the connection here, so a
// callback that arrives after the session dropped its connection finds
// nothing (the JavaScript thread is the only one: no lock).
std::unordered_map<std::uintptr_t, browser_websocket*>& live() {
  static std::unordered_map<std::uintptr_t, browser_websocket*> connections;
  return connections;
}
std::uintptr_t next_serial = 1;

browser_websocket::browser_websocket(std::string url, connection_limits limits,
                                     std::function<void()> on_open)
    : url_(std::move(url)), limits_(limits), on_open_(std::move(on_open)), serial_(next_serial++) {
  live().emplace(serial_, this);
  EmscriptenWebSocketCreateAttributes attrs;
  emscripten_websocket_init_create_attributes(&attrs);
  attrs.url = url_.c_str();
  attrs.createOnMainThread = EM_TRUE;
  auto socket = emscripten_websocket_new(&attrs);
  if (socket <= 0) {
    // The browser refused the URL (or has no WebSocket): closed from the start.
    closed_pending_ = true;
    closed_before_start_ = error{errc::invalid_argument, "cannot open a WebSocket to " + url_};
    return;
  }
  socket_ = socket;
  emscripten_websocket_set_onopen_callback(socket_, token(), &browser_websocket::on_open);
  emscripten_websocket_set_onmessage_callback(socket_, token(), &browser_websocket::on_message);
  emscripten_websocket_set_onerror_callback(socket_, token(), &browser_websocket::on_error);
  emscripten_websocket_set_onclose_callback(socket_, token(), &browser_websocket::on_close);
}

browser_websocket::~browser_websocket() {
  live().erase(serial_);
  if (socket_ > 0) {
    if (!closed_)
      emscripten_websocket_close(socket_, 1000, "session ended");
    emscripten_websocket_delete(socket_);
  }
}

browser_websocket* browser_websocket::find(void* serial) {
  auto i = live().find(reinterpret_cast<std::uintptr_t>(serial));
  return i == live().end() ? nullptr : i->second;
}

void browser_websocket::start(actor session) {
  session_ = std::move(session);
  while (!before_start_.empty()) {
    tandem::send(session_, inbound_frame{std::move(before_start_.front())});
    before_start_.pop_front();
  }
  if (closed_pending_) {
    closed_pending_ = false;
    closed_ = true;
    tandem::send(session_, transport_closed{std::move(closed_before_start_)});
  }
}

error browser_websocket::send_now(const std::string& frame) {
  unsigned long long buffered = 0;
  emscripten_websocket_get_buffered_amount(socket_, &buffered);
  if (buffered + frame.size() > limits_.max_outbound_bytes)
    return error{errc::mailbox_full, "WebSocket send buffer full (" + std::to_string(buffered) +
                                       " bytes not yet sent)"};
  // The API takes a NUL-terminated string: a frame with an embedded NUL
  // would be cut short, so it is refused (JSON text never contains one).
  if (frame.find('\0') != std::string::npos)
    return error{errc::invalid_argument, "a text frame cannot contain NUL"};
  if (emscripten_websocket_send_utf8_text(socket_, frame.c_str()) != EMSCRIPTEN_RESULT_SUCCESS)
    return error{errc::receiver_down, "WebSocket send failed"};
  return {};
}

error browser_websocket::write(std::string frame) {
  if (closed_ || closing_ || closed_pending_)
    return error{errc::receiver_down, "the WebSocket is closed"};
  if (!open_) {
    if (before_open_bytes_ + frame.size() > limits_.max_outbound_bytes)
      return error{errc::mailbox_full, "too much queued while the WebSocket connects"};
    before_open_bytes_ += frame.size();
    before_open_.push_back(std::move(frame));
    return {};
  }
  return send_now(frame);
}

void browser_websocket::close() {
  if (closed_ || closing_)
    return;
  closing_ = true;
  if (socket_ > 0)
    emscripten_websocket_close(socket_, 1000, "closed by the session");
  // on_close follows and delivers transport_closed.
}

void browser_websocket::deliver(std::string text) {
  if (session_)
    tandem::send(session_, inbound_frame{std::move(text)});
  else
    before_start_.push_back(std::move(text));
}

void browser_websocket::finish(error reason) {
  if (closed_)
    return;
  closed_ = true;
  open_ = false;
  before_open_.clear();
  if (session_) {
    tandem::send(session_, transport_closed{std::move(reason)});
  } else {
    closed_pending_ = true;
    closed_before_start_ = std::move(reason);
  }
}

EM_BOOL browser_websocket::on_open(int, const EmscriptenWebSocketOpenEvent*, void* serial) {
  auto* self = find(serial);
  if (self == nullptr || self->closed_)
    return EM_TRUE;
  self->open_ = true;
  while (!self->before_open_.empty() && !self->closing_) {
    auto frame = std::move(self->before_open_.front());
    self->before_open_.pop_front();
    if (auto err = self->send_now(frame)) {
      // A frame that cannot go out now would reorder the stream: give up.
      self->close();
      break;
    }
  }
  self->before_open_.clear();
  self->before_open_bytes_ = 0;
  if (self->on_open_ && !self->closing_)
    self->on_open_();
  return EM_TRUE;
}

EM_BOOL browser_websocket::on_message(int, const EmscriptenWebSocketMessageEvent* e, void* serial) {
  auto* self = find(serial);
  if (self == nullptr || self->closed_)
    return EM_TRUE;
  std::size_t n = e->numBytes;
  // Text frames arrive with a terminating NUL counted in numBytes.
  if (e->isText && n > 0 && e->data[n - 1] == 0)
    --n;
  if (n > self->limits_.max_frame_bytes) {
    // No id can be known without parsing what is too big to parse: close.
    self->close();
    self->error_seen_ = error{errc::invalid_argument,
                              "frame of " + std::to_string(n) + " bytes over the limit of " +
                                std::to_string(self->limits_.max_frame_bytes)};
    return EM_TRUE;
  }
  self->deliver(std::string(reinterpret_cast<const char*>(e->data), n));
  return EM_TRUE;
}

EM_BOOL browser_websocket::on_error(int, const EmscriptenWebSocketErrorEvent*, void* serial) {
  // The browser tells nothing more (on purpose); a close event follows.
  if (auto* self = find(serial); self != nullptr && !self->error_seen_)
    self->error_seen_ = error{errc::receiver_down, "WebSocket error (" + self->url_ + ")"};
  return EM_TRUE;
}

EM_BOOL browser_websocket::on_close(int, const EmscriptenWebSocketCloseEvent* e, void* serial) {
  auto* self = find(serial);
  if (self == nullptr)
    return EM_TRUE;
  error reason;
  if (self->error_seen_) {
    reason = std::move(self->error_seen_);
  } else if (!(self->closing_ && e->code == 1000)) {
    std::string why = "WebSocket closed (code " + std::to_string(e->code);
    if (e->reason[0] != '\0')
      why += std::string{", "} + e->reason;
    reason = error{errc::receiver_down, why + ")"};
  }
  // A close we asked for, answered normally, is an empty reason.
  self->finish(std::move(reason));
  return EM_TRUE;
}

} // namespace

std::unique_ptr<connection> make_browser_websocket(std::string url, connection_limits limits,
                                                   std::function<void()> on_open) {
  return std::make_unique<browser_websocket>(std::move(url), limits, std::move(on_open));
}

} // namespace tandem::session

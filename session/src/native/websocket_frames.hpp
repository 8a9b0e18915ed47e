#pragma once

// RFC 6455 framing for the server's side of a WebSocket, after the handshake:
// a decoder for what a client sends (masked frames, fragmented messages,
// control frames between fragments) and the encoder of the server's own
// (unmasked) frames. The server's connection decodes every frame one read
// brought in one pass and writes a whole batch of frames with one write,
// which Beast's stream, reading and writing one message per composed
// operation, could not.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tandem::session::native {

namespace ws_opcode {
inline constexpr std::uint8_t continuation = 0x0;
inline constexpr std::uint8_t text = 0x1;
inline constexpr std::uint8_t binary = 0x2;
inline constexpr std::uint8_t close = 0x8;
inline constexpr std::uint8_t ping = 0x9;
inline constexpr std::uint8_t pong = 0xa;
} // namespace ws_opcode

namespace ws_close {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003;
inline constexpr std::uint16_t no_status = 1005; ///< never sent: a close frame without a code
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
} // namespace ws_close

/// True if `s` is well-formed UTF-8 (no overlong forms, no surrogates,
/// nothing above U+10FFFF).
bool valid_utf8(std::string_view s) noexcept;

/// Appends one unmasked, unfragmented server frame.
void append_server_frame(std::string& out, std::uint8_t opcode, std::string_view payload);

/// Appends a close frame with `code` and `reason` (cut to fit 125 bytes).
void append_close_frame(std::string& out, std::uint16_t code, std::string_view reason);

/// What the decoder found, in the order of the stream.
class ws_frame_handler {
public:
  virtual ~ws_frame_handler() = default;
  /// A complete text message (valid UTF-8, within the size limit). False
  /// pauses decoding after it (the reader's back-pressure): the rest waits
  /// for the next feed.
  virtual bool on_text(std::string message) = 0;
  virtual void on_ping(std::string_view payload) = 0;
  virtual void on_pong(std::string_view payload) = 0;
  /// The peer's close frame: ws_close::no_status when it carried no code.
  virtual void on_close(std::uint16_t code, std::string_view reason) = 0;
  /// The peer broke the protocol (or sent what this server does not take):
  /// answer with a close frame carrying `code`. Nothing is decoded after it.
  virtual void on_violation(std::uint16_t code, std::string what) = 0;
};

/// Decodes a client's frames. Feed it bytes as they arrive; it reports every
/// complete frame and keeps partial ones for the next feed. A message over
/// `max_message_bytes` is refused (1009) as soon as a frame header says so,
/// a binary message at its first frame (1003: JSON-RPC here is text).
class ws_frame_decoder {
public:
  explicit ws_frame_decoder(std::size_t max_message_bytes) : max_message_(max_message_bytes) {}

  /// Decodes what it can of `bytes` (appended after what an earlier call
  /// left), reporting to `h`. Stops for good after a close or a violation.
  void feed(std::string_view bytes, ws_frame_handler& h);

  /// True when on_text paused decoding with bytes left over: feed({}, h)
  /// goes on with them.
  bool paused() const noexcept { return paused_; }

  /// True once a close frame or a violation ended the stream.
  bool finished() const noexcept { return finished_; }
  /// True while a frame or a fragmented message is incomplete.
  bool mid_frame() const noexcept { return !pending_.empty() || in_message_; }

private:
  /// Decodes one frame from `data`; returns the bytes it used, 0 if the frame
  /// is incomplete.
  std::size_t decode_one(const unsigned char* data, std::size_t size, ws_frame_handler& h);
  void violation(ws_frame_handler& h, std::uint16_t code, std::string what);

  std::size_t max_message_;
  std::string pending_;  // an incomplete frame's bytes
  std::string message_;  // a fragmented text message so far
  bool in_message_ = false;
  bool finished_ = false;
  bool stop_ = false;   // on_text asked to pause
  bool paused_ = false; // ...and bytes were left
};

} // namespace tandem::session::native

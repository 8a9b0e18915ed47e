#include "native/websocket_frames.hpp"

#include <algorithm>
#include <cstring>

namespace tandem::session::native {

bool valid_utf8(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p != end) {
    // JSON is mostly ASCII: skip it eight bytes at a time.
    while (end - p >= 8) {
      std::uint64_t word;
      std::memcpy(&word, p, 8);
      if (word & 0x8080808080808080ull)
        break;
      p += 8;
    }
    if (p == end)
      break;
    unsigned c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    std::size_t n;
    unsigned lo = 0x80, hi = 0xbf; // the allowed range of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
      n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 3;
      if (c == 0xe0)
        lo = 0xa0; // overlong
      else if (c == 0xed)
        hi = 0x9f; // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 4;
      if (c == 0xf0)
        lo = 0x90; // overlong
      else if (c == 0xf4)
        hi = 0x8f; // above U+10FFFF
    } else {
      return false;
    }
    if (static_cast<std::size_t>(end - p) < n || p[1] < lo || p[1] > hi)
      return false;
    for (std::size_t i = 2; i < n; ++i)
      if ((p[i] & 0xc0) != 0x80)
        return false;
    p += n;
  }
  return true;
}

void append_server_frame(std::string& out, std::uint8_t opcode, std::string_view payload) {
  unsigned char head[10];
  std::size_t n = 0;
  head[n++] = static_cast<unsigned char>(0x80 | opcode);
  auto len = payload.size();
  if (len < 126) {
    head[n++] = static_cast<unsigned char>(len);
  } else if (len <= 0xffff) {
    head[n++] = 126;
    head[n++] = static_cast<unsigned char>(len >> 8);
    head[n++] = static_cast<unsigned char>(len);
  } else {
    head[n++] = 127;
    for (int shift = 56; shift >= 0; shift -= 8)
      head[n++] = static_cast<unsigned char>(static_cast<std::uint64_t>(len) >> shift);
  }
  out.append(reinterpret_cast<const char*>(head), n);
  out.append(payload);
}

void append_close_frame(std::string& out, std::uint16_t code, std::string_view reason) {
  // A control frame's payload is at most 125 bytes: the code and 123 of the
  // reason, cut at a character boundary so the peer's UTF-8 check passes.
  if (reason.size() > 123) {
    std::size_t cut = 123;
    while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xc0) == 0x80)
      --cut;
    reason = reason.substr(0, cut);
  }
  std::string payload;
  payload.reserve(2 + reason.size());
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xff));
  payload.append(reason);
  append_server_frame(out, ws_opcode::close, payload);
}

namespace {

/// Close codes a peer may send (RFC 6455 section 7.4).
bool valid_close_code(unsigned code) {
  if (code >= 3000 && code <= 4999)
    return true;
  switch (code) {
    case 1000: case 1001: case 1002: case 1003: case 1007: case 1008: case 1009: case 1010: case 1011:
    case 1012: case 1013: case 1014:
      return true;
    default:
      return false;
  }
}

void unmask(char* out, const unsigned char* in, std::size_t n, const unsigned char key[4]) {
  std::size_t i = 0;
  std::uint32_t key32;
  std::memcpy(&key32, key, 4);
  std::uint64_t key64 = (static_cast<std::uint64_t>(key32) << 32) | key32;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, in + i, 8);
    w ^= key64;
    std::memcpy(out + i, &w, 8);
  }
  for (; i < n; ++i)
    out[i] = static_cast<char>(in[i] ^ key[i % 4]);
}

} // namespace

void ws_frame_decoder::violation(ws_frame_handler& h, std::uint16_t code, std::string what) {
  finished_ = true;
  pending_.clear();
  message_.clear();
  h.on_violation(code, std::move(what));
}

void ws_frame_decoder::feed(std::string_view bytes, ws_frame_handler& h) {
  if (finished_)
    return;
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t size = bytes.size();
  if (!pending_.empty()) {
    pending_.append(bytes);
    data = reinterpret_cast<const unsigned char*>(pending_.data());
    size = pending_.size();
  }
  std::size_t used = 0;
  stop_ = false;
  while (!finished_ && !stop_ && used < size) {
    auto n = decode_one(data + used, size - used, h);
    if (n == 0)
      break;
    used += n;
  }
  paused_ = stop_ && used < size;
  stop_ = false;
  if (finished_) {
    paused_ = false;
    return;
  }
  if (!pending_.empty()) {
    pending_.erase(0, used);
  } else if (used < size) {
    pending_.assign(reinterpret_cast<const char*>(data + used), size - used);
  }
}

std::size_t ws_frame_decoder::decode_one(const unsigned char* data, std::size_t size, ws_frame_handler& h) {
  if (size < 2)
    return 0;
  bool fin = (data[0] & 0x80) != 0;
  std::uint8_t opcode = data[0] & 0x0f;
  if (data[0] & 0x70) {
    violation(h, ws_close::protocol_error, "reserved bits set (no extension was negotiated)");
    return 0;
  }
  if ((data[1] & 0x80) == 0) {
    violation(h, ws_close::protocol_error, "unmasked frame from a client");
    return 0;
  }
  std::uint64_t len = data[1] & 0x7f;
  std::size_t head = 2;
  if (len == 126) {
    if (size < 4)
      return 0;
    len = (static_cast<std::uint64_t>(data[2]) << 8) | data[3];
    head = 4;
    if (len < 126) {
      violation(h, ws_close::protocol_error, "length not in its shortest form");
      return 0;
    }
  } else if (len == 127) {
    if (size < 10)
      return 0;
    len = 0;
    for (int i = 2; i < 10; ++i)
      len = (len << 8) | data[i];
    head = 10;
    if (len >> 63) {
      violation(h, ws_close::protocol_error, "length with its top bit set");
      return 0;
    }
    if (len <= 0xffff) {
      violation(h, ws_close::protocol_error, "length not in its shortest form");
      return 0;
    }
  }
  bool control = (opcode & 0x8) != 0;
  if (control) {
    if (opcode != ws_opcode::close && opcode != ws_opcode::ping && opcode != ws_opcode::pong) {
      violation(h, ws_close::protocol_error, "unknown control opcode " + std::to_string(opcode));
      return 0;
    }
    if (!fin || len > 125) {
      violation(h, ws_close::protocol_error, "fragmented or oversized control frame");
      return 0;
    }
  } else if (opcode == ws_opcode::continuation) {
    if (!in_message_) {
      violation(h, ws_close::protocol_error, "continuation frame without a message to continue");
      return 0;
    }
  } else if (opcode == ws_opcode::text || opcode == ws_opcode::binary) {
    if (in_message_) {
      violation(h, ws_close::protocol_error, "new message before the last one's final fragment");
      return 0;
    }
    if (opcode == ws_opcode::binary) {
      violation(h, ws_close::unsupported_data, "binary frame (text frames only)");
      return 0;
    }
  } else {
    violation(h, ws_close::protocol_error, "unknown opcode " + std::to_string(opcode));
    return 0;
  }
  if (!control) {
    std::uint64_t so_far = in_message_ ? message_.size() : 0;
    if (len > max_message_ || so_far + len > max_message_) {
      violation(h, ws_close::too_big,
                "frame over " + std::to_string(max_message_) + " bytes");
      return 0;
    }
  }
  if (size - head < 4 + len)
    return 0;
  const unsigned char* key = data + head;
  const unsigned char* payload = key + 4;
  auto n = static_cast<std::size_t>(len);
  std::size_t total = head + 4 + n;

  if (control) {
    char buf[125];
    unmask(buf, payload, n, key);
    std::string_view p{buf, n};
    if (opcode == ws_opcode::ping) {
      h.on_ping(p);
    } else if (opcode == ws_opcode::pong) {
      h.on_pong(p);
    } else {
      if (n == 1) {
        violation(h, ws_close::protocol_error, "close frame with a one-byte payload");
        return 0;
      }
      std::uint16_t code = ws_close::no_status;
      if (n >= 2) {
        code = static_cast<std::uint16_t>((static_cast<unsigned char>(buf[0]) << 8) | static_cast<unsigned char>(buf[1]));
        if (!valid_close_code(code)) {
          violation(h, ws_close::protocol_error, "invalid close code " + std::to_string(code));
          return 0;
        }
        if (!valid_utf8(p.substr(2))) {
          violation(h, ws_close::invalid_payload, "close reason is not valid UTF-8");
          return 0;
        }
      }
      finished_ = true;
      pending_.clear();
      message_.clear();
      h.on_close(code, n >= 2 ? p.substr(2) : std::string_view{});
    }
    return total;
  }

  if (fin && !in_message_) {
    // The usual case: a whole message in one frame, unmasked into its string.
    std::string text(n, '\0');
    unmask(text.data(), payload, n, key);
    if (!valid_utf8(text)) {
      violation(h, ws_close::invalid_payload, "text message that is not valid UTF-8");
      return 0;
    }
    stop_ = !h.on_text(std::move(text));
    return total;
  }
  auto at = message_.size();
  message_.resize(at + n);
  unmask(message_.data() + at, payload, n, key);
  in_message_ = true;
  if (fin) {
    in_message_ = false;
    std::string text = std::move(message_);
    message_.clear();
    if (!valid_utf8(text)) {
      violation(h, ws_close::invalid_payload, "text message that is not valid UTF-8");
      return 0;
    }
    stop_ = !h.on_text(std::move(text));
  }
  return total;
}

} // namespace tandem::session::native

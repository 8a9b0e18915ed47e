#include <tandem/session/json_rpc_codec.hpp>

#include <cstdint>
#include <string>
#include <utility>

namespace tandem::session {

namespace {

bool valid_id(const json& id) {
  return id.is_string() || id.is_number() || id.is_null();
}

/// The deepest nesting of arrays and objects, stopping once above `limit`.
/// Brackets inside strings do not count. Cheap enough to run on every frame,
/// unlike a parse with a per-value callback.
std::size_t nesting_depth(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > deepest) {
          deepest = depth;
          if (deepest > limit)
            return deepest;
        }
        break;
      case ']':
      case '}':
        if (depth > 0)
          --depth;
        break;
      default:
        break;
    }
  }
  return deepest;
}

/// SAX handler that finds the top-level "id" of an object without building
/// the document, and stops as soon as it has it.
struct id_finder {
  std::size_t depth = 0;
  bool expect_id = false;
  std::optional<json> id;

  template <class T>
  bool take(T&& value) {
    if (depth == 1 && expect_id) {
      id = json(std::forward<T>(value));
      return false; // found: stop parsing
    }
    expect_id = false;
    return true;
  }
  bool null() { return take(nullptr); }
  bool boolean(bool) { expect_id = false; return true; }
  bool number_integer(json::number_integer_t v) { return take(v); }
  bool number_unsigned(json::number_unsigned_t v) { return take(v); }
  bool number_float(json::number_float_t v, const json::string_t&) { return take(v); }
  bool string(json::string_t& v) { return take(v); }
  bool binary(json::binary_t&) { expect_id = false; return true; }
  bool start_object(std::size_t) {
    expect_id = false;
    ++depth;
    return true;
  }
  bool key(json::string_t& k) {
    expect_id = depth == 1 && k == "id";
    return true;
  }
  bool end_object() {
    --depth;
    return true;
  }
  bool start_array(std::size_t) {
    if (depth == 0)
      return false; // a batch: no single id to answer
    expect_id = false;
    ++depth;
    return true;
  }
  bool end_array() {
    --depth;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }
};

rpc_message invalid(json id, std::string what) {
  return rpc_invalid{std::move(id), rpc_error{rpc_code::invalid_request, "Invalid Request: " + what}};
}

/// One element of a frame: a request, a notification, a response, or what to
/// answer instead.
std::optional<rpc_message> classify(json& item) {
  if (!item.is_object())
    return invalid(nullptr, "not an object");
  auto id_it = item.find("id");
  bool has_id = id_it != item.end();
  json id = has_id && valid_id(*id_it) ? *id_it : json(nullptr);
  auto version = item.find("jsonrpc");
  bool v2 = version != item.end() && version->is_string() && version->get_ref<const std::string&>() == "2.0";

  auto method = item.find("method");
  if (method != item.end()) {
    if (!v2)
      return invalid(std::move(id), "\"jsonrpc\" must be \"2.0\"");
    if (has_id && !valid_id(*id_it))
      return invalid(nullptr, "\"id\" must be a string, a number or null");
    if (!method->is_string())
      return invalid(std::move(id), "\"method\" must be a string");
    json params;
    if (auto p = item.find("params"); p != item.end()) {
      if (!p->is_array() && !p->is_object())
        return invalid(std::move(id), "\"params\" must be an array or an object");
      params = std::move(*p);
    }
    rpc_request req;
    if (has_id)
      req.id = std::move(id);
    req.method = std::move(method->get_ref<std::string&>());
    req.params = std::move(params);
    return rpc_message{std::move(req)};
  }

  auto result = item.find("result");
  auto err = item.find("error");
  if (result == item.end() && err == item.end())
    return invalid(std::move(id), "neither \"method\" nor \"result\" nor \"error\"");
  // A response. Nothing is ever sent back for one; a malformed one with a
  // usable id still completes its call (with an error) instead of leaving it
  // to time out.
  if (!has_id || !valid_id(*id_it) || id.is_null())
    return std::nullopt;
  auto malformed = [&](const std::string& what) {
    return rpc_message{rpc_response{std::move(id), nullptr,
                                    rpc_error{rpc_code::internal_error, "malformed response: " + what}}};
  };
  if (!v2)
    return malformed("\"jsonrpc\" must be \"2.0\"");
  if (result != item.end() && err != item.end())
    return malformed("both \"result\" and \"error\"");
  if (result != item.end())
    return rpc_message{rpc_response{std::move(id), std::move(*result), std::nullopt}};
  if (!err->is_object())
    return malformed("\"error\" must be an object");
  auto code = err->find("code");
  auto message = err->find("message");
  if (code == err->end() || !code->is_number_integer())
    return malformed("\"error.code\" must be an integer");
  if (message == err->end() || !message->is_string())
    return malformed("\"error.message\" must be a string");
  std::optional<json> data;
  if (auto d = err->find("data"); d != err->end())
    data = std::move(*d);
  auto code_value = code->get<std::int64_t>();
  if (code_value < INT32_MIN || code_value > INT32_MAX)
    return malformed("\"error.code\" out of range");
  return rpc_message{rpc_response{
    std::move(id), nullptr,
    rpc_error{static_cast<int>(code_value), std::move(message->get_ref<std::string&>()), std::move(data)}}};
}

rpc_message parse_error(std::string what) {
  return rpc_invalid{nullptr, rpc_error{rpc_code::parse_error, "Parse error" + what}};
}

json error_object(const rpc_error& e) {
  json out = {{"code", e.code()}, {"message", e.message()}};
  if (e.data())
    out["data"] = *e.data();
  return out;
}

json to_json_value(const rpc_message& msg) {
  return std::visit(
    [](const auto& m) -> json {
      using T = std::decay_t<decltype(m)>;
      json out = {{"jsonrpc", "2.0"}};
      if constexpr (std::is_same_v<T, rpc_request>) {
        out["method"] = m.method;
        if (!m.params.is_null())
          out["params"] = m.params;
        if (m.id)
          out["id"] = *m.id;
      } else if constexpr (std::is_same_v<T, rpc_response>) {
        if (m.error)
          out["error"] = error_object(*m.error);
        else
          out["result"] = m.result;
        out["id"] = m.id;
      } else {
        out["error"] = error_object(m.error);
        out["id"] = m.id;
      }
      return out;
    },
    msg);
}

} // namespace

decoded_frame json_rpc_codec::decode(std::string_view frame, std::size_t max_frame_bytes) const {
  decoded_frame out;
  if (frame.size() > max_frame_bytes) {
    auto what = "frame of " + std::to_string(frame.size()) + " bytes exceeds the limit of "
                + std::to_string(max_frame_bytes);
    id_finder finder;
    json::sax_parse(frame, &finder, json::input_format_t::json, false);
    if (finder.id && valid_id(*finder.id)) {
      out.messages.push_back(invalid(std::move(*finder.id), what));
    } else {
      out.close = true;
      out.close_reason = what;
    }
    return out;
  }
  if (nesting_depth(frame, opts_.max_depth) > opts_.max_depth) {
    if (!json::accept(frame))
      out.messages.push_back(parse_error(""));
    else
      out.messages.push_back(invalid(nullptr, "nested deeper than " + std::to_string(opts_.max_depth)
                                                + " levels"));
    return out;
  }
  json doc = json::parse(frame, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    out.messages.push_back(parse_error(""));
    return out;
  }
  if (doc.is_array()) {
    if (doc.empty()) {
      out.messages.push_back(invalid(nullptr, "empty batch"));
      return out;
    }
    if (doc.size() > opts_.max_batch) {
      out.messages.push_back(invalid(nullptr, "batch of " + std::to_string(doc.size())
                                                + " messages exceeds the limit of "
                                                + std::to_string(opts_.max_batch)));
      return out;
    }
    out.batch = true;
    out.messages.reserve(doc.size());
    for (auto& item : doc)
      if (auto m = classify(item))
        out.messages.push_back(std::move(*m));
    return out;
  }
  if (auto m = classify(doc))
    out.messages.push_back(std::move(*m));
  return out;
}

expected<std::string> json_rpc_codec::encode(const rpc_message& msg) const {
  try {
    return to_json_value(msg).dump(-1, ' ', false, json::error_handler_t::strict);
  } catch (const json::type_error&) {
    return error{rpc_code::internal_error, "Internal error: a string in the message is not valid UTF-8"};
  } catch (const std::exception& e) {
    return error{rpc_code::internal_error, std::string{"Internal error: cannot encode: "} + e.what()};
  }
}

std::string json_rpc_codec::encode_batch(const std::vector<std::string>& encoded) const {
  std::size_t size = 2;
  for (const auto& e : encoded)
    size += e.size() + 1;
  std::string out;
  out.reserve(size);
  out += '[';
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (i > 0)
      out += ',';
    out += encoded[i];
  }
  out += ']';
  return out;
}

} // namespace tandem::session

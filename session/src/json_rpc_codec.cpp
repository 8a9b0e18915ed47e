#include <tandem/session/json_rpc_codec.hpp>

#include "rapidjson_sax_parse.hpp"

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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

/// The common frame — one request, notification or successful response, a
/// top-level object with the members it needs and nothing odd — read by SAX
/// straight into its message: the top level never becomes a json object (a
/// std::map with a node and a key string per member); only params and
/// result are built as values. Anything else (a batch, an unknown or
/// repeated member, a wrong type, an error response, invalid JSON) makes it
/// give up, and the frame takes the general path, which decides exactly as
/// before. An nlohmann SAX interface, so that both nlohmann's parser and the
/// fast reader (rapidjson_sax_parse) can drive it.
class common_frame_reader final : public nlohmann::json_sax<json> {
public:
  bool null() override { return scalar(nullptr); }
  bool boolean(bool v) override { return scalar(v); }
  bool number_integer(json::number_integer_t v) override { return scalar(v); }
  bool number_unsigned(json::number_unsigned_t v) override { return scalar(v); }
  bool number_float(json::number_float_t v, const json::string_t& s) override {
    if (nested_)
      return nested_->number_float(v, s);
    return scalar(v);
  }
  bool string(json::string_t& v) override {
    if (nested_)
      return nested_->string(v);
    if (depth_ != 1)
      return give_up();
    switch (current_) {
      case member::jsonrpc:
        v2_ = std::string_view{v} == "2.0";
        return v2_ || give_up();
      case member::method:
        method_ = std::move(v);
        return true;
      case member::id:
        id_ = json(std::move(v));
        return true;
      case member::result:
        result_ = json(std::move(v));
        return true;
      default:
        return give_up();
    }
  }
  bool binary(json::binary_t&) override { return give_up(); }
  bool start_object(std::size_t n) override {
    if (depth_ == 0) {
      depth_ = 1;
      return true;
    }
    return open_nested(n, true);
  }
  bool start_array(std::size_t n) override {
    if (depth_ == 0)
      return give_up(); // a batch
    return open_nested(n, false);
  }
  bool end_object() override {
    if (nested_)
      return close_nested(true);
    depth_ = 0;
    return true;
  }
  bool end_array() override { return nested_ ? close_nested(false) : give_up(); }
  bool key(json::string_t& key) override {
    if (nested_)
      return nested_->key(key);
    std::string_view k{key};
    member m = k == "jsonrpc" ? member::jsonrpc
               : k == "method" ? member::method
               : k == "params" ? member::params
               : k == "id"     ? member::id
               : k == "result" ? member::result
                               : member::none;
    auto bit = 1u << static_cast<unsigned>(m);
    if (m == member::none || (seen_ & bit) != 0)
      return give_up();
    seen_ |= bit;
    current_ = m;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return give_up();
  }

  /// The message, if the whole frame was a common one.
  std::optional<rpc_message> take() {
    if (!ok_ || !v2_ || depth_ != 0)
      return std::nullopt;
    if (has(member::method) && !has(member::result)) {
      rpc_request req;
      if (has(member::id))
        req.id = std::move(id_);
      req.method = std::move(method_);
      req.params = std::move(params_);
      return rpc_message{std::move(req)};
    }
    if (has(member::result) && !has(member::method) && !has(member::params) && has(member::id) && !id_.is_null())
      return rpc_message{rpc_response{std::move(id_), std::move(result_), std::nullopt}};
    return std::nullopt;
  }

private:
  enum class member : unsigned { none, jsonrpc, method, params, id, result };

  bool has(member m) const noexcept { return (seen_ & (1u << static_cast<unsigned>(m))) != 0; }
  bool give_up() {
    ok_ = false;
    return false;
  }

  template <class T>
  bool scalar(T&& v) {
    if (nested_)
      return nested_value(std::forward<T>(v));
    if (depth_ != 1)
      return give_up();
    switch (current_) {
      case member::id:
        if constexpr (std::is_same_v<std::decay_t<T>, bool>)
          return give_up(); // not a valid id
        else
          id_ = json(std::forward<T>(v));
        return true;
      case member::result:
        result_ = json(std::forward<T>(v));
        return true;
      default:
        return give_up(); // e.g. params or method of the wrong type
    }
  }

  template <class T>
  bool nested_value(T&& v) {
    if constexpr (std::is_same_v<std::decay_t<T>, std::nullptr_t>)
      return nested_->null();
    else if constexpr (std::is_same_v<std::decay_t<T>, bool>)
      return nested_->boolean(v);
    else if constexpr (std::is_same_v<std::decay_t<T>, json::number_integer_t>)
      return nested_->number_integer(v);
    else
      return nested_->number_unsigned(v);
  }

  bool open_nested(std::size_t n, bool object) {
    if (!nested_) {
      json* target = current_ == member::params ? &params_ : current_ == member::result ? &result_ : nullptr;
      if (target == nullptr || depth_ != 1)
        return give_up();
      nested_.emplace(*target, false);
    }
    ++nested_depth_;
    return object ? nested_->start_object(n) : nested_->start_array(n);
  }

  bool close_nested(bool object) {
    bool ok = object ? nested_->end_object() : nested_->end_array();
    if (--nested_depth_ == 0)
      nested_.reset();
    return ok;
  }

  bool ok_ = true;
  bool v2_ = false;
  int depth_ = 0;
  unsigned seen_ = 0;
  member current_ = member::none;
  std::string method_;
  json id_, params_, result_;
  std::optional<nlohmann::detail::json_sax_dom_parser<json>> nested_;
  int nested_depth_ = 0;
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

/// Writes JSON into one string: the common messages (a request, a
/// notification, a successful response) are assembled around their dumped
/// parts instead of being built as a json object (a std::map: one node and
/// one key string per member) and dumped. The bytes are the same either way:
/// members in nlohmann's (sorted) key order, no spaces, strict UTF-8.
/// Scalars that need no escaping (the usual ids and small results) are
/// written here; nlohmann's serializer, whose construction costs an
/// allocation and a localeconv() call, is made only for the rest.
class frame_writer {
public:
  explicit frame_writer(std::string& out) : out_(out) {}

  void raw(std::string_view s) { out_.append(s); }

  void value(const json& j) {
    switch (j.type()) {
      case json::value_t::null:
        out_.append("null");
        return;
      case json::value_t::boolean:
        out_.append(j.get<bool>() ? "true" : "false");
        return;
      case json::value_t::number_integer:
        integer(j.get<json::number_integer_t>());
        return;
      case json::value_t::number_unsigned:
        integer(j.get<json::number_unsigned_t>());
        return;
      case json::value_t::string:
        if (string(j.get_ref<const std::string&>()))
          return;
        break;
      default:
        break;
    }
    serializer().dump(j, false, false, 0);
  }

  void string_value(const std::string& s) {
    if (!string(s))
      serializer().dump(json(s), false, false, 0);
  }

private:
  template <class Int>
  void integer(Int v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
  }

  /// Writes `s` if it is printable ASCII without quotes or backslashes
  /// (written as is by nlohmann too); false, writing nothing, otherwise.
  bool string(const std::string& s) {
    for (char c : s) {
      auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u > 0x7e || u == '"' || u == '\\')
        return false;
    }
    out_ += '"';
    out_.append(s);
    out_ += '"';
    return true;
  }

  nlohmann::detail::serializer<json>& serializer() {
    if (!json_)
      json_.emplace(nlohmann::detail::output_adapter<char, std::string>(out_), ' ',
                    json::error_handler_t::strict);
    return *json_;
  }

  std::string& out_;
  std::optional<nlohmann::detail::serializer<json>> json_;
};

/// The common messages written directly; false for the others.
bool write_common(const rpc_message& msg, std::string& out) {
  if (const auto* r = std::get_if<rpc_response>(&msg)) {
    if (r->error)
      return false;
    out.reserve(64); // one allocation for a typical answer
    frame_writer w{out};
    w.raw(R"({"id":)");
    w.value(r->id);
    w.raw(R"(,"jsonrpc":"2.0","result":)");
    w.value(r->result);
    w.raw("}");
    return true;
  }
  if (const auto* q = std::get_if<rpc_request>(&msg)) {
    out.reserve(64);
    frame_writer w{out};
    if (q->id) {
      w.raw(R"({"id":)");
      w.value(*q->id);
      w.raw(R"(,"jsonrpc":"2.0","method":)");
    } else {
      w.raw(R"({"jsonrpc":"2.0","method":)");
    }
    w.string_value(q->method);
    if (!q->params.is_null()) {
      w.raw(R"(,"params":)");
      w.value(q->params);
    }
    w.raw("}");
    return true;
  }
  return false;
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
  // The fast path: the common frame read by RapidJSON (about half the
  // instructions of nlohmann's lexer). It gives up on anything where its
  // result could differ from nlohmann's, and on anything that is not a
  // common frame; the general path below then decides exactly as before.
  {
    common_frame_reader reader;
    if (rapidjson_sax_parse(frame, reader, opts_.max_depth)) {
      if (auto m = reader.take()) {
        out.messages.push_back(std::move(*m));
        return out;
      }
    }
  }
  if (nesting_depth(frame, opts_.max_depth) > opts_.max_depth) {
    if (!json::accept(frame))
      out.messages.push_back(parse_error(""));
    else
      out.messages.push_back(invalid(nullptr, "nested deeper than " + std::to_string(opts_.max_depth)
                                                + " levels"));
    return out;
  }
  {
    common_frame_reader reader;
    if (json::sax_parse(frame, &reader, json::input_format_t::json, /*strict=*/true)) {
      if (auto m = reader.take()) {
        out.messages.push_back(std::move(*m));
        return out;
      }
    }
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
    std::string out;
    if (write_common(msg, out))
      return out;
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

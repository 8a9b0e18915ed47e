#include "native/static_files.hpp"

#include <algorithm>
#include <cctype>
#include <system_error>
#include <vector>

namespace tandem::session::native {

namespace fs = std::filesystem;

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size())
      return std::nullopt;
    int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

bool inside(const fs::path& root, const fs::path& p) {
  auto r = root.begin(), re = root.end();
  auto q = p.begin(), qe = p.end();
  for (; r != re; ++r, ++q) {
    if (r->empty()) // a trailing separator in the root
      continue;
    if (q == qe || *q != *r)
      return false;
  }
  return true;
}

} // namespace

std::optional<fs::path> resolve_static_path(const fs::path& root, std::string_view target) {
  target = target.substr(0, std::min(target.find('?'), target.find('#')));
  if (target.empty() || target.front() != '/')
    return std::nullopt;
  auto decoded = percent_decode(target);
  if (!decoded)
    return std::nullopt;
  const std::string& path = *decoded;
  if (path.find('\0') != std::string::npos || path.find('\\') != std::string::npos)
    return std::nullopt;

  std::vector<std::string> segments;
  std::size_t pos = 1;
  while (pos <= path.size()) {
    std::size_t next = std::min(path.find('/', pos), path.size());
    std::string seg = path.substr(pos, next - pos);
    if (seg == "..")
      return std::nullopt;
    if (!seg.empty() && seg != ".")
      segments.push_back(std::move(seg));
    pos = next + 1;
  }

  std::error_code ec;
  fs::path base = fs::canonical(root, ec);
  if (ec)
    return std::nullopt;
  fs::path candidate = base;
  for (auto& s : segments)
    candidate /= s;
  if (fs::is_directory(candidate, ec))
    candidate /= "index.html";
  fs::path real = fs::canonical(candidate, ec); // follows symlinks: they must stay inside too
  if (ec || !inside(base, real) || !fs::is_regular_file(real, ec))
    return std::nullopt;
  return real;
}

std::string_view content_type_for(const fs::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".html" || ext == ".htm")
    return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs")
    return "text/javascript; charset=utf-8";
  if (ext == ".wasm")
    return "application/wasm";
  if (ext == ".css")
    return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map")
    return "application/json";
  if (ext == ".png")
    return "image/png";
  if (ext == ".svg")
    return "image/svg+xml";
  if (ext == ".ico")
    return "image/x-icon";
  if (ext == ".txt")
    return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

} // namespace tandem::session::native

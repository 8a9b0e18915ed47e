#pragma once

// Static files for the browser page, served next to the WebSocket endpoint.
// Only GET and HEAD; a target resolves inside the root or not at all.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace tandem::session::native {

/// The regular file under `root` named by an HTTP request target ("/a/b.js?x"),
/// or nothing when the target is malformed, climbs out of the root ("..", an
/// encoded "%2e%2e", a backslash, a NUL, a symlink pointing outside) or names
/// no regular file. "/" and directories resolve to their index.html.
std::optional<std::filesystem::path> resolve_static_path(const std::filesystem::path& root,
                                                         std::string_view target);

/// The Content-Type for a file name's extension (application/octet-stream
/// when unknown).
std::string_view content_type_for(const std::filesystem::path& file);

} // namespace tandem::session::native

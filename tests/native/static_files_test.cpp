// Static HTTP files next to the WebSocket endpoint: path handling that
// never leaves the root, content types, and the HTTP answers.

#include "../test_support.hpp"
#include "raw_clients.hpp"
#include "native/static_files.hpp"

#include <tandem/session/network_server.hpp>

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <random>

namespace fs = std::filesystem;
namespace http = boost::beast::http;
namespace ts = tandem::session;
using tandem::session::native::content_type_for;
using tandem::session::native::resolve_static_path;

namespace {

void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream{p, std::ios::binary} << text;
}

/// A web root with a few files, and a secret next to (outside) it.
struct web_root {
  web_root() {
    std::random_device rd;
    base = fs::temp_directory_path() / ("tandem-static-" + std::to_string(rd()));
    root = base / "www";
    write_file(root / "index.html", "<h1>index</h1>");
    write_file(root / "app.js", "console.log(1)");
    write_file(root / "mod.mjs", "export {}");
    write_file(root / "app.wasm", std::string("\0asm\1\0\0\0", 8));
    write_file(root / "style.css", "body{}");
    write_file(root / "data.json", "{}");
    write_file(root / "logo.png", "\x89PNG");
    write_file(root / "sub" / "index.html", "<h1>sub</h1>");
    write_file(root / "sub" / "page.html", "<h1>page</h1>");
    write_file(base / "secret.txt", "secret");
    fs::create_symlink(base / "secret.txt", root / "leak.txt");
  }
  ~web_root() {
    std::error_code ec;
    fs::remove_all(base, ec);
  }
  fs::path base, root;
};

} // namespace

BOOST_AUTO_TEST_SUITE(static_files)

BOOST_AUTO_TEST_CASE(targets_resolve_inside_the_root_only) {
  web_root w;
  auto real = fs::canonical(w.root);
  BOOST_CHECK_EQUAL(resolve_static_path(w.root, "/app.js").value_or(""), real / "app.js");
  BOOST_CHECK_EQUAL(resolve_static_path(w.root, "/").value_or(""), real / "index.html");
  BOOST_CHECK_EQUAL(resolve_static_path(w.root, "/sub/").value_or(""), real / "sub" / "index.html");
  BOOST_CHECK_EQUAL(resolve_static_path(w.root, "/sub").value_or(""), real / "sub" / "index.html");
  BOOST_CHECK_EQUAL(resolve_static_path(w.root, "/sub/page.html?v=3#top").value_or(""), real / "sub" / "page.html");
  BOOST_CHECK_EQUAL(resolve_static_path(w.root, "/./sub//page.html").value_or(""), real / "sub" / "page.html");
  BOOST_CHECK_EQUAL(resolve_static_path(w.root, "/%61pp.js").value_or(""), real / "app.js");
  for (const char* bad : {"/../secret.txt", "/sub/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt",
                          "/..%5csecret.txt", "/sub\\..\\..\\secret.txt", "/app.js%00.html", "/leak.txt",
                          "/missing.html", "app.js", "", "/%zz", "/%2", "http://x/app.js"}) {
    BOOST_TEST_CONTEXT(bad) { BOOST_TEST(!resolve_static_path(w.root, bad).has_value()); }
  }
}

BOOST_AUTO_TEST_CASE(content_types_by_extension) {
  BOOST_CHECK_EQUAL(content_type_for("a.html"), "text/html; charset=utf-8");
  BOOST_CHECK_EQUAL(content_type_for("a.js"), "text/javascript; charset=utf-8");
  BOOST_CHECK_EQUAL(content_type_for("a.mjs"), "text/javascript; charset=utf-8");
  BOOST_CHECK_EQUAL(content_type_for("a.wasm"), "application/wasm");
  BOOST_CHECK_EQUAL(content_type_for("a.css"), "text/css; charset=utf-8");
  BOOST_CHECK_EQUAL(content_type_for("a.json"), "application/json");
  BOOST_CHECK_EQUAL(content_type_for("A.PNG"), "image/png");
  BOOST_CHECK_EQUAL(content_type_for("a.bin"), "application/octet-stream");
}

BOOST_AUTO_TEST_CASE(served_over_http_on_the_websocket_port) {
  web_root w;
  ts::server_options o;
  o.static_dir = w.root.string();
  o.tcp_port.reset();
  auto server = ts::network_server::start(o, [](std::unique_ptr<ts::connection> c) { c->close(); });
  BOOST_REQUIRE(server.has_value());
  auto port = (*server)->websocket_port();

  auto res = tandem_test::http_request(port, http::verb::get, "/");
  BOOST_REQUIRE(res);
  BOOST_CHECK_EQUAL(res->result_int(), 200);
  BOOST_CHECK_EQUAL(res->body(), "<h1>index</h1>");
  BOOST_CHECK_EQUAL((*res)[http::field::content_type], "text/html; charset=utf-8");

  res = tandem_test::http_request(port, http::verb::get, "/app.wasm");
  BOOST_REQUIRE(res);
  BOOST_CHECK_EQUAL(res->result_int(), 200);
  BOOST_CHECK_EQUAL((*res)[http::field::content_type], "application/wasm");
  BOOST_CHECK_EQUAL(res->body().size(), 8u);

  res = tandem_test::http_request(port, http::verb::head, "/mod.mjs");
  BOOST_REQUIRE(res);
  BOOST_CHECK_EQUAL(res->result_int(), 200);
  BOOST_CHECK_EQUAL((*res)[http::field::content_length], "9");

  for (const char* t : {"/missing", "/../secret.txt", "/%2e%2e/secret.txt", "/leak.txt"}) {
    res = tandem_test::http_request(port, http::verb::get, t);
    BOOST_REQUIRE(res);
    BOOST_CHECK_EQUAL(res->result_int(), 404);
    BOOST_TEST(res->body().find("secret") == std::string::npos);
  }
  res = tandem_test::http_request(port, http::verb::post, "/app.js");
  BOOST_REQUIRE(res);
  BOOST_CHECK_EQUAL(res->result_int(), 405);
  res = tandem_test::http_request(port, http::verb::get, "/rpc");
  BOOST_REQUIRE(res);
  BOOST_CHECK_EQUAL(res->result_int(), 426);
}

BOOST_AUTO_TEST_CASE(no_static_dir_means_404) {
  auto server = ts::network_server::start({}, [](std::unique_ptr<ts::connection> c) { c->close(); });
  BOOST_REQUIRE(server.has_value());
  auto res = tandem_test::http_request((*server)->websocket_port(), http::verb::get, "/index.html");
  BOOST_REQUIRE(res);
  BOOST_CHECK_EQUAL(res->result_int(), 404);
}

BOOST_AUTO_TEST_SUITE_END()

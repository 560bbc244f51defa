#include "gateway/static_ui.h"

#include <boost/asio/awaitable.hpp>
#include <string>
#include <system_error>
#include <utility>

namespace bedrock::gateway {
namespace {

// Model answers are rendered as HTML (sanitised by DOMPurify); the policy is the second wall:
// no script but the page's own, no connections but to the gateway, images only from the page or
// data: URIs (tool results and attachments).
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

http::Handler WithPageHeaders(http::Handler inner) {
  return [inner = std::move(inner)](
             http::RequestContext& ctx) -> boost::asio::awaitable<http::Response> {
    http::Response response = co_await inner(ctx);
    response.headers.Set("X-Content-Type-Options", "nosniff");
    if (response.status == 200 || response.status == 304) {
      response.headers.Set("Content-Security-Policy", kContentSecurityPolicy);
      response.headers.Set("Referrer-Policy", "no-referrer");
    }
    co_return response;
  };
}

}  // namespace

core::Status AddWebUi(http::Router& router, const std::filesystem::path& dir) {
  std::error_code ec;
  if (dir.empty() || !dir.is_absolute() ||
      !std::filesystem::is_regular_file(dir / "index.html", ec)) {
    std::string where = dir.empty() ? std::string("(unknown directory)") : dir.string();
    auto missing = [where](http::RequestContext&) -> boost::asio::awaitable<http::Response> {
      co_return http::Response::FromError(core::Error::NotFound(
          "the web UI is not built (no index.html in {}): build the project with node_modules "
          "installed (scripts/install-deps), or point the gateway at a built ui directory",
          where));
    };
    router.Get("/", missing);
    return core::Error::NotFound("no built web UI in {}", where);
  }
  http::StaticFilesOptions page;
  page.cache_control = "no-cache";
  http::Handler index = WithPageHeaders(http::StaticFiles(dir, page));
  router.Get("/", index);
  router.Get("/index.html", index);

  http::StaticFilesOptions assets;
  assets.cache_control = "public, max-age=31536000, immutable";
  assets.path_param = "path";
  router.Get("/assets/{path...}", WithPageHeaders(http::StaticFiles(dir / "assets", assets)));
  return core::OkStatus();
}

std::filesystem::path DefaultWebUiDir() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec || exe.empty()) return {};
  return (exe.parent_path().parent_path() / "ui").lexically_normal();
}

}  // namespace bedrock::gateway

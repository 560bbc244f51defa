#include "http/router.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <system_error>

namespace bedrock::http {
namespace {

// Splits "/a/b/c" into its segments without allocating; `path` must start with '/'.
template <typename F>
bool ForEachSegment(std::string_view path, F&& f) {
  if (path.empty() || path[0] != '/') return false;
  size_t start = 1;
  while (true) {
    size_t end = path.find('/', start);
    if (!f(path.substr(start, end == std::string_view::npos ? end : end - start), start)) {
      return false;
    }
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

bool ValidParamName(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool HasMethod(const std::string& allow, std::string_view method) {
  std::string_view rest = allow;
  while (!rest.empty()) {
    size_t comma = rest.find(", ");
    if (rest.substr(0, comma) == method) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 2);
  }
  return false;
}

void AppendMethod(std::string& allow, std::string_view method) {
  if (HasMethod(allow, method)) return;
  if (!allow.empty()) allow += ", ";
  allow += method;
}

}  // namespace

Router& Router::Add(std::string_view method, std::string_view pattern, Handler handler) {
  Route route{std::string(method), std::string(pattern), {}, std::move(handler)};
  std::string problem;
  if (method.empty()) problem = "empty method";
  if (!route.handler) problem = "no handler";
  bool ok = ForEachSegment(pattern, [&](std::string_view segment, size_t offset) {
    if (!route.segments.empty() && route.segments.back().kind == Segment::kRest) {
      problem = "a {name...} parameter must be the last segment";
      return false;
    }
    if (segment.size() >= 2 && segment.front() == '{' && segment.back() == '}') {
      std::string_view name = segment.substr(1, segment.size() - 2);
      Segment::Kind kind = Segment::kParam;
      if (name.size() > 3 && name.substr(name.size() - 3) == "...") {
        name.remove_suffix(3);
        kind = Segment::kRest;
      }
      if (!ValidParamName(name)) {
        problem = fmt::format("bad parameter name at offset {}", offset);
        return false;
      }
      route.segments.push_back({kind, std::string(name)});
      return true;
    }
    if (segment.find_first_of("{}") != std::string_view::npos) {
      problem = fmt::format("'{{' or '}}' inside a literal segment at offset {}", offset);
      return false;
    }
    route.segments.push_back({Segment::kLiteral, std::string(segment)});
    return true;
  });
  if (!ok && problem.empty()) problem = "a pattern must start with '/'";
  if (!problem.empty()) {
    if (status_.ok()) {
      status_ = core::Error::InvalidArgument("route {} {}: {}", method, pattern, problem);
    }
    return *this;
  }
  routes_.push_back(std::move(route));
  return *this;
}

Router& Router::Fallback(Handler handler) {
  fallback_ = std::move(handler);
  return *this;
}

bool Router::Match(const Route& route, std::string_view path,
                   std::vector<std::pair<std::string, std::string>>* params) {
  size_t index = 0;
  bool rest_taken = false;
  bool ok = ForEachSegment(path, [&](std::string_view segment, size_t offset) {
    if (index >= route.segments.size()) return false;
    const Segment& pattern = route.segments[index];
    switch (pattern.kind) {
      case Segment::kLiteral:
        ++index;
        return segment == pattern.text;
      case Segment::kParam: {
        ++index;
        if (segment.empty()) return false;
        if (params != nullptr) {
          auto decoded = PercentDecode(segment);
          if (!decoded) return false;
          params->emplace_back(pattern.text, std::move(*decoded));
        }
        return true;
      }
      case Segment::kRest: {
        if (params != nullptr) {
          auto decoded = PercentDecode(path.substr(offset));
          if (!decoded) return false;
          params->emplace_back(pattern.text, std::move(*decoded));
        }
        rest_taken = true;
        ++index;
        return false;  // stop: the rest of the path is taken
      }
    }
    return false;
  });
  if (rest_taken) return true;
  if (!ok) return false;
  if (index == route.segments.size()) return true;
  // "/files/" style paths with an empty rest: "/files/{path...}" matches "/files".
  return index + 1 == route.segments.size() && route.segments[index].kind == Segment::kRest &&
         (params == nullptr || (params->emplace_back(route.segments[index].text, ""), true));
}

bool Router::MoreSpecific(const Route& a, const Route& b) {
  size_t n = std::min(a.segments.size(), b.segments.size());
  for (size_t i = 0; i < n; ++i) {
    if (a.segments[i].kind != b.segments[i].kind) return a.segments[i].kind < b.segments[i].kind;
  }
  return a.segments.size() > b.segments.size();
}

const Handler* Router::Find(std::string_view method, std::string_view path,
                            std::vector<std::pair<std::string, std::string>>& params,
                            std::string& allow) const {
  const Route* best = nullptr;
  const Route* best_get = nullptr;  // for HEAD without a HEAD route
  allow.clear();
  for (const Route& route : routes_) {
    if (!Match(route, path, nullptr)) continue;
    AppendMethod(allow, route.method);
    if (route.method == "GET") AppendMethod(allow, "HEAD");
    if (route.method == method) {
      if (best == nullptr || MoreSpecific(route, *best)) best = &route;
    } else if (method == "HEAD" && route.method == "GET") {
      if (best_get == nullptr || MoreSpecific(route, *best_get)) best_get = &route;
    }
  }
  if (best == nullptr) best = best_get;
  if (best == nullptr) return nullptr;
  params.clear();
  if (!Match(*best, path, &params)) {  // a parameter with a malformed %-escape
    allow.clear();
    return nullptr;
  }
  return &best->handler;
}

boost::asio::awaitable<Response> Router::Dispatch(RequestContext& ctx) const {
  std::vector<std::pair<std::string, std::string>> params;
  std::string allow;
  const Handler* handler = Find(ctx.request().method, ctx.request().Path(), params, allow);
  if (handler != nullptr) {
    if (!params.empty()) ctx.SetPathParams(std::move(params));
    co_return co_await (*handler)(ctx);
  }
  if (allow.empty()) {
    if (fallback_) co_return co_await fallback_(ctx);
    co_return Response::FromError(
        core::Error::NotFound("no route for {}", std::string(ctx.request().Path())));
  }
  // 405 has no code of its own in the taxonomy: kUnimplemented's message with the HTTP status the
  // protocol requires, and the Allow header it mandates.
  Response response = Response::FromError(core::Error::Unimplemented(
      "method {} is not allowed for {}", ctx.request().method, std::string(ctx.request().Path())));
  response.status = 405;
  response.headers.Set("Allow", std::move(allow));
  co_return response;
}

// --- Static files ---

std::string_view ContentTypeForPath(std::string_view path) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 24> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".md", "text/markdown; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/vnd.microsoft.icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".ttf", "font/ttf"},
      {".wasm", "application/wasm"},
      {".xml", "application/xml"},
      {".pdf", "application/pdf"},
      {".webmanifest", "application/manifest+json"},
      {".csv", "text/csv; charset=utf-8"},
  }};
  size_t slash = path.rfind('/');
  size_t dot = path.rfind('.');
  if (dot != std::string_view::npos && (slash == std::string_view::npos || dot > slash)) {
    std::string_view ext = path.substr(dot);
    for (const auto& [suffix, type] : kTypes) {
      if (EqualsIgnoreCase(suffix, ext)) return type;
    }
  }
  return "application/octet-stream";
}

namespace {

// Whether If-None-Match (a list of entity tags, or "*") matches `etag`, by weak comparison.
bool IfNoneMatchHits(std::string_view header, std::string_view etag) {
  auto strip_weak = [](std::string_view tag) {
    if (tag.size() >= 2 && tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    return tag;
  };
  std::string_view want = strip_weak(etag);
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view tag = header.substr(0, comma);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag == "*" || strip_weak(tag) == want) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

core::Result<Response> ServeFile(const std::filesystem::path& root,
                                 const StaticFilesOptions& options, std::string_view raw_path,
                                 const Request& request) {
  auto decoded = PercentDecode(raw_path);
  if (!decoded) return core::Error::InvalidArgument("malformed percent-encoding in the path");
  std::string relative = std::move(*decoded);
  if (relative.find('\0') != std::string::npos || relative.find('\\') != std::string::npos) {
    return core::Error::InvalidArgument("invalid character in the path");
  }
  // Every segment must be a plain name: no "..", no "." (so no way out of root by name).
  bool bad = false;
  std::string_view rest = relative;
  while (!rest.empty() && !bad) {
    size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    if (segment == ".." || segment == ".") bad = true;
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  if (bad) return core::Error::InvalidArgument("'.' and '..' segments are not allowed in the path");
  while (!relative.empty() && relative.front() == '/') relative.erase(0, 1);
  if (relative.empty() || relative.back() == '/') relative += options.index_file;

  std::filesystem::path file = root / relative;
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) file /= options.index_file;
  // A symlink inside root may point elsewhere: serve only what resolves to a path under root.
  std::filesystem::path resolved = std::filesystem::canonical(file, ec);
  if (ec) return core::Error::NotFound("no file {}", std::string(raw_path));
  auto [root_end, _] = std::mismatch(root.begin(), root.end(), resolved.begin(), resolved.end());
  if (root_end != root.end()) return core::Error::NotFound("no file {}", std::string(raw_path));

  struct stat info {};
  if (::stat(resolved.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return core::Error::NotFound("no file {}", std::string(raw_path));
  }
  std::string etag = fmt::format("W/\"{:x}-{:x}{:09x}\"", static_cast<uint64_t>(info.st_size),
                                 static_cast<uint64_t>(info.st_mtim.tv_sec),
                                 static_cast<uint64_t>(info.st_mtim.tv_nsec));
  Response response;
  response.headers.Set("ETag", etag);
  response.headers.Set("Cache-Control", options.cache_control);
  if (auto inm = request.headers.Get("If-None-Match"); inm && IfNoneMatchHits(*inm, etag)) {
    response.status = 304;
    return response;
  }
  std::ifstream in(resolved, std::ios::binary);
  if (!in) return core::Error::NotFound("no file {}", std::string(raw_path));
  response.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) return core::Error::Internal("reading {} failed", std::string(raw_path));
  response.status = 200;
  response.headers.Set("Content-Type", std::string(ContentTypeForPath(resolved.native())));
  return response;
}

}  // namespace

Handler StaticFiles(std::filesystem::path root, StaticFilesOptions options) {
  std::error_code ec;
  std::filesystem::path canonical_root = std::filesystem::canonical(root, ec);
  bool usable = root.is_absolute() && !ec && std::filesystem::is_directory(canonical_root, ec);
  return [root = std::move(canonical_root), options = std::move(options),
          usable](RequestContext& ctx) -> boost::asio::awaitable<Response> {
    const Request& request = ctx.request();
    if (!usable) {
      co_return Response::FromError(core::Error::NotFound("no static file root configured"));
    }
    if (request.method != "GET" && request.method != "HEAD") {
      Response response = Response::FromError(
          core::Error::Unimplemented("method {} is not allowed for static files", request.method));
      response.status = 405;
      response.headers.Set("Allow", "GET, HEAD");
      co_return response;
    }
    std::string_view path = request.Path();
    std::string from_param;
    if (!options.path_param.empty()) {
      auto param = ctx.PathParam(options.path_param);
      // Path parameters are already decoded: re-encode '%' so ServeFile's decoding is a no-op.
      for (char c : param.value_or("")) {
        if (c == '%')
          from_param += "%25";
        else
          from_param += c;
      }
      path = from_param;
    } else if (path.empty() || path.front() != '/') {
      co_return Response::FromError(core::Error::InvalidArgument("the path must be absolute"));
    }
    auto served = ServeFile(root, options, path, request);
    if (!served.ok()) co_return Response::FromError(served.error());
    co_return std::move(served).value();
  };
}

}  // namespace bedrock::http

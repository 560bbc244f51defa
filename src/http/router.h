// Routing: method + path pattern to Handler, plus a static-file handler for a directory.
//
//   http::Router router;
//   router.Get("/healthz", Health)
//         .Get("/v1/mcp/servers/{id}", GetServer)            // ctx.PathParam("id")
//         .Post("/v1/chat/completions", Chat)
//         .Fallback(http::StaticFiles("/usr/share/bedrock-mcp/ui"));
//
// Patterns are '/'-separated segments: a literal ("servers"), a parameter filling one whole
// segment ("{id}") or, as the last segment only, a parameter taking the rest of the path
// ("{path...}", possibly empty). A literal segment beats a parameter at the same position, which
// beats a rest parameter, whatever the registration order. Parameters are percent-decoded.
//
// Dispatch answers 404 (JSON) when no pattern matches the path (or calls the fallback handler if
// one is set), and 405 with an Allow header when a pattern matches but not for this method. HEAD
// is served by the GET handler when no HEAD route exists (the server drops the body).
//
// A malformed pattern does not throw: the Router remembers the first such error in status(), and
// Server::Start refuses to start with it.
//
// Thread-safety: build the Router on one thread; once the server has started it is only read,
// and Dispatch may be called concurrently.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "http/handler.h"

namespace bedrock::http {

class Router {
 public:
  Router& Add(std::string_view method, std::string_view pattern, Handler handler);
  Router& Get(std::string_view pattern, Handler handler) {
    return Add("GET", pattern, std::move(handler));
  }
  Router& Post(std::string_view pattern, Handler handler) {
    return Add("POST", pattern, std::move(handler));
  }
  Router& Put(std::string_view pattern, Handler handler) {
    return Add("PUT", pattern, std::move(handler));
  }
  Router& Patch(std::string_view pattern, Handler handler) {
    return Add("PATCH", pattern, std::move(handler));
  }
  Router& Delete(std::string_view pattern, Handler handler) {
    return Add("DELETE", pattern, std::move(handler));
  }
  // Called for any method when no pattern matches the path (instead of answering 404).
  Router& Fallback(Handler handler);

  // OK, or the first malformed pattern given to Add.
  const core::Status& status() const { return status_; }

  // Routes the request in `ctx` (filling its path parameters) and runs the handler.
  boost::asio::awaitable<Response> Dispatch(RequestContext& ctx) const;

  // The lookup behind Dispatch, exposed for tests: the handler for (method, path), or null with
  // `allow` set to the methods the path accepts (empty when no pattern matches it).
  const Handler* Find(std::string_view method, std::string_view path,
                      std::vector<std::pair<std::string, std::string>>& params,
                      std::string& allow) const;

 private:
  struct Segment {
    enum Kind { kLiteral, kParam, kRest } kind;
    std::string text;  // the literal, or the parameter's name
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    Handler handler;
  };

  // Whether `path` matches `route`; fills `params` when it does.
  static bool Match(const Route& route, std::string_view path,
                    std::vector<std::pair<std::string, std::string>>* params);
  // Whether `a` is more specific than `b` for paths both match.
  static bool MoreSpecific(const Route& a, const Route& b);

  std::vector<Route> routes_;
  Handler fallback_;
  core::Status status_;
};

struct StaticFilesOptions {
  // Served for "/" and for a directory (one level: "dir/" serves "dir/index.html").
  std::string index_file = "index.html";
  // Cache-Control for every file served.
  std::string cache_control = "no-cache";
  // The route parameter holding the relative path ("{path...}"); empty: the whole request path.
  std::string path_param;
};

// A GET/HEAD handler serving files under `root` (which must be an absolute directory path).
// Request paths are percent-decoded; a path that is not absolute, contains a ".." segment, a
// backslash or a NUL, or leads outside `root` through a symlink, is refused (400/404) without
// touching the file system beyond `root`. Content-Type comes from the extension; every response
// carries an ETag (size and modification time), and If-None-Match answers 304.
// Files are read whole with blocking I/O on the server thread: meant for small UI assets.
Handler StaticFiles(std::filesystem::path root, StaticFilesOptions options = {});

// The Content-Type for a file name's extension ("application/octet-stream" when unknown).
std::string_view ContentTypeForPath(std::string_view path);

}  // namespace bedrock::http

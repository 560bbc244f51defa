#include "http/router.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <fstream>

namespace bedrock::http {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using ::testing::HasSubstr;

Handler Named(std::string name) {
  return [name](RequestContext& ctx) -> awaitable<Response> {
    std::string body = name;
    for (const auto& [key, value] : ctx.path_params()) body += " " + key + "=" + value;
    co_return Response::Text(200, body);
  };
}

Response Dispatch(const Router& router, std::string method, std::string target,
                  Headers headers = {}) {
  Request request;
  request.method = std::move(method);
  request.target = std::move(target);
  request.headers = std::move(headers);
  RequestContext ctx(request);
  asio::io_context context;
  auto future = asio::co_spawn(context, router.Dispatch(ctx), asio::use_future);
  context.run();
  return future.get();
}

TEST(RouterTest, LiteralRouteMatchesExactPath) {
  Router router;
  router.Get("/healthz", Named("health"));
  EXPECT_EQ(Dispatch(router, "GET", "/healthz").body, "health");
  EXPECT_EQ(Dispatch(router, "GET", "/healthz?verbose=1").body, "health");
  EXPECT_EQ(Dispatch(router, "GET", "/healthz/x").status, 404);
  EXPECT_EQ(Dispatch(router, "GET", "/health").status, 404);
}

TEST(RouterTest, ParameterCapturesOneDecodedSegment) {
  Router router;
  router.Get("/v1/mcp/servers/{id}/tools/{tool}", Named("tool"));
  EXPECT_EQ(Dispatch(router, "GET", "/v1/mcp/servers/a%2Fb/tools/search").body,
            "tool id=a/b tool=search");
  EXPECT_EQ(Dispatch(router, "GET", "/v1/mcp/servers//tools/search").status, 404);
  EXPECT_EQ(Dispatch(router, "GET", "/v1/mcp/servers/bad%zz/tools/x").status, 404);
}

TEST(RouterTest, LiteralBeatsParameterWhateverTheOrder) {
  Router router;
  router.Get("/v1/servers/{id}", Named("param")).Get("/v1/servers/status", Named("literal"));
  EXPECT_EQ(Dispatch(router, "GET", "/v1/servers/status").body, "literal");
  EXPECT_EQ(Dispatch(router, "GET", "/v1/servers/7").body, "param id=7");
}

TEST(RouterTest, RestParameterTakesTheRemainingPath) {
  Router router;
  router.Get("/ui/{path...}", Named("ui")).Get("/ui/api/{x}", Named("api"));
  EXPECT_EQ(Dispatch(router, "GET", "/ui/js/app.js").body, "ui path=js/app.js");
  EXPECT_EQ(Dispatch(router, "GET", "/ui/").body, "ui path=");
  EXPECT_EQ(Dispatch(router, "GET", "/ui").body, "ui path=");
  EXPECT_EQ(Dispatch(router, "GET", "/ui/api/1").body, "api x=1");
}

TEST(RouterTest, WrongMethodIs405WithAllow) {
  Router router;
  router.Get("/items/{id}", Named("get")).Delete("/items/{id}", Named("delete"));
  Response response = Dispatch(router, "POST", "/items/3");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers.Get("Allow"), "GET, HEAD, DELETE");
  EXPECT_THAT(response.body, HasSubstr("\"code\":\"unimplemented\""));
}

TEST(RouterTest, UnknownPathIs404Json) {
  Router router;
  router.Get("/a", Named("a"));
  Response response = Dispatch(router, "GET", "/b");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.headers.Get("Content-Type"), "application/json");
  EXPECT_THAT(response.body, HasSubstr("\"code\":\"not_found\""));
}

TEST(RouterTest, FallbackHandlesUnmatchedPathsButNot405) {
  Router router;
  router.Get("/api", Named("api")).Fallback(Named("fallback"));
  EXPECT_EQ(Dispatch(router, "GET", "/index.html").body, "fallback");
  EXPECT_EQ(Dispatch(router, "POST", "/api").status, 405);
}

TEST(RouterTest, HeadFallsBackToGet) {
  Router router;
  router.Get("/a", Named("get-a"));
  EXPECT_EQ(Dispatch(router, "HEAD", "/a").body, "get-a");
}

TEST(RouterTest, MalformedPatternsAreReportedInStatus) {
  for (std::string_view pattern :
       {"relative", "/a/{", "/a/{}", "/a/{x...}/b", "/a/b{x}", "/a/{bad-name}"}) {
    Router router;
    router.Get(pattern, Named("x"));
    EXPECT_FALSE(router.status().ok()) << pattern;
  }
  Router good;
  good.Get("/", Named("root")).Get("/a/{b}/{rest...}", Named("x"));
  EXPECT_TRUE(good.status().ok());
  EXPECT_EQ(Dispatch(good, "GET", "/").body, "root");
}

// --- Static files ---

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("bedrock-static-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(root_ / "www" / "js");
    Write("www/index.html", "<h1>hi</h1>");
    Write("www/js/app.js", "console.log(1)");
    Write("www/data.json", "{}");
    Write("secret.txt", "do not serve");
    router_.Get("/{path...}", StaticFiles(root_ / "www"));
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& relative, const std::string& content) {
    std::ofstream(root_ / relative) << content;
  }

  std::filesystem::path root_;
  Router router_;
};

TEST_F(StaticFilesTest, ServesFilesWithContentType) {
  Response js = Dispatch(router_, "GET", "/js/app.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_EQ(js.headers.Get("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(Dispatch(router_, "GET", "/data.json").headers.Get("Content-Type"), "application/json");
}

TEST_F(StaticFilesTest, RootAndDirectoriesServeIndex) {
  EXPECT_EQ(Dispatch(router_, "GET", "/").body, "<h1>hi</h1>");
  EXPECT_EQ(Dispatch(router_, "GET", "/").headers.Get("Content-Type"), "text/html; charset=utf-8");
}

TEST_F(StaticFilesTest, DotDotIsRefusedEvenPercentEncoded) {
  EXPECT_EQ(Dispatch(router_, "GET", "/../secret.txt").status, 400);
  EXPECT_EQ(Dispatch(router_, "GET", "/%2e%2e/secret.txt").status, 400);
  EXPECT_EQ(Dispatch(router_, "GET", "/js/%2E%2E/%2E%2E/secret.txt").status, 400);
  EXPECT_EQ(Dispatch(router_, "GET", "/js/..%2f..%2fsecret.txt").status, 400);
}

TEST_F(StaticFilesTest, BackslashAndNulAreRefused) {
  EXPECT_EQ(Dispatch(router_, "GET", "/js%5capp.js").status, 400);
  EXPECT_EQ(Dispatch(router_, "GET", "/index.html%00.js").status, 400);
}

TEST_F(StaticFilesTest, SymlinkOutOfRootIsNotServed) {
  std::filesystem::create_symlink(root_ / "secret.txt", root_ / "www" / "link.txt");
  EXPECT_EQ(Dispatch(router_, "GET", "/link.txt").status, 404);
}

TEST_F(StaticFilesTest, MissingFileIs404) {
  EXPECT_EQ(Dispatch(router_, "GET", "/nope.css").status, 404);
}

TEST_F(StaticFilesTest, EtagAnswers304OnIfNoneMatch) {
  Response first = Dispatch(router_, "GET", "/data.json");
  auto etag = first.headers.Get("ETag");
  ASSERT_TRUE(etag.has_value());
  Response again = Dispatch(router_, "GET", "/data.json", {{"If-None-Match", std::string(*etag)}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  Response other = Dispatch(router_, "GET", "/data.json", {{"If-None-Match", "\"nope\""}});
  EXPECT_EQ(other.status, 200);
}

TEST_F(StaticFilesTest, RelativeRootServesNothing) {
  Router router;
  router.Get("/{path...}", StaticFiles("relative/dir"));
  EXPECT_EQ(Dispatch(router, "GET", "/index.html").status, 404);
}

TEST_F(StaticFilesTest, PostIs405) {
  Router router;
  router.Fallback(StaticFiles(root_ / "www"));
  Response response = Dispatch(router, "POST", "/index.html");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers.Get("Allow"), "GET, HEAD");
  EXPECT_EQ(Dispatch(router, "GET", "/js/app.js").body, "console.log(1)");
}

TEST(ContentTypeTest, KnownAndUnknownExtensions) {
  EXPECT_EQ(ContentTypeForPath("a/b.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeForPath("x.wasm"), "application/wasm");
  EXPECT_EQ(ContentTypeForPath("dir.v2/file"), "application/octet-stream");
  EXPECT_EQ(ContentTypeForPath("noext"), "application/octet-stream");
}

}  // namespace
}  // namespace bedrock::http

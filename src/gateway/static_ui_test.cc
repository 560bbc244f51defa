#include "gateway/static_ui.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <fstream>
#include <string>

namespace bedrock::gateway {
namespace {

namespace asio = boost::asio;

http::Response Dispatch(const http::Router& router, std::string method, std::string target) {
  http::Request request;
  request.method = std::move(method);
  request.target = std::move(target);
  http::RequestContext ctx(request);
  asio::io_context context;
  auto future = asio::co_spawn(context, router.Dispatch(ctx), asio::use_future);
  context.run();
  return future.get();
}

class WebUiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("bedrock-webui-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(root_ / "ui" / "assets");
    Write("ui/index.html", "<!doctype html><title>chat</title>");
    Write("ui/assets/index-Ab12.js", "console.log(1)");
    Write("secret.txt", "not for the web");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& relative, const std::string& content) {
    std::ofstream(root_ / relative) << content;
  }

  std::filesystem::path root_;
};

TEST_F(WebUiTest, RootServesIndexWithoutCachingAndWithAPolicy) {
  http::Router router;
  ASSERT_TRUE(AddWebUi(router, root_ / "ui").ok());
  http::Response page = Dispatch(router, "GET", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body, "<!doctype html><title>chat</title>");
  EXPECT_EQ(page.headers.Get("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(page.headers.Get("Cache-Control"), "no-cache");
  EXPECT_NE(page.headers.Get("Content-Security-Policy").value_or("").find("connect-src 'self'"),
            std::string::npos);
  EXPECT_EQ(Dispatch(router, "GET", "/index.html").body, page.body);
  EXPECT_EQ(Dispatch(router, "GET", "/?reload=1").status, 200);
}

TEST_F(WebUiTest, HashedAssetsAreImmutable) {
  http::Router router;
  ASSERT_TRUE(AddWebUi(router, root_ / "ui").ok());
  http::Response script = Dispatch(router, "GET", "/assets/index-Ab12.js");
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.body, "console.log(1)");
  EXPECT_EQ(script.headers.Get("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(script.headers.Get("Cache-Control"), "public, max-age=31536000, immutable");
}

TEST_F(WebUiTest, AssetPathCannotLeaveTheDirectory) {
  http::Router router;
  ASSERT_TRUE(AddWebUi(router, root_ / "ui").ok());
  EXPECT_EQ(Dispatch(router, "GET", "/assets/../../secret.txt").status, 400);
  EXPECT_EQ(Dispatch(router, "GET", "/assets/%2e%2e/%2e%2e/secret.txt").status, 400);
  EXPECT_EQ(Dispatch(router, "GET", "/assets/missing.js").status, 404);
}

TEST_F(WebUiTest, OtherPathsAreLeftToTheApi) {
  http::Router router;
  ASSERT_TRUE(AddWebUi(router, root_ / "ui").ok());
  http::Response response = Dispatch(router, "GET", "/v1/unknown");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.headers.Get("Content-Type"), "application/json");
  EXPECT_EQ(Dispatch(router, "POST", "/").status, 405);
}

TEST_F(WebUiTest, MissingBuildExplainsItselfAtRoot) {
  http::Router router;
  core::Status status = AddWebUi(router, root_ / "nowhere");
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), core::ErrorCode::kNotFound);
  http::Response response = Dispatch(router, "GET", "/");
  EXPECT_EQ(response.status, 404);
  EXPECT_NE(response.body.find("not built"), std::string::npos);
}

TEST_F(WebUiTest, RelativeDirectoryIsRefused) {
  http::Router router;
  EXPECT_FALSE(AddWebUi(router, "ui").ok());
}

TEST(DefaultWebUiDirTest, IsTheUiFolderBesideTheBinaryDirectory) {
  std::filesystem::path dir = DefaultWebUiDir();
  ASSERT_FALSE(dir.empty());
  EXPECT_EQ(dir.filename(), "ui");
  EXPECT_TRUE(dir.is_absolute());
}

}  // namespace
}  // namespace bedrock::gateway

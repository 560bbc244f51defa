#include "gateway/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "gateway/testing/fake_mcp.h"

namespace bedrock::gateway {
namespace {

using ::testing::HasSubstr;

mcp::McpServerConfig Stdio(std::string command) {
  mcp::McpServerConfig config;
  config.name = "s";
  config.kind = mcp::ServerTransportKind::kStdio;
  config.command = std::move(command);
  return config;
}

mcp::McpServerConfig Remote(std::string url) {
  mcp::McpServerConfig config;
  config.name = "r";
  config.kind = mcp::ServerTransportKind::kAutoHttp;
  config.url = std::move(url);
  return config;
}

TEST(ClassifyAddressTest, KnowsTheSpecialRanges) {
  EXPECT_EQ(ClassifyAddress("169.254.169.254"), AddressClass::kMetadata);
  EXPECT_EQ(ClassifyAddress("fd00:ec2::254"), AddressClass::kMetadata);
  EXPECT_EQ(ClassifyAddress("169.254.10.1"), AddressClass::kLinkLocal);
  EXPECT_EQ(ClassifyAddress("fe80::1"), AddressClass::kLinkLocal);
  EXPECT_EQ(ClassifyAddress("10.1.2.3"), AddressClass::kPrivate);
  EXPECT_EQ(ClassifyAddress("172.31.0.1"), AddressClass::kPrivate);
  EXPECT_EQ(ClassifyAddress("172.32.0.1"), AddressClass::kPublic);
  EXPECT_EQ(ClassifyAddress("192.168.0.1"), AddressClass::kPrivate);
  EXPECT_EQ(ClassifyAddress("100.64.0.1"), AddressClass::kPrivate);
  EXPECT_EQ(ClassifyAddress("fd12::1"), AddressClass::kPrivate);
  EXPECT_EQ(ClassifyAddress("127.0.0.1"), AddressClass::kLoopback);
  EXPECT_EQ(ClassifyAddress("::1"), AddressClass::kLoopback);
  EXPECT_EQ(ClassifyAddress("0.0.0.0"), AddressClass::kUnspecified);
  EXPECT_EQ(ClassifyAddress("224.0.0.1"), AddressClass::kOther);
  EXPECT_EQ(ClassifyAddress("8.8.8.8"), AddressClass::kPublic);
  EXPECT_EQ(ClassifyAddress("2606:4700::1111"), AddressClass::kPublic);
  EXPECT_EQ(ClassifyAddress("example.com"), std::nullopt);
}

TEST(ClassifyAddressTest, MappedIpv6IsItsIpv4Address) {
  EXPECT_EQ(ClassifyAddress("::ffff:169.254.169.254"), AddressClass::kMetadata);
  EXPECT_EQ(ClassifyAddress("::ffff:10.0.0.1"), AddressClass::kPrivate);
}

TEST(PolicyTest, AllowlistedCommandIsAllowed) {
  PolicyConfig policy;
  EXPECT_TRUE(CheckServerAllowed(policy, Stdio("npx")).ok());
  EXPECT_TRUE(CheckServerAllowed(policy, Stdio("uvx")).ok());
}

TEST(PolicyTest, OtherCommandIsRefusedWithTheList) {
  PolicyConfig policy;
  auto status = CheckServerAllowed(policy, Stdio("bash"));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), core::ErrorCode::kPermissionDenied);
  EXPECT_THAT(status.error().message(), HasSubstr("npx, uvx"));
}

TEST(PolicyTest, PathToAnAllowedNameIsRefused) {
  PolicyConfig policy;
  EXPECT_FALSE(CheckServerAllowed(policy, Stdio("/tmp/npx")).ok());
}

TEST(PolicyTest, StdioOffRefusesEveryCommand) {
  PolicyConfig policy;
  policy.stdio = StdioSpawnMode::kOff;
  auto status = CheckServerAllowed(policy, Stdio("npx"));
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.error().message(), HasSubstr("does not allow"));
}

TEST(PolicyTest, PathVariableIsRefused) {
  PolicyConfig policy;
  auto server = Stdio("npx");
  server.env["PATH"] = "/tmp/evil";
  EXPECT_FALSE(CheckServerAllowed(policy, server).ok());
}

TEST(PolicyTest, PreloadVariableIsRefused) {
  PolicyConfig policy;
  auto server = Stdio("npx");
  server.env["LD_PRELOAD"] = "/tmp/x.so";
  EXPECT_FALSE(CheckServerAllowed(policy, server).ok());
}

TEST(PolicyTest, CwdIsRefusedUnlessAllowed) {
  PolicyConfig policy;
  auto server = Stdio("npx");
  server.cwd = "/etc";
  EXPECT_FALSE(CheckServerAllowed(policy, server).ok());
  policy.allow_cwd = true;
  EXPECT_TRUE(CheckServerAllowed(policy, server).ok());
}

TEST(PolicyTest, PublicHttpsUrlIsAllowed) {
  PolicyConfig policy;
  EXPECT_TRUE(CheckServerAllowed(policy, Remote("https://mcp.example.com/mcp")).ok());
  EXPECT_TRUE(CheckServerAllowed(policy, Remote("https://8.8.8.8/mcp")).ok());
}

TEST(PolicyTest, SchemeOutsideTheListIsRefused) {
  PolicyConfig policy;
  policy.remote_schemes = {"https"};
  EXPECT_FALSE(CheckServerAllowed(policy, Remote("http://mcp.example.com/mcp")).ok());
}

TEST(PolicyTest, MetadataAddressIsAlwaysRefused) {
  PolicyConfig policy;
  policy.allow_private_networks = true;
  policy.allow_loopback = true;
  auto status = CheckServerAllowed(policy, Remote("http://169.254.169.254/latest/meta-data"));
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.error().message(), HasSubstr("metadata"));
  EXPECT_FALSE(CheckServerAllowed(policy, Remote("http://[fd00:ec2::254]/")).ok());
  EXPECT_FALSE(CheckServerAllowed(policy, Remote("http://metadata.google.internal/")).ok());
  EXPECT_FALSE(CheckServerAllowed(policy, Remote("http://[fe80::1]/")).ok());
}

TEST(PolicyTest, PrivateAddressNeedsPermission) {
  PolicyConfig policy;
  EXPECT_FALSE(CheckServerAllowed(policy, Remote("http://10.0.0.5/mcp")).ok());
  policy.allow_private_networks = true;
  EXPECT_TRUE(CheckServerAllowed(policy, Remote("http://10.0.0.5/mcp")).ok());
}

TEST(PolicyTest, LoopbackNeedsPermission) {
  PolicyConfig policy;
  EXPECT_FALSE(CheckServerAllowed(policy, Remote("http://127.0.0.1:8080/mcp")).ok());
  EXPECT_FALSE(CheckServerAllowed(policy, Remote("http://localhost:8080/mcp")).ok());
  policy.allow_loopback = true;
  EXPECT_TRUE(CheckServerAllowed(policy, Remote("http://localhost:8080/mcp")).ok());
}

TEST(PolicyTest, CredentialsInUrlAreRefused) {
  PolicyConfig policy;
  EXPECT_FALSE(CheckServerAllowed(policy, Remote("https://u:p@mcp.example.com/")).ok());
}

TEST(PolicyTest, MalformedUrlIsInvalid) {
  PolicyConfig policy;
  auto status = CheckServerAllowed(policy, Remote("https://"));
  EXPECT_EQ(status.error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(ResolveAllowedTest, NameResolvingToLoopbackIsRefusedUnlessAllowed) {
  boost::asio::io_context io;
  PolicyConfig policy;
  auto url = http::ParseHttpUrl("http://localhost:9/mcp");
  ASSERT_TRUE(url.ok());
  auto refused = testing::Spawn(
      io.get_executor(), ResolveAllowed(io.get_executor(), policy, *url, std::chrono::seconds(5)));
  io.run();
  auto result = refused.get();
  ASSERT_FALSE(result->ok());
  EXPECT_EQ(result->error().code(), core::ErrorCode::kPermissionDenied);
  EXPECT_THAT(result->error().message(), HasSubstr("loopback"));

  io.restart();
  policy.allow_loopback = true;
  auto allowed = testing::Spawn(
      io.get_executor(), ResolveAllowed(io.get_executor(), policy, *url, std::chrono::seconds(5)));
  io.run();
  auto address = allowed.get();
  ASSERT_TRUE(address->ok()) << address->error();
  EXPECT_EQ(ClassifyAddress(**address), AddressClass::kLoopback);
}

}  // namespace
}  // namespace bedrock::gateway

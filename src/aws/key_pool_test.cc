#include "aws/key_pool.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <set>
#include <thread>

#include "aws/testing/fake_server.h"

namespace bedrock::aws {
namespace {

using namespace std::chrono_literals;

std::vector<Credentials> Keys(int n) {
  std::vector<Credentials> keys;
  for (int i = 0; i < n; ++i) {
    keys.push_back(Credentials{.access_key_id = "AK" + std::to_string(i),
                               .secret_access_key = "SK" + std::to_string(i)});
  }
  return keys;
}

TEST(AccessKeyCsvTest, DemoReadmeFormatParses) {
  auto keys = ParseAccessKeyCsv("ak,sk  \nak1,sk1  \nak2,sk2  \n");
  ASSERT_TRUE(keys.ok()) << keys.error();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].access_key_id, "ak1");
  EXPECT_EQ((*keys)[0].secret_access_key, "sk1");
  EXPECT_EQ((*keys)[1].access_key_id, "ak2");
}

TEST(AccessKeyCsvTest, ConsoleDownloadFormatWithBomAndCrLfParses) {
  auto keys = ParseAccessKeyCsv(
      "\xEF\xBB\xBF"
      "Access key ID,Secret access key\r\nAKIA1,abc/def+g\r\n");
  ASSERT_TRUE(keys.ok()) << keys.error();
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].access_key_id, "AKIA1");
  EXPECT_EQ((*keys)[0].secret_access_key, "abc/def+g");
}

TEST(AccessKeyCsvTest, ColumnsInAnyOrderWithSessionTokenAndQuotes) {
  auto keys = ParseAccessKeyCsv(
      "user,secret_access_key,access_key_id,session_token\n"
      "alice,\"s,1\",AK1,\"tok\"\"en\"\n"
      "# a comment\n"
      "\n"
      "bob,s2,AK2,\n");
  ASSERT_TRUE(keys.ok()) << keys.error();
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].secret_access_key, "s,1");
  EXPECT_EQ((*keys)[0].session_token, "tok\"en");
  EXPECT_EQ((*keys)[1].access_key_id, "AK2");
  EXPECT_EQ((*keys)[1].session_token, "");
}

TEST(AccessKeyCsvTest, HeaderWithoutKeyColumnsIsRejected) {
  auto keys = ParseAccessKeyCsv("name,value\na,b\n");
  ASSERT_FALSE(keys.ok());
  EXPECT_NE(keys.error().message().find("line 1"), std::string::npos);
}

TEST(AccessKeyCsvTest, ShortRowIsRejectedWithItsLine) {
  auto keys = ParseAccessKeyCsv("ak,sk\nak1,sk1\nak2\n");
  ASSERT_FALSE(keys.ok());
  EXPECT_NE(keys.error().message().find("line 3"), std::string::npos);
}

TEST(AccessKeyCsvTest, EmptySecretIsRejected) {
  EXPECT_FALSE(ParseAccessKeyCsv("ak,sk\nak1,\n").ok());
}

TEST(AccessKeyCsvTest, UnterminatedQuoteIsRejected) {
  EXPECT_FALSE(ParseAccessKeyCsv("ak,sk\n\"ak1,sk1\n").ok());
}

TEST(AccessKeyCsvTest, HeaderOnlyIsRejected) { EXPECT_FALSE(ParseAccessKeyCsv("ak,sk\n").ok()); }

TEST(AccessKeyPoolTest, RoundRobinOverAllKeys) {
  core::FakeClock clock;
  auto pool = AccessKeyPool::Create(Keys(3), clock);
  ASSERT_TRUE(pool.ok());
  EXPECT_EQ((*pool)->Next().access_key_id, "AK0");
  EXPECT_EQ((*pool)->Next().access_key_id, "AK1");
  EXPECT_EQ((*pool)->Next().access_key_id, "AK2");
  EXPECT_EQ((*pool)->Next().access_key_id, "AK0");
}

TEST(AccessKeyPoolTest, ThrottledKeyIsBenchedUntilItsCooldownEnds) {
  core::FakeClock clock;
  auto pool = *AccessKeyPool::Create(Keys(2), clock, {.cooldown = 60s});
  pool->ReportThrottled("AK0");
  EXPECT_EQ(pool->available(), 1u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(pool->Next().access_key_id, "AK1");
  clock.Advance(59s);
  EXPECT_EQ(pool->Next().access_key_id, "AK1");
  clock.Advance(1s);
  EXPECT_EQ(pool->available(), 2u);
  std::set<std::string> seen{pool->Next().access_key_id, pool->Next().access_key_id};
  EXPECT_EQ(seen.size(), 2u);
}

TEST(AccessKeyPoolTest, RepeatedThrottlingDoublesTheCooldownUntilSuccess) {
  core::FakeClock clock;
  auto pool = *AccessKeyPool::Create(Keys(2), clock, {.cooldown = 10s, .max_cooldown = 600s});
  pool->ReportThrottled("AK0");
  clock.Advance(10s);
  pool->ReportThrottled("AK0");  // second strike: 20 s
  clock.Advance(15s);
  EXPECT_EQ(pool->available(), 1u);
  clock.Advance(5s);
  EXPECT_EQ(pool->available(), 2u);
  pool->ReportSuccess("AK0");
  pool->ReportThrottled("AK0");  // back to 10 s
  clock.Advance(10s);
  EXPECT_EQ(pool->available(), 2u);
}

TEST(AccessKeyPoolTest, AllBenchedUsesTheOneFreeSoonest) {
  core::FakeClock clock;
  auto pool = *AccessKeyPool::Create(Keys(3), clock, {.cooldown = 60s});
  pool->ReportThrottled("AK1");
  clock.Advance(1s);
  pool->ReportThrottled("AK2");
  pool->ReportThrottled("AK0");
  EXPECT_EQ(pool->available(), 0u);
  EXPECT_EQ(pool->Next().access_key_id, "AK1");
}

TEST(AccessKeyPoolTest, EmptyPoolIsRejected) {
  core::FakeClock clock;
  EXPECT_FALSE(AccessKeyPool::Create({}, clock).ok());
}

TEST(AccessKeyPoolTest, ConcurrentUseFromThreadsIsSafe) {
  core::FakeClock clock;
  auto pool = *AccessKeyPool::Create(Keys(4), clock);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        auto key = pool->Next();
        if (i % 7 == 0) pool->ReportThrottled(key.access_key_id);
        if (i % 11 == t) pool->ReportSuccess(key.access_key_id);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(pool->size(), 4u);
}

TEST(AccessKeyPoolTest, WorksAsACredentialsProvider) {
  core::FakeClock clock;
  auto pool = *AccessKeyPool::Create(Keys(2), clock);
  auto provider = pool->AsFunction();
  boost::asio::io_context io;
  auto creds = testing::RunCo(io, provider());
  ASSERT_TRUE(creds.ok());
  EXPECT_EQ(creds->access_key_id, "AK0");
}

}  // namespace
}  // namespace bedrock::aws

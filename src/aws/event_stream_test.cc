#include "aws/event_stream.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "aws/internal/crc32.h"
#include "aws/testing/vectors.h"
#include "core/base64.h"

namespace bedrock::aws {
namespace {

namespace fs = std::filesystem;

fs::path EventStreamDir() { return testing::VectorsDir() / "eventstream"; }
fs::path GoTestdata() { return EventStreamDir() / "aws-sdk-go-v2-testdata"; }

std::string Base64Decode(std::string_view in) { return core::Base64Decode(in).value_or(""); }

// The aws-sdk-go-v2 "decoded" JSON form of a message.
struct DecodedVector {
  EventMessage message;
  uint32_t total_length, headers_length, prelude_crc, message_crc;
};

DecodedVector LoadDecoded(const fs::path& path) {
  auto json = boost::json::parse(testing::ReadFile(path)).as_object();
  DecodedVector v;
  v.total_length = static_cast<uint32_t>(json.at("total_length").to_number<int64_t>());
  v.headers_length = static_cast<uint32_t>(json.at("headers_length").to_number<int64_t>());
  v.prelude_crc = static_cast<uint32_t>(json.at("prelude_crc").to_number<int64_t>());
  v.message_crc = static_cast<uint32_t>(json.at("message_crc").to_number<int64_t>());
  v.message.payload = Base64Decode(json.at("payload").as_string());
  for (const auto& hv : json.at("headers").as_array()) {
    const auto& h = hv.as_object();
    EventHeader header;
    header.name = h.at("name").as_string().c_str();
    header.type = static_cast<HeaderType>(h.at("type").to_number<int>());
    const auto& value = h.at("value");
    switch (header.type) {
      case HeaderType::kBoolTrue:
      case HeaderType::kBoolFalse:
        header.integer = value.as_bool() ? 1 : 0;
        break;
      case HeaderType::kBytes:
      case HeaderType::kString:
      case HeaderType::kUuid:
        header.bytes = Base64Decode(value.as_string());
        break;
      default:
        header.integer = value.to_number<int64_t>();
        break;
    }
    v.message.headers.push_back(header);
  }
  return v;
}

std::vector<std::string> PositiveNames() {
  std::vector<std::string> names;
  fs::path dir = GoTestdata() / "decoded" / "positive";
  if (!fs::is_directory(dir)) return names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

uint32_t Be32(std::string_view s, size_t at) {
  return static_cast<uint32_t>(static_cast<unsigned char>(s[at])) << 24 |
         static_cast<uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16 |
         static_cast<uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8 |
         static_cast<uint32_t>(static_cast<unsigned char>(s[at + 3]));
}

// Feeds `bytes` in pieces cut at `cuts` (ascending offsets) and collects the messages.
core::Result<std::vector<EventMessage>> DecodeSplit(std::string_view bytes,
                                                    const std::vector<size_t>& cuts) {
  EventStreamDecoder decoder;
  std::vector<EventMessage> out;
  auto collect = [&](const EventMessageView& m) {
    out.push_back(m.ToMessage());
    return core::OkStatus();
  };
  size_t prev = 0;
  for (size_t cut : cuts) {
    BEDROCK_TRY(decoder.Feed(bytes.substr(prev, cut - prev), collect));
    prev = cut;
  }
  BEDROCK_TRY(decoder.Feed(bytes.substr(prev), collect));
  BEDROCK_TRY(decoder.Finish());
  return out;
}

TEST(Crc32Test, MatchesZlibCheckValue) {
  EXPECT_EQ(internal::Crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(internal::Crc32(""), 0u);
  std::string long_text(1000, 'a');
  for (size_t i = 0; i < long_text.size(); ++i) long_text[i] = static_cast<char>(i * 7);
  uint32_t split = internal::Crc32Update(internal::Crc32(long_text.substr(0, 333)),
                                         std::string_view(long_text).substr(333));
  EXPECT_EQ(split, internal::Crc32(long_text));
}

TEST(EventStreamVectorsTest, PositiveVectorsDecodeToTheirJson) {
  auto names = PositiveNames();
  ASSERT_EQ(names.size(), 5u) << "vectors missing under " << GoTestdata();
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    DecodedVector expected = LoadDecoded(GoTestdata() / "decoded" / "positive" / name);
    std::string bytes = testing::ReadFile(GoTestdata() / "encoded-regenerated" / "positive" / name);
    ASSERT_EQ(bytes.size(), expected.total_length);
    EXPECT_EQ(Be32(bytes, 4), expected.headers_length);
    EXPECT_EQ(Be32(bytes, 8), expected.prelude_crc);
    EXPECT_EQ(Be32(bytes, bytes.size() - 4), expected.message_crc);
    auto messages = DecodeAll(bytes);
    ASSERT_TRUE(messages.ok()) << messages.error().ToString();
    ASSERT_EQ(messages->size(), 1u);
    EXPECT_EQ((*messages)[0], expected.message);
  }
}

TEST(EventStreamVectorsTest, PositiveVectorsEncodeToTheirBytes) {
  for (const auto& name : PositiveNames()) {
    SCOPED_TRACE(name);
    DecodedVector v = LoadDecoded(GoTestdata() / "decoded" / "positive" / name);
    auto encoded = EncodeMessage(v.message);
    ASSERT_TRUE(encoded.ok()) << encoded.error().ToString();
    EXPECT_EQ(*encoded,
              testing::ReadFile(GoTestdata() / "encoded-regenerated" / "positive" / name));
  }
}

TEST(EventStreamVectorsTest, PositiveVectorsDecodeWhenSplitAtEveryByte) {
  for (const auto& name : PositiveNames()) {
    SCOPED_TRACE(name);
    std::string bytes = testing::ReadFile(GoTestdata() / "encoded-regenerated" / "positive" / name);
    std::string twice = bytes + bytes;
    for (size_t cut = 0; cut <= twice.size(); ++cut) {
      auto messages = DecodeSplit(twice, {cut});
      ASSERT_TRUE(messages.ok()) << "cut " << cut << ": " << messages.error().ToString();
      EXPECT_EQ(messages->size(), 2u);
    }
  }
}

// The negative vectors name a corruption and the expected error text; the corrupt frames are made
// from every positive frame the corruption applies to.
TEST(EventStreamVectorsTest, NegativeVectorsFailWithTheExpectedError) {
  fs::path dir = GoTestdata() / "decoded" / "negative";
  ASSERT_TRUE(fs::is_directory(dir));
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    std::string expected_text = testing::ReadFile(entry.path());
    SCOPED_TRACE(name);
    for (const auto& positive : PositiveNames()) {
      std::string bytes =
          testing::ReadFile(GoTestdata() / "encoded-regenerated" / "positive" / positive);
      uint32_t headers_length = Be32(bytes, 4);
      size_t payload_length = bytes.size() - 16 - headers_length;
      if (name == "corrupted_length") {
        bytes[3] ^= 0x01;
      } else if (name == "corrupted_header_len") {
        bytes[7] ^= 0x01;
      } else if (name == "corrupted_headers") {
        if (headers_length == 0) continue;
        bytes[12 + headers_length / 2] ^= 0x20;
      } else if (name == "corrupted_payload") {
        if (payload_length == 0) continue;
        bytes[12 + headers_length] ^= 0x20;
      } else {
        FAIL() << "unknown negative vector " << name;
      }
      auto messages = DecodeAll(bytes);
      ASSERT_FALSE(messages.ok()) << positive;
      EXPECT_EQ(messages.error().code(), core::ErrorCode::kDataLoss);
      EXPECT_NE(messages.error().message().find(expected_text), std::string::npos)
          << positive << ": " << messages.error().ToString();
      ++checked;
    }
  }
  EXPECT_GE(checked, 4);
}

TEST(EventStreamVectorsTest, RealBedrockChunkFrameDecodes) {
  std::string bytes = testing::ReadFile(EventStreamDir() / "ai21-python-chunk-frame.bin");
  ASSERT_EQ(bytes.size(), 267u);
  auto messages = DecodeAll(bytes);
  ASSERT_TRUE(messages.ok()) << messages.error().ToString();
  ASSERT_EQ(messages->size(), 1u);
  const EventMessage& m = (*messages)[0];
  ASSERT_EQ(m.headers.size(), 3u);
  EXPECT_EQ(m.headers[0], EventHeader::String(":event-type", "chunk"));
  EXPECT_EQ(m.headers[1], EventHeader::String(":content-type", "application/json"));
  EXPECT_EQ(m.headers[2], EventHeader::String(":message-type", "event"));
  EXPECT_TRUE(m.payload.starts_with(R"({"bytes":")"));
  EXPECT_EQ(m.payload.size(), 267u - 16 - 75);  // total - prelude - CRC - headers
  // Our encoder produces the same bytes.
  EXPECT_EQ(EncodeEvent("chunk", m.payload), bytes);
}

struct SampleLine {
  std::string event_type;
  uint32_t total, headers_length, prelude_crc, message_crc;
  std::string payload;
};

std::vector<SampleLine> LoadSampleLines() {
  std::vector<SampleLine> lines;
  std::string text = testing::ReadFile(EventStreamDir() / "converse-stream-sample.txt");
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    SampleLine s;
    s.event_type = line.substr(0, line.find(' '));
    auto field = [&](const std::string& key) {
      size_t at = line.find(key + "=") + key.size() + 1;
      return line.substr(at, line.find(' ', at) - at);
    };
    s.total = static_cast<uint32_t>(std::stoul(field("total")));
    s.headers_length = static_cast<uint32_t>(std::stoul(field("headers_len")));
    s.prelude_crc = static_cast<uint32_t>(std::stoul(field("prelude_crc"), nullptr, 16));
    s.message_crc = static_cast<uint32_t>(std::stoul(field("msg_crc"), nullptr, 16));
    s.payload = line.substr(line.find("payload=") + 8);
    lines.push_back(s);
  }
  return lines;
}

TEST(EventStreamVectorsTest, ConverseStreamSampleMatchesItsListing) {
  std::string bytes = testing::ReadFile(EventStreamDir() / "converse-stream-sample.bin");
  auto lines = LoadSampleLines();
  ASSERT_EQ(lines.size(), 8u);
  auto messages = DecodeAll(bytes);
  ASSERT_TRUE(messages.ok()) << messages.error().ToString();
  ASSERT_EQ(messages->size(), lines.size());
  size_t offset = 0;
  std::string reencoded;
  for (size_t i = 0; i < lines.size(); ++i) {
    SCOPED_TRACE(lines[i].event_type);
    EXPECT_EQ(Be32(bytes, offset), lines[i].total);
    EXPECT_EQ(Be32(bytes, offset + 4), lines[i].headers_length);
    EXPECT_EQ(Be32(bytes, offset + 8), lines[i].prelude_crc);
    EXPECT_EQ(Be32(bytes, offset + lines[i].total - 4), lines[i].message_crc);
    offset += lines[i].total;
    const EventMessage& m = (*messages)[i];
    EXPECT_EQ(m.payload, lines[i].payload);
    std::vector<EventHeaderView> views;
    for (const auto& h : m.headers) views.push_back(h.View());
    auto event = InterpretMessage(EventMessageView(views, m.payload));
    ASSERT_TRUE(event.ok()) << event.error().ToString();
    EXPECT_EQ(event->event_type, lines[i].event_type);
    EXPECT_EQ(event->content_type, "application/json");
    reencoded += EncodeEvent(event->event_type, m.payload);
  }
  EXPECT_EQ(reencoded, bytes);
}

TEST(EventStreamVectorsTest, ConverseStreamSampleDecodesUnderRandomSplits) {
  std::string bytes = testing::ReadFile(EventStreamDir() / "converse-stream-sample.bin");
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    std::vector<size_t> cuts;
    size_t at = 0;
    while (true) {
      at += 1 + rng() % 40;
      if (at >= bytes.size()) break;
      cuts.push_back(at);
    }
    auto messages = DecodeSplit(bytes, cuts);
    ASSERT_TRUE(messages.ok()) << messages.error().ToString();
    ASSERT_EQ(messages->size(), 8u);
  }
}

TEST(EventStreamVectorsTest, ThrottlingExceptionFrameBecomesResourceExhausted) {
  std::string bytes =
      testing::ReadFile(EventStreamDir() / "converse-stream-throttling-exception.bin");
  EventStreamDecoder decoder;
  std::optional<core::Error> error;
  auto status = decoder.Feed(bytes, [&](const EventMessageView& m) -> core::Status {
    auto event = InterpretMessage(m);
    EXPECT_FALSE(event.ok());
    if (!event.ok()) error = event.error();
    auto aws = MessageAsAwsError(m);
    EXPECT_TRUE(aws.has_value());
    if (aws) {
      EXPECT_EQ(aws->type, "ThrottlingException");
    }
    return core::OkStatus();
  });
  ASSERT_TRUE(status.ok()) << status.error().ToString();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code(), core::ErrorCode::kResourceExhausted);
  EXPECT_EQ(error->message(),
            "ThrottlingException: Too many tokens, please wait before trying again.");
}

// --- Encoder and decoder behaviour ---

TEST(EventStreamTest, EveryHeaderTypeRoundTrips) {
  EventMessage m;
  m.headers = {EventHeader::Bool("t", true),
               EventHeader::Bool("f", false),
               EventHeader::Byte("b", -5),
               EventHeader::Short("s", -300),
               EventHeader::Int("i", -70000),
               EventHeader::Long("l", -5000000000LL),
               EventHeader::Bytes("y", std::string("\0\1\2", 3)),
               EventHeader::String("str", "h\xc3\xa9llo"),
               EventHeader::Timestamp("ts", 1700000000123LL),
               EventHeader::Uuid("u", {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})};
  m.payload = "payload";
  auto bytes = EncodeMessage(m);
  ASSERT_TRUE(bytes.ok());
  auto decoded = DecodeAll(*bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().ToString();
  ASSERT_EQ(decoded->size(), 1u);
  EXPECT_EQ((*decoded)[0], m);
}

TEST(EventStreamTest, EmptyMessageIsSixteenBytes) {
  auto bytes = EncodeMessage({});
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, testing::ReadFile(GoTestdata() / "encoded-regenerated/positive/empty_message"));
}

TEST(EventStreamTest, EncoderRejectsAnEmptyHeaderName) {
  EventMessage m{{EventHeader::String("", "v")}, ""};
  EXPECT_EQ(EncodeMessage(m).error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(EventStreamTest, EncoderRejectsALongHeaderName) {
  EventMessage m{{EventHeader::String(std::string(256, 'n'), "v")}, ""};
  EXPECT_EQ(EncodeMessage(m).error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(EventStreamTest, EncoderRejectsAStringValueOver64KiB) {
  EventMessage m{{EventHeader::String("n", std::string(65536, 'v'))}, ""};
  EXPECT_EQ(EncodeMessage(m).error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(EventStreamTest, EncoderRejectsAPayloadOverTheLimit) {
  EventMessage m{{}, std::string(101, 'p')};
  EXPECT_EQ(EncodeMessage(m, {.max_payload_length = 100}).error().code(),
            core::ErrorCode::kPayloadTooLarge);
}

TEST(EventStreamTest, TruncatedFrameIsReportedAtFinish) {
  std::string frame = EncodeEvent("messageStart", R"({"role":"assistant"})");
  EventStreamDecoder decoder;
  int count = 0;
  ASSERT_TRUE(decoder
                  .Feed(std::string_view(frame).substr(0, frame.size() - 5),
                        [&](const auto&) {
                          ++count;
                          return core::OkStatus();
                        })
                  .ok());
  EXPECT_EQ(count, 0);
  auto status = decoder.Finish();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), core::ErrorCode::kDataLoss);
  EXPECT_NE(status.error().message().find("truncated"), std::string::npos);
}

TEST(EventStreamTest, TruncatedPreludeIsReportedAtFinish) {
  EventStreamDecoder decoder;
  ASSERT_TRUE(
      decoder.Feed(std::string_view("\0\0\0", 3), [](const auto&) { return core::OkStatus(); })
          .ok());
  auto status = decoder.Finish();
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message().find("prelude"), std::string::npos);
}

// Builds a frame with a valid prelude CRC and message CRC around arbitrary header bytes.
std::string FrameWithHeaderBytes(std::string_view header_bytes, std::string_view payload = "") {
  std::string out(12, '\0');
  out.append(header_bytes);
  out.append(payload);
  uint32_t total = static_cast<uint32_t>(out.size() + 4);
  auto put = [&](size_t at, uint32_t v) {
    out[at] = static_cast<char>(v >> 24);
    out[at + 1] = static_cast<char>(v >> 16);
    out[at + 2] = static_cast<char>(v >> 8);
    out[at + 3] = static_cast<char>(v);
  };
  put(0, total);
  put(4, static_cast<uint32_t>(header_bytes.size()));
  put(8, internal::Crc32(std::string_view(out).substr(0, 8)));
  out.append(4, '\0');
  put(out.size() - 4, internal::Crc32(std::string_view(out).substr(0, out.size() - 4)));
  return out;
}

TEST(EventStreamTest, UnknownHeaderTypeIsRejected) {
  auto result =
      DecodeAll(FrameWithHeaderBytes(std::string("\x01"
                                                 "a"
                                                 "\x0a",
                                                 3)));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), core::ErrorCode::kDataLoss);
  EXPECT_NE(result.error().message().find("unknown value type 10"), std::string::npos);
}

TEST(EventStreamTest, HeaderValuePastTheHeadersSectionIsRejected) {
  // A string header claiming 5 bytes with only 2 present.
  auto result =
      DecodeAll(FrameWithHeaderBytes(std::string("\x01"
                                                 "a"
                                                 "\x07\x00\x05"
                                                 "ab",
                                                 6)));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find("runs past"), std::string::npos);
}

TEST(EventStreamTest, HeaderNamePastTheHeadersSectionIsRejected) {
  auto result =
      DecodeAll(FrameWithHeaderBytes(std::string("\x09"
                                                 "ab",
                                                 3)));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find("name runs past"), std::string::npos);
}

TEST(EventStreamTest, EmptyHeaderNameIsRejected) {
  auto result = DecodeAll(FrameWithHeaderBytes(std::string("\x00\x00", 2)));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find("empty name"), std::string::npos);
}

TEST(EventStreamTest, IntegerHeaderPastTheSectionIsRejected) {
  auto result =
      DecodeAll(FrameWithHeaderBytes(std::string("\x01"
                                                 "a"
                                                 "\x05\x00\x00",
                                                 5)));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find("runs past"), std::string::npos);
}

TEST(EventStreamTest, TotalLengthBelowMinimumIsRejected) {
  std::string frame = FrameWithHeaderBytes("");
  // Rewrite total_length to 8 with a matching prelude CRC.
  frame[3] = 8;
  uint32_t crc = internal::Crc32(std::string_view(frame).substr(0, 8));
  for (int i = 0; i < 4; ++i) frame[8 + i] = static_cast<char>(crc >> (24 - 8 * i));
  auto result = DecodeAll(frame);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find("below the minimum"), std::string::npos);
}

TEST(EventStreamTest, HeadersLengthLargerThanMessageIsRejected) {
  std::string frame = FrameWithHeaderBytes("");
  frame[7] = 100;
  uint32_t crc = internal::Crc32(std::string_view(frame).substr(0, 8));
  for (int i = 0; i < 4; ++i) frame[8 + i] = static_cast<char>(crc >> (24 - 8 * i));
  auto result = DecodeAll(frame);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message().find("does not fit"), std::string::npos);
}

TEST(EventStreamTest, OversizedPayloadIsRejectedFromThePrelude) {
  std::string frame = EncodeEvent("chunk", std::string(200, 'x'));
  EventStreamDecoder decoder({.max_headers_length = 1024, .max_payload_length = 100});
  // Only the prelude is fed: the limit is enforced before buffering the body.
  auto status = decoder.Feed(std::string_view(frame).substr(0, 12),
                             [](const auto&) { return core::OkStatus(); });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), core::ErrorCode::kPayloadTooLarge);
}

TEST(EventStreamTest, DecoderStaysFailedAfterAnError) {
  std::string bad = EncodeEvent("a", "{}");
  bad[bad.size() - 1] ^= 1;
  EventStreamDecoder decoder;
  auto cb = [](const auto&) { return core::OkStatus(); };
  EXPECT_FALSE(decoder.Feed(bad, cb).ok());
  EXPECT_TRUE(decoder.failed());
  EXPECT_FALSE(decoder.Feed(EncodeEvent("a", "{}"), cb).ok());
  EXPECT_FALSE(decoder.Finish().ok());
}

TEST(EventStreamTest, CallbackErrorStopsDecoding) {
  std::string two = EncodeEvent("a", "{}") + EncodeEvent("b", "{}");
  EventStreamDecoder decoder;
  int count = 0;
  auto status = decoder.Feed(two, [&](const auto&) -> core::Status {
    ++count;
    return core::Error::Cancelled("stop");
  });
  EXPECT_EQ(count, 1);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), core::ErrorCode::kCancelled);
}

TEST(EventStreamTest, ManyMessagesInOneChunk) {
  std::string all;
  for (int i = 0; i < 100; ++i) all += EncodeEvent("contentBlockDelta", std::to_string(i));
  auto messages = DecodeAll(all);
  ASSERT_TRUE(messages.ok());
  ASSERT_EQ(messages->size(), 100u);
  EXPECT_EQ((*messages)[99].payload, "99");
}

TEST(EventStreamTest, ByteAtATimeFeeding) {
  std::string all = EncodeEvent("a", "hello") + EncodeException("throttlingException", "{}");
  EventStreamDecoder decoder;
  std::vector<std::string> types;
  for (char c : all) {
    ASSERT_TRUE(decoder
                    .Feed(std::string_view(&c, 1),
                          [&](const EventMessageView& m) {
                            types.emplace_back(m.StringHeader(":message-type").value_or("?"));
                            return core::OkStatus();
                          })
                    .ok());
  }
  EXPECT_TRUE(decoder.Finish().ok());
  EXPECT_EQ(types, (std::vector<std::string>{"event", "exception"}));
  EXPECT_EQ(decoder.messages_decoded(), 2u);
}

// Decodes one frame and returns what InterpretMessage made of it (OK for an event).
core::Status InterpretFrame(std::string_view frame) {
  EventStreamDecoder decoder;
  core::Status result;
  int count = 0;
  auto fed = decoder.Feed(frame, [&](const EventMessageView& m) {
    ++count;
    auto event = InterpretMessage(m);
    if (!event.ok()) result = event.error();
    return core::OkStatus();
  });
  EXPECT_TRUE(fed.ok());
  EXPECT_EQ(count, 1);
  return result;
}

TEST(EventStreamInterpretTest, ModelStreamErrorKeepsOriginalFields) {
  auto r = InterpretFrame(
      EncodeException("modelStreamErrorException",
                      R"({"message":"boom","originalStatusCode":500,"originalMessage":"x"})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), core::ErrorCode::kUpstreamFailure);
  EXPECT_EQ(r.error().message(),
            "ModelStreamErrorException: boom (originalStatusCode: 500) (originalMessage: x)");
}

TEST(EventStreamInterpretTest, ValidationExceptionInStreamIsInvalidArgument) {
  auto r = InterpretFrame(EncodeException("validationException", R"({"message":"bad"})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(EventStreamInterpretTest, UnmodeledErrorFrameUsesErrorCodeHeader) {
  auto r = InterpretFrame(EncodeError("InternalFailure", "An internal error occurred"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), core::ErrorCode::kUpstreamFailure);
  EXPECT_EQ(r.error().message(), "InternalFailure: An internal error occurred");
}

TEST(EventStreamInterpretTest, ExceptionWithNonJsonPayloadKeepsTheText) {
  auto r = InterpretFrame(EncodeException("throttlingException", "slow down"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "ThrottlingException: slow down");
}

TEST(EventStreamInterpretTest, UnknownExceptionTypeIsUpstreamFailure) {
  auto r = InterpretFrame(EncodeException("weirdException", R"({"message":"m"})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), core::ErrorCode::kUpstreamFailure);
  EXPECT_EQ(r.error().message(), "WeirdException: m");
}

TEST(EventStreamInterpretTest, MissingMessageTypeIsDataLoss) {
  auto r = InterpretFrame(*EncodeMessage({{EventHeader::String(":event-type", "x")}, "{}"}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), core::ErrorCode::kDataLoss);
}

TEST(EventStreamInterpretTest, UnknownMessageTypeIsDataLoss) {
  auto r = InterpretFrame(*EncodeMessage({{EventHeader::String(":message-type", "other")}, ""}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("unknown :message-type 'other'"), std::string::npos);
}

TEST(EventStreamInterpretTest, EventWithoutEventTypeIsDataLoss) {
  auto r = InterpretFrame(*EncodeMessage({{EventHeader::String(":message-type", "event")}, ""}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), core::ErrorCode::kDataLoss);
}

TEST(EventStreamInterpretTest, MessageTypeThatIsNotAStringIsDataLoss) {
  auto r = InterpretFrame(*EncodeMessage({{EventHeader::Int(":message-type", 1)}, ""}));
  ASSERT_FALSE(r.ok());
}

}  // namespace
}  // namespace bedrock::aws

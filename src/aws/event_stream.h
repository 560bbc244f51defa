// The AWS event-stream framing (`application/vnd.amazon.eventstream`): an encoder and an
// incremental decoder that checks both CRCs.
//
// Decoding a response body that arrives in arbitrary chunks:
//
//   aws::EventStreamDecoder decoder;
//   for (std::string_view chunk : body_chunks) {
//     BEDROCK_TRY(decoder.Feed(chunk, [&](const aws::EventMessageView& m) -> core::Status {
//       auto event = BEDROCK_TRY(aws::InterpretMessage(m));   // exception frames become errors
//       if (event.event_type == "contentBlockDelta") HandleDelta(event.payload);
//       return core::OkStatus();
//     }));
//   }
//   BEDROCK_TRY(decoder.Finish());   // a truncated last frame is an error
//
// Encoding (the emulator):
//
//   std::string frame = aws::EncodeEvent("messageStart", R"({"role":"assistant"})");
//
// Frame layout (all integers big-endian): total_length u32, headers_length u32, prelude_crc u32
// (CRC-32 of the first 8 bytes), headers, payload, message_crc u32 (CRC-32 of everything before
// it). Header: name_length u8, name, type u8, value (see HeaderType).
//
// Thread-safety: EventStreamDecoder is not thread-safe (one per stream). Everything else is a value
// type or a pure function.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aws/errors.h"
#include "core/result.h"

namespace bedrock::aws {

enum class HeaderType : uint8_t {
  kBoolTrue = 0,
  kBoolFalse = 1,
  kByte = 2,       // int8
  kShort = 3,      // int16
  kInt = 4,        // int32
  kLong = 5,       // int64
  kBytes = 6,      // u16 length + bytes
  kString = 7,     // u16 length + UTF-8
  kTimestamp = 8,  // int64 milliseconds since the epoch
  kUuid = 9,       // 16 bytes
};

// A header whose name and byte/string/uuid value view the frame (or the encoder's input).
struct EventHeaderView {
  std::string_view name;
  HeaderType type = HeaderType::kString;
  int64_t integer = 0;     // bool (1/0), byte, short, int, long, timestamp (ms)
  std::string_view bytes;  // byte array, string, or the 16 uuid bytes

  bool IsString() const { return type == HeaderType::kString; }
};

// An owned header, for building messages to encode.
struct EventHeader {
  std::string name;
  HeaderType type = HeaderType::kString;
  int64_t integer = 0;
  std::string bytes;

  static EventHeader String(std::string name, std::string value);
  static EventHeader Bytes(std::string name, std::string value);
  static EventHeader Bool(std::string name, bool value);
  static EventHeader Byte(std::string name, int8_t value);
  static EventHeader Short(std::string name, int16_t value);
  static EventHeader Int(std::string name, int32_t value);
  static EventHeader Long(std::string name, int64_t value);
  static EventHeader Timestamp(std::string name, int64_t millis_since_epoch);
  static EventHeader Uuid(std::string name, const std::array<uint8_t, 16>& value);

  EventHeaderView View() const { return {name, type, integer, bytes}; }
  bool operator==(const EventHeader&) const = default;
};

struct EventMessage {
  std::vector<EventHeader> headers;
  std::string payload;
  bool operator==(const EventMessage&) const = default;
};

// A decoded message. Views into the decoder's buffer or the fed chunk: valid only during the
// callback that receives it. Copy with ToMessage() to keep it.
class EventMessageView {
 public:
  EventMessageView(std::span<const EventHeaderView> headers, std::string_view payload)
      : headers_(headers), payload_(payload) {}

  std::span<const EventHeaderView> headers() const { return headers_; }
  std::string_view payload() const { return payload_; }

  // The first header of this name (exact, case-sensitive as on the wire).
  const EventHeaderView* Find(std::string_view name) const;
  // The value of a string header; nullopt when absent or not a string.
  std::optional<std::string_view> StringHeader(std::string_view name) const;

  EventMessage ToMessage() const;

 private:
  std::span<const EventHeaderView> headers_;
  std::string_view payload_;
};

struct EventStreamLimits {
  // The spec's limits: encoded headers up to 128 KiB, payload up to 24 MiB.
  uint32_t max_headers_length = 128 * 1024;
  uint32_t max_payload_length = 24 * 1024 * 1024;
};

// Minimum message size: prelude (12) + message CRC (4).
inline constexpr uint32_t kEventStreamMinMessage = 16;

// Encodes one message. Fails (kInvalidArgument) on an empty or >255-byte header name, a string or
// byte value over 65535 bytes, or headers/payload over the limits.
core::Result<std::string> EncodeMessage(const EventMessage& message,
                                        const EventStreamLimits& limits = {});
// Appends one encoded message to `out`; the headers are views.
core::Status EncodeMessageTo(std::string& out, std::span<const EventHeaderView> headers,
                             std::string_view payload, const EventStreamLimits& limits = {});

// Bedrock's event frame: headers ":event-type", ":content-type", ":message-type" = "event" (in
// the order real Bedrock sends them). Precondition: short names and payload within limits.
std::string EncodeEvent(std::string_view event_type, std::string_view payload,
                        std::string_view content_type = "application/json");
// A modeled exception frame: ":exception-type" (lowerCamel member name, e.g.
// "throttlingException"), ":content-type", ":message-type" = "exception"; payload is JSON.
std::string EncodeException(std::string_view exception_type, std::string_view json_payload);
// An unmodeled error frame: ":message-type" = "error", ":error-code", ":error-message".
std::string EncodeError(std::string_view error_code, std::string_view error_message);

// Incremental decoder: feed bytes split anywhere; every complete message is passed to the
// callback. The first malformed frame (bad CRC, impossible lengths, bad header) fails the decoder:
// that call and every later one return the same error (kDataLoss; kPayloadTooLarge for limits).
// A callback error stops decoding and is returned (the decoder is then failed too).
class EventStreamDecoder {
 public:
  using Callback = std::function<core::Status(const EventMessageView&)>;

  explicit EventStreamDecoder(EventStreamLimits limits = {});

  core::Status Feed(std::string_view bytes, const Callback& on_message);

  // Call at end of stream: fails when a partial message is buffered.
  core::Status Finish() const;

  // Bytes buffered of an incomplete message.
  size_t buffered() const { return buffer_.size(); }
  bool failed() const { return error_.has_value(); }
  uint64_t messages_decoded() const { return messages_; }

 private:
  // Validates the 12-byte prelude at `p`; on success sets *total.
  core::Status CheckPrelude(const unsigned char* p, uint32_t* total);
  // Checks the message CRC, parses headers and calls back. `frame` is exactly one message.
  core::Status Deliver(std::string_view frame, const Callback& on_message);
  core::Status Fail(core::Error error);

  EventStreamLimits limits_;
  std::string buffer_;     // a partial message
  uint32_t expected_ = 0;  // total length of the buffered message, once its prelude is known
  std::vector<EventHeaderView> headers_;  // reused per message
  std::optional<core::Error> error_;
  uint64_t messages_ = 0;
};

// Decodes the headers block of a message into `out` (views into `headers`).
core::Status DecodeHeaders(std::string_view headers, std::vector<EventHeaderView>& out);

// Decodes a buffer holding whole messages (tests, small bodies). Fails on a trailing partial one.
core::Result<std::vector<EventMessage>> DecodeAll(std::string_view bytes,
                                                  const EventStreamLimits& limits = {});

// --- Message categories (Smithy event streams) ---

// An `event` message: `:event-type` names the union member (e.g. "contentBlockDelta").
struct EventView {
  std::string_view event_type;
  std::string_view content_type;  // empty when absent
  std::string_view payload;
};

// An `exception` or `error` message as the AWS error it carries (http_status 0).
// Precondition-free: returns nullopt for `event` messages.
std::optional<AwsError> MessageAsAwsError(const EventMessageView& message);

// Interprets a message: an event becomes an EventView; an `exception` (`:exception-type` +
// JSON `{"message":...}`) or `error` (`:error-code`, `:error-message`) message becomes the
// core::Error its AWS type maps to (message "ThrottlingException: ..."); a missing or unknown
// `:message-type`, or an event without `:event-type`, is kDataLoss.
core::Result<EventView> InterpretMessage(const EventMessageView& message);

}  // namespace bedrock::aws

#include "aws/event_stream.h"

#include <fmt/format.h>

#include <cstring>

#include "aws/internal/crc32.h"

namespace bedrock::aws {
namespace {

using internal::Crc32Update;

uint32_t LoadBe32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | static_cast<uint32_t>(p[3]);
}

uint64_t LoadBe64(const unsigned char* p) {
  return static_cast<uint64_t>(LoadBe32(p)) << 32 | LoadBe32(p + 4);
}

void AppendBe(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void StoreBe32(char* p, uint32_t v) {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}

// Encoded size of one header's value, excluding name and type byte.
size_t ValueSize(const EventHeaderView& h) {
  switch (h.type) {
    case HeaderType::kBoolTrue:
    case HeaderType::kBoolFalse:
      return 0;
    case HeaderType::kByte:
      return 1;
    case HeaderType::kShort:
      return 2;
    case HeaderType::kInt:
      return 4;
    case HeaderType::kLong:
    case HeaderType::kTimestamp:
      return 8;
    case HeaderType::kBytes:
    case HeaderType::kString:
      return 2 + h.bytes.size();
    case HeaderType::kUuid:
      return 16;
  }
  return 0;
}

core::Status ValidateHeader(const EventHeaderView& h) {
  if (h.name.empty() || h.name.size() > 255) {
    return core::Error::InvalidArgument("event-stream header name must be 1..255 bytes, got {}",
                                        h.name.size());
  }
  if ((h.type == HeaderType::kBytes || h.type == HeaderType::kString) && h.bytes.size() > 0xFFFF) {
    return core::Error::InvalidArgument("event-stream header '{}' value is {} bytes (max 65535)",
                                        h.name, h.bytes.size());
  }
  if (h.type == HeaderType::kUuid && h.bytes.size() != 16) {
    return core::Error::InvalidArgument("event-stream header '{}' uuid must be 16 bytes", h.name);
  }
  if (static_cast<uint8_t>(h.type) > 9) {
    return core::Error::InvalidArgument("event-stream header '{}' has unknown type {}", h.name,
                                        static_cast<int>(h.type));
  }
  return core::OkStatus();
}

void AppendHeader(std::string& out, const EventHeaderView& h) {
  out.push_back(static_cast<char>(h.name.size()));
  out.append(h.name);
  out.push_back(static_cast<char>(h.type));
  switch (h.type) {
    case HeaderType::kBoolTrue:
    case HeaderType::kBoolFalse:
      break;
    case HeaderType::kByte:
      AppendBe(out, static_cast<uint64_t>(h.integer), 1);
      break;
    case HeaderType::kShort:
      AppendBe(out, static_cast<uint64_t>(h.integer), 2);
      break;
    case HeaderType::kInt:
      AppendBe(out, static_cast<uint64_t>(h.integer), 4);
      break;
    case HeaderType::kLong:
    case HeaderType::kTimestamp:
      AppendBe(out, static_cast<uint64_t>(h.integer), 8);
      break;
    case HeaderType::kBytes:
    case HeaderType::kString:
      AppendBe(out, h.bytes.size(), 2);
      out.append(h.bytes);
      break;
    case HeaderType::kUuid:
      out.append(h.bytes);
      break;
  }
}

// Writes the prelude and message CRC around headers and payload already appended at `start`.
void SealFrame(std::string& out, size_t start, uint32_t headers_length) {
  uint32_t total = static_cast<uint32_t>(out.size() - start + 4);
  StoreBe32(&out[start], total);
  StoreBe32(&out[start + 4], headers_length);
  uint32_t crc = Crc32Update(0, out.data() + start, 8);
  StoreBe32(&out[start + 8], crc);
  crc = Crc32Update(crc, out.data() + start + 8, out.size() - start - 8);
  out.append(4, '\0');
  StoreBe32(&out[out.size() - 4], crc);
}

std::string EncodeStringHeaders(
    std::initializer_list<std::pair<std::string_view, std::string_view>> headers,
    std::string_view payload) {
  std::string out;
  size_t size = 16 + payload.size();
  for (const auto& [n, v] : headers) size += 4 + n.size() + v.size();
  out.reserve(size);
  out.append(12, '\0');
  for (const auto& [n, v] : headers) {
    AppendHeader(out, EventHeaderView{n, HeaderType::kString, 0, v});
  }
  uint32_t headers_length = static_cast<uint32_t>(out.size() - 12);
  out.append(payload);
  SealFrame(out, 0, headers_length);
  return out;
}

}  // namespace

// --- EventHeader factories ---

EventHeader EventHeader::String(std::string name, std::string value) {
  return {std::move(name), HeaderType::kString, 0, std::move(value)};
}
EventHeader EventHeader::Bytes(std::string name, std::string value) {
  return {std::move(name), HeaderType::kBytes, 0, std::move(value)};
}
EventHeader EventHeader::Bool(std::string name, bool value) {
  return {
      std::move(name), value ? HeaderType::kBoolTrue : HeaderType::kBoolFalse, value ? 1 : 0, {}};
}
EventHeader EventHeader::Byte(std::string name, int8_t value) {
  return {std::move(name), HeaderType::kByte, value, {}};
}
EventHeader EventHeader::Short(std::string name, int16_t value) {
  return {std::move(name), HeaderType::kShort, value, {}};
}
EventHeader EventHeader::Int(std::string name, int32_t value) {
  return {std::move(name), HeaderType::kInt, value, {}};
}
EventHeader EventHeader::Long(std::string name, int64_t value) {
  return {std::move(name), HeaderType::kLong, value, {}};
}
EventHeader EventHeader::Timestamp(std::string name, int64_t millis_since_epoch) {
  return {std::move(name), HeaderType::kTimestamp, millis_since_epoch, {}};
}
EventHeader EventHeader::Uuid(std::string name, const std::array<uint8_t, 16>& value) {
  return {std::move(name), HeaderType::kUuid, 0,
          std::string(reinterpret_cast<const char*>(value.data()), value.size())};
}

// --- EventMessageView ---

const EventHeaderView* EventMessageView::Find(std::string_view name) const {
  for (const auto& h : headers_) {
    if (h.name == name) return &h;
  }
  return nullptr;
}

std::optional<std::string_view> EventMessageView::StringHeader(std::string_view name) const {
  const EventHeaderView* h = Find(name);
  if (h == nullptr || h->type != HeaderType::kString) return std::nullopt;
  return h->bytes;
}

EventMessage EventMessageView::ToMessage() const {
  EventMessage m;
  m.headers.reserve(headers_.size());
  for (const auto& h : headers_) {
    m.headers.push_back({std::string(h.name), h.type, h.integer, std::string(h.bytes)});
  }
  m.payload = std::string(payload_);
  return m;
}

// --- Encoding ---

core::Status EncodeMessageTo(std::string& out, std::span<const EventHeaderView> headers,
                             std::string_view payload, const EventStreamLimits& limits) {
  size_t headers_length = 0;
  for (const auto& h : headers) {
    BEDROCK_TRY(ValidateHeader(h));
    headers_length += 2 + h.name.size() + ValueSize(h);
  }
  if (headers_length > limits.max_headers_length) {
    return core::Error::PayloadTooLarge("event-stream headers are {} bytes (max {})",
                                        headers_length, limits.max_headers_length);
  }
  if (payload.size() > limits.max_payload_length) {
    return core::Error::PayloadTooLarge("event-stream payload is {} bytes (max {})", payload.size(),
                                        limits.max_payload_length);
  }
  size_t start = out.size();
  out.reserve(start + 16 + headers_length + payload.size());
  out.append(12, '\0');
  for (const auto& h : headers) AppendHeader(out, h);
  out.append(payload);
  SealFrame(out, start, static_cast<uint32_t>(headers_length));
  return core::OkStatus();
}

core::Result<std::string> EncodeMessage(const EventMessage& message,
                                        const EventStreamLimits& limits) {
  std::vector<EventHeaderView> views;
  views.reserve(message.headers.size());
  for (const auto& h : message.headers) views.push_back(h.View());
  std::string out;
  BEDROCK_TRY(EncodeMessageTo(out, views, message.payload, limits));
  return out;
}

std::string EncodeEvent(std::string_view event_type, std::string_view payload,
                        std::string_view content_type) {
  return EncodeStringHeaders(
      {{":event-type", event_type}, {":content-type", content_type}, {":message-type", "event"}},
      payload);
}

std::string EncodeException(std::string_view exception_type, std::string_view json_payload) {
  return EncodeStringHeaders({{":exception-type", exception_type},
                              {":content-type", "application/json"},
                              {":message-type", "exception"}},
                             json_payload);
}

std::string EncodeError(std::string_view error_code, std::string_view error_message) {
  return EncodeStringHeaders(
      {{":message-type", "error"}, {":error-code", error_code}, {":error-message", error_message}},
      {});
}

// --- Decoding ---

core::Status DecodeHeaders(std::string_view headers, std::vector<EventHeaderView>& out) {
  out.clear();
  const auto* p = reinterpret_cast<const unsigned char*>(headers.data());
  const auto* end = p + headers.size();
  while (p < end) {
    size_t name_length = *p++;
    if (name_length == 0) return core::Error::DataLoss("event-stream header with an empty name");
    if (static_cast<size_t>(end - p) < name_length + 1) {
      return core::Error::DataLoss("event-stream header name runs past the headers section");
    }
    EventHeaderView h;
    h.name = std::string_view(reinterpret_cast<const char*>(p), name_length);
    p += name_length;
    uint8_t type = *p++;
    size_t left = static_cast<size_t>(end - p);
    auto need = [&](size_t n) -> core::Status {
      if (left < n) {
        return core::Error::DataLoss("event-stream header '{}' value runs past the headers section",
                                     h.name);
      }
      return core::OkStatus();
    };
    switch (type) {
      case 0:
      case 1:
        h.integer = type == 0 ? 1 : 0;
        break;
      case 2:
        BEDROCK_TRY(need(1));
        h.integer = static_cast<int8_t>(p[0]);
        p += 1;
        break;
      case 3:
        BEDROCK_TRY(need(2));
        h.integer = static_cast<int16_t>(static_cast<uint16_t>(p[0] << 8 | p[1]));
        p += 2;
        break;
      case 4:
        BEDROCK_TRY(need(4));
        h.integer = static_cast<int32_t>(LoadBe32(p));
        p += 4;
        break;
      case 5:
      case 8:
        BEDROCK_TRY(need(8));
        h.integer = static_cast<int64_t>(LoadBe64(p));
        p += 8;
        break;
      case 6:
      case 7: {
        BEDROCK_TRY(need(2));
        size_t length = static_cast<size_t>(p[0]) << 8 | p[1];
        p += 2;
        left -= 2;
        BEDROCK_TRY(need(length));
        h.bytes = std::string_view(reinterpret_cast<const char*>(p), length);
        p += length;
        break;
      }
      case 9:
        BEDROCK_TRY(need(16));
        h.bytes = std::string_view(reinterpret_cast<const char*>(p), 16);
        p += 16;
        break;
      default:
        return core::Error::DataLoss("event-stream header '{}' has unknown value type {}", h.name,
                                     type);
    }
    h.type = static_cast<HeaderType>(type);
    out.push_back(h);
  }
  return core::OkStatus();
}

EventStreamDecoder::EventStreamDecoder(EventStreamLimits limits) : limits_(limits) {
  headers_.reserve(8);
}

core::Status EventStreamDecoder::Fail(core::Error error) {
  error_ = error;
  buffer_.clear();
  return error;
}

core::Status EventStreamDecoder::CheckPrelude(const unsigned char* p, uint32_t* total) {
  uint32_t total_length = LoadBe32(p);
  uint32_t headers_length = LoadBe32(p + 4);
  uint32_t expected_crc = LoadBe32(p + 8);
  uint32_t crc = Crc32Update(0, p, 8);
  // The CRC is checked first: a corrupted length is reported as what it is, a checksum failure.
  if (crc != expected_crc) {
    return Fail(core::Error::DataLoss(
        "event-stream prelude checksum mismatch: Prelude checksum mismatch (expected {:08x}, "
        "computed {:08x})",
        expected_crc, crc));
  }
  if (total_length < kEventStreamMinMessage) {
    return Fail(core::Error::DataLoss("event-stream message length {} is below the minimum of 16",
                                      total_length));
  }
  if (headers_length > total_length - kEventStreamMinMessage) {
    return Fail(
        core::Error::DataLoss("event-stream headers length {} does not fit in a {}-byte message",
                              headers_length, total_length));
  }
  if (headers_length > limits_.max_headers_length) {
    return Fail(core::Error::PayloadTooLarge("event-stream headers are {} bytes (max {})",
                                             headers_length, limits_.max_headers_length));
  }
  uint32_t payload_length = total_length - headers_length - kEventStreamMinMessage;
  if (payload_length > limits_.max_payload_length) {
    return Fail(core::Error::PayloadTooLarge("event-stream payload is {} bytes (max {})",
                                             payload_length, limits_.max_payload_length));
  }
  *total = total_length;
  return core::OkStatus();
}

core::Status EventStreamDecoder::Deliver(std::string_view frame, const Callback& on_message) {
  const auto* p = reinterpret_cast<const unsigned char*>(frame.data());
  size_t total = frame.size();
  uint32_t headers_length = LoadBe32(p + 4);
  uint32_t expected_crc = LoadBe32(p + total - 4);
  // The message CRC continues the prelude CRC (already verified to equal the stored value).
  uint32_t crc = Crc32Update(LoadBe32(p + 8), p + 8, total - 12);
  if (crc != expected_crc) {
    return Fail(core::Error::DataLoss(
        "event-stream message checksum mismatch: Message checksum mismatch (expected {:08x}, "
        "computed {:08x})",
        expected_crc, crc));
  }
  if (auto status = DecodeHeaders(frame.substr(12, headers_length), headers_); !status.ok()) {
    return Fail(std::move(status).error());
  }
  std::string_view payload = frame.substr(12 + headers_length, total - 16 - headers_length);
  ++messages_;
  if (auto status = on_message(EventMessageView(headers_, payload)); !status.ok()) {
    return Fail(std::move(status).error());
  }
  return core::OkStatus();
}

core::Status EventStreamDecoder::Feed(std::string_view bytes, const Callback& on_message) {
  if (error_) return *error_;
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t size = bytes.size();

  // Complete a buffered partial message first.
  if (!buffer_.empty()) {
    if (expected_ == 0) {
      size_t take = std::min(size, size_t{12} - buffer_.size());
      buffer_.append(reinterpret_cast<const char*>(data), take);
      data += take;
      size -= take;
      if (buffer_.size() < 12) return core::OkStatus();
      BEDROCK_TRY(CheckPrelude(reinterpret_cast<const unsigned char*>(buffer_.data()), &expected_));
      buffer_.reserve(expected_);
    }
    size_t take = std::min(size, size_t{expected_} - buffer_.size());
    buffer_.append(reinterpret_cast<const char*>(data), take);
    data += take;
    size -= take;
    if (buffer_.size() < expected_) return core::OkStatus();
    BEDROCK_TRY(Deliver(buffer_, on_message));
    buffer_.clear();
    expected_ = 0;
  }

  // Whole messages straight from the caller's bytes, without copying.
  while (size >= 12) {
    uint32_t total = 0;
    BEDROCK_TRY(CheckPrelude(data, &total));
    if (size < total) {
      buffer_.reserve(total);
      buffer_.assign(reinterpret_cast<const char*>(data), size);
      expected_ = total;
      return core::OkStatus();
    }
    BEDROCK_TRY(Deliver(std::string_view(reinterpret_cast<const char*>(data), total), on_message));
    data += total;
    size -= total;
  }
  if (size > 0) {
    buffer_.assign(reinterpret_cast<const char*>(data), size);
    expected_ = 0;
  }
  return core::OkStatus();
}

core::Status EventStreamDecoder::Finish() const {
  if (error_) return *error_;
  if (buffer_.empty()) return core::OkStatus();
  if (expected_ == 0) {
    return core::Error::DataLoss(
        "event stream truncated: {} bytes of a message prelude (12 needed) at end of stream",
        buffer_.size());
  }
  return core::Error::DataLoss("event stream truncated: {} of {} message bytes at end of stream",
                               buffer_.size(), expected_);
}

core::Result<std::vector<EventMessage>> DecodeAll(std::string_view bytes,
                                                  const EventStreamLimits& limits) {
  std::vector<EventMessage> messages;
  EventStreamDecoder decoder(limits);
  BEDROCK_TRY(decoder.Feed(bytes, [&](const EventMessageView& m) {
    messages.push_back(m.ToMessage());
    return core::OkStatus();
  }));
  BEDROCK_TRY(decoder.Finish());
  return messages;
}

// --- Message categories ---

std::optional<AwsError> MessageAsAwsError(const EventMessageView& message) {
  auto type = message.StringHeader(":message-type");
  if (type == "exception") {
    return ParseEventStreamException(message.StringHeader(":exception-type").value_or(""),
                                     message.payload());
  }
  if (type == "error") {
    AwsError error;
    error.type =
        std::string(SanitizeAwsErrorType(message.StringHeader(":error-code").value_or("")));
    error.message = std::string(message.StringHeader(":error-message").value_or(""));
    if (error.message.empty() && !message.payload().empty()) {
      error.message = std::string(message.payload().substr(0, 512));
    }
    return error;
  }
  return std::nullopt;
}

core::Result<EventView> InterpretMessage(const EventMessageView& message) {
  auto type = message.StringHeader(":message-type");
  if (!type) return core::Error::DataLoss("event-stream message without a :message-type header");
  if (*type == "event") {
    auto event_type = message.StringHeader(":event-type");
    if (!event_type || event_type->empty()) {
      return core::Error::DataLoss("event-stream event without an :event-type header");
    }
    return EventView{*event_type, message.StringHeader(":content-type").value_or(""),
                     message.payload()};
  }
  if (auto error = MessageAsAwsError(message)) return error->ToError();
  return core::Error::DataLoss("event-stream message has unknown :message-type '{}'",
                               type->substr(0, 64));
}

}  // namespace bedrock::aws

// Structured logging: leveled, one line per record, text or JSON, secrets redacted by construction.
//
//   BEDROCK_LOG_INFO("http", "listening on {}", endpoint);                  // fmt-style message
//   BEDROCK_LOG_WARN("mcp", "server exited", {{"server", name}, {"status", 1}});  // with fields
//   BEDROCK_LOG_DEBUG("aws", "request", {{"headers", headers_json}});       // a boost::json::value
//
// Text:  2024-01-01T00:00:00.000Z WARN  mcp: server exited server=files status=1
// JSON:  {"ts":"2024-01-01T00:00:00.000Z","level":"warn","component":"mcp","msg":"server exited",
//         "server":"files","status":1}
//
// Cost: the macros evaluate nothing (not the message, not the arguments, not the fields) unless the
// level is enabled; a disabled statement is one relaxed atomic load and a compare.
//
// Redaction (core/redact.h) is applied on the way out, so no call site can forget it: a field whose
// key IsSecretKey is written as "[REDACTED]" whatever its value; every other string (the message
// included, after formatting) goes through RedactText; JSON fields through RedactJson. Calls made
// directly to spdlog's default logger are redacted the same way once InitLogging has run.
//
// Lifetimes: LogField refers to its key and value without copying them, which is safe inside one
// log statement (temporaries live until its end); do not keep LogFields.
//
// Thread-safety: logging, SetLogLevel and GetLogLevel may be called from any thread. InitLogging
// may be called again (tests do), also while other threads log through this API; records already
// being written finish on the previous output. Not while other threads call spdlog directly:
// spdlog's set_default_logger, which InitLogging uses, is not safe against that. So call
// InitLogging once at startup, before starting threads.
#pragma once

#include <fmt/core.h>

#include <atomic>
#include <boost/json/fwd.hpp>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "core/result.h"

namespace bedrock::core {

class Clock;

enum class LogLevel : int { kTrace = 0, kDebug, kInfo, kWarn, kError, kOff };
enum class LogFormat { kText, kJson };

// "trace", "debug", "info", "warn", "error" or "off" (any case); anything else is kInvalidArgument.
Result<LogLevel> ParseLogLevel(std::string_view name);
// "text" or "json" (any case).
Result<LogFormat> ParseLogFormat(std::string_view name);
// The lower-case name, as ParseLogLevel accepts it and the JSON format writes it.
std::string_view LogLevelName(LogLevel level);

struct LogOptions {
  LogLevel level = LogLevel::kInfo;
  LogFormat format = LogFormat::kText;
  // Receives each finished line, without its trailing newline; empty means write to stderr. Calls
  // are serialised (one at a time) and must not log.
  std::function<void(std::string_view line)> output;
  // The source of timestamps; nullptr means SystemClock. Must outlive the next InitLogging call.
  const Clock* clock = nullptr;
};

// Configures logging for the process. Before the first call, records at info and above go to stderr
// in the text format. Also installs a redacting formatter on spdlog's default logger.
void InitLogging(LogOptions options);

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();

namespace internal {
inline std::atomic<int> g_log_level{static_cast<int>(LogLevel::kInfo)};
}  // namespace internal

inline bool LogEnabled(LogLevel level) {
  return static_cast<int>(level) >= internal::g_log_level.load(std::memory_order_relaxed);
}

// One key=value of a record. Holds views: see "Lifetimes" above.
class LogField {
 public:
  using Value = std::variant<std::string_view, int64_t, uint64_t, double, bool, std::nullptr_t,
                             const Error*, const boost::json::value*>;

  LogField(std::string_view key, std::string_view value) : key_(key), value_(value) {}
  LogField(std::string_view key, const char* value)
      : key_(key), value_(value != nullptr ? Value(std::string_view(value)) : Value(nullptr)) {}
  LogField(std::string_view key, const std::string& value)
      : key_(key), value_(std::string_view(value)) {}
  template <typename T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char> &&
           !std::is_same_v<T, char8_t> && !std::is_same_v<T, char16_t> &&
           !std::is_same_v<T, char32_t> && !std::is_same_v<T, wchar_t>)
      LogField(std::string_view key, T value)
      : key_(key),
        value_(std::is_signed_v<T> ? Value(static_cast<int64_t>(value))
                                   : Value(static_cast<uint64_t>(value))) {}
  LogField(std::string_view key, bool value) : key_(key), value_(value) {}
  LogField(std::string_view key, double value) : key_(key), value_(value) {}
  LogField(std::string_view key, std::nullptr_t) : key_(key), value_(nullptr) {}
  // Written as "<code name>: <message>".
  LogField(std::string_view key, const Error& error) : key_(key), value_(&error) {}
  // Written as nested JSON in the JSON format and as compact JSON in the text format.
  LogField(std::string_view key, const boost::json::value& json) : key_(key), value_(&json) {}

  std::string_view key() const { return key_; }
  const Value& value() const { return value_; }

 private:
  std::string_view key_;
  Value value_;
};

// Writes one record if `level` is enabled. The macros below are the usual way in; call this
// directly when the message and fields are already at hand.
void Log(LogLevel level, std::string_view component, std::string_view message,
         std::initializer_list<LogField> fields = {});

namespace internal {
void LogFormatted(LogLevel level, std::string_view component, fmt::string_view format,
                  fmt::format_args args);

template <typename... Args>
void LogDispatch(LogLevel level, std::string_view component, fmt::format_string<Args...> format,
                 Args&&... args) {
  LogFormatted(level, component, format, fmt::make_format_args(args...));
}
inline void LogDispatch(LogLevel level, std::string_view component, std::string_view message,
                        std::initializer_list<LogField> fields) {
  Log(level, component, message, fields);
}
}  // namespace internal

}  // namespace bedrock::core

// BEDROCK_LOG(level, component, format, args...)   or   BEDROCK_LOG(level, component, message,
// {fields...}). The message of the second form is not a format string; build it with fmt::format
// inside the macro if needed: that too is only evaluated when the level is enabled.
#define BEDROCK_LOG(level, component, ...)                                   \
  do {                                                                       \
    if (::bedrock::core::LogEnabled(level)) {                                \
      ::bedrock::core::internal::LogDispatch(level, component, __VA_ARGS__); \
    }                                                                        \
  } while (false)

#define BEDROCK_LOG_TRACE(component, ...) \
  BEDROCK_LOG(::bedrock::core::LogLevel::kTrace, component, __VA_ARGS__)
#define BEDROCK_LOG_DEBUG(component, ...) \
  BEDROCK_LOG(::bedrock::core::LogLevel::kDebug, component, __VA_ARGS__)
#define BEDROCK_LOG_INFO(component, ...) \
  BEDROCK_LOG(::bedrock::core::LogLevel::kInfo, component, __VA_ARGS__)
#define BEDROCK_LOG_WARN(component, ...) \
  BEDROCK_LOG(::bedrock::core::LogLevel::kWarn, component, __VA_ARGS__)
#define BEDROCK_LOG_ERROR(component, ...) \
  BEDROCK_LOG(::bedrock::core::LogLevel::kError, component, __VA_ARGS__)

#include "core/log.h"

#include <fmt/format.h>
#include <spdlog/formatter.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/value.hpp>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <span>

#include "core/clock.h"
#include "core/redact.h"
#include "core/utf8.h"

namespace bedrock::core {
namespace {

using Buffer = fmt::basic_memory_buffer<char, 512>;

void Append(Buffer& out, std::string_view s) { out.append(s.data(), s.data() + s.size()); }

// --- Escapers: each appends one piece of already-redacted text. ---

// The two-character escapes the JSON and text formats share; false (nothing appended) otherwise.
bool AppendCommonEscape(Buffer& out, unsigned char c) {
  switch (c) {
    case '"':
      Append(out, "\\\"");
      return true;
    case '\\':
      Append(out, "\\\\");
      return true;
    case '\n':
      Append(out, "\\n");
      return true;
    case '\r':
      Append(out, "\\r");
      return true;
    case '\t':
      Append(out, "\\t");
      return true;
    default:
      return false;
  }
}

// JSON string contents: quotes, backslashes and controls escaped; invalid UTF-8 becomes U+FFFD so
// every line stays valid JSON whatever bytes were logged.
void AppendJsonEscaped(Buffer& out, std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
      size_t run = i;
      while (i < s.size()) {
        unsigned char d = static_cast<unsigned char>(s[i]);
        if (d < 0x20 || d >= 0x80 || d == '"' || d == '\\') break;
        ++i;
      }
      Append(out, s.substr(run, i - run));
      continue;
    }
    if (AppendCommonEscape(out, c)) {
      ++i;
      continue;
    }
    switch (c) {
      case '\b':
        Append(out, "\\b");
        break;
      case '\f':
        Append(out, "\\f");
        break;
      default:
        if (c < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
        } else if (size_t len = Utf8SequenceLength(s, i); len > 0) {
          Append(out, s.substr(i, len));
          i += len;
          continue;
        } else {
          Append(out, "\\ufffd");
        }
    }
    ++i;
  }
}

// Text format: control characters (newlines included, so one record stays one line, and ESC, so a
// log cannot drive the terminal) are escaped; inside quotes also '"' and '\'.
void AppendTextEscaped(Buffer& out, std::string_view s, bool quoted) {
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c != 0x7f && !(quoted && (c == '"' || c == '\\'))) {
      out.push_back(ch);
      continue;
    }
    if (!AppendCommonEscape(out, c)) fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
  }
}

enum class Escape { kJson, kText, kTextQuoted };

// Appends `text` with its secrets replaced and the rest escaped.
void AppendRedacted(Buffer& out, std::string_view text, Escape escape) {
  auto piece = [&](std::string_view s) {
    if (escape == Escape::kJson) {
      AppendJsonEscaped(out, s);
    } else {
      AppendTextEscaped(out, s, escape == Escape::kTextQuoted);
    }
  };
  size_t at = 0;
  for (const SecretSpan& span : FindSecrets(text)) {
    piece(text.substr(at, span.begin - at));
    Append(out, kRedacted);
    at = span.end;
  }
  piece(text.substr(at));
}

bool NeedsQuotes(std::string_view s) {
  if (s.empty()) return true;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) return true;
  }
  return false;
}

void AppendDouble(Buffer& out, double d, bool json) {
  if (std::isfinite(d)) {
    fmt::format_to(std::back_inserter(out), "{}", d);
  } else {
    Append(out, json ? "null" : (std::isnan(d) ? "nan" : (d > 0 ? "inf" : "-inf")));
  }
}

// Compact JSON of an already-redacted value, through our escaper (valid UTF-8 guaranteed).
void AppendJsonValue(Buffer& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      Append(out, "null");
      break;
    case boost::json::kind::bool_:
      Append(out, v.get_bool() ? "true" : "false");
      break;
    case boost::json::kind::int64:
      fmt::format_to(std::back_inserter(out), "{}", v.get_int64());
      break;
    case boost::json::kind::uint64:
      fmt::format_to(std::back_inserter(out), "{}", v.get_uint64());
      break;
    case boost::json::kind::double_:
      AppendDouble(out, v.get_double(), true);
      break;
    case boost::json::kind::string:
      out.push_back('"');
      AppendJsonEscaped(out, std::string_view(v.get_string().data(), v.get_string().size()));
      out.push_back('"');
      break;
    case boost::json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& element : v.get_array()) {
        if (!first) out.push_back(',');
        first = false;
        AppendJsonValue(out, element);
      }
      out.push_back(']');
      break;
    }
    case boost::json::kind::object: {
      out.push_back('{');
      bool first = true;
      for (const auto& member : v.get_object()) {
        if (!first) out.push_back(',');
        first = false;
        out.push_back('"');
        AppendJsonEscaped(out, std::string_view(member.key().data(), member.key().size()));
        Append(out, "\":");
        AppendJsonValue(out, member.value());
      }
      out.push_back('}');
      break;
    }
  }
}

constexpr std::string_view kLevelNames[] = {"trace", "debug", "info", "warn", "error", "off"};
constexpr std::string_view kTextLevelNames[] = {"TRACE", "DEBUG", "INFO ",
                                                "WARN ", "ERROR", "OFF  "};

// Field names the JSON format uses itself; a field with one of these names is written as
// "field_<name>" so every line has unique member names.
bool IsReservedJsonKey(std::string_view key) {
  return key == "ts" || key == "level" || key == "component" || key == "msg";
}

void AppendFieldValueJson(Buffer& out, const LogField& field) {
  if (IsSecretKey(field.key())) {
    fmt::format_to(std::back_inserter(out), "\"{}\"", kRedacted);
    return;
  }
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          out.push_back('"');
          AppendRedacted(out, v, Escape::kJson);
          out.push_back('"');
        } else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, uint64_t>) {
          fmt::format_to(std::back_inserter(out), "{}", v);
        } else if constexpr (std::is_same_v<T, double>) {
          AppendDouble(out, v, true);
        } else if constexpr (std::is_same_v<T, bool>) {
          Append(out, v ? "true" : "false");
        } else if constexpr (std::is_same_v<T, std::nullptr_t>) {
          Append(out, "null");
        } else if constexpr (std::is_same_v<T, const Error*>) {
          out.push_back('"');
          AppendRedacted(out, v->ToString(), Escape::kJson);
          out.push_back('"');
        } else {
          AppendJsonValue(out, RedactJson(*v));
        }
      },
      field.value());
}

void AppendFieldValueText(Buffer& out, const LogField& field) {
  if (IsSecretKey(field.key())) {
    Append(out, kRedacted);
    return;
  }
  auto text = [&](std::string_view s) {
    if (NeedsQuotes(s)) {
      out.push_back('"');
      AppendRedacted(out, s, Escape::kTextQuoted);
      out.push_back('"');
    } else {
      AppendRedacted(out, s, Escape::kText);
    }
  };
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          text(v);
        } else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, uint64_t>) {
          fmt::format_to(std::back_inserter(out), "{}", v);
        } else if constexpr (std::is_same_v<T, double>) {
          AppendDouble(out, v, false);
        } else if constexpr (std::is_same_v<T, bool>) {
          Append(out, v ? "true" : "false");
        } else if constexpr (std::is_same_v<T, std::nullptr_t>) {
          Append(out, "null");
        } else if constexpr (std::is_same_v<T, const Error*>) {
          text(v->ToString());
        } else {
          Buffer json;
          AppendJsonValue(json, RedactJson(*v));
          // Objects and arrays delimit themselves; JSON escaping already removed the controls.
          if (v->is_object() || v->is_array()) {
            out.append(json.data(), json.data() + json.size());
          } else {
            text(std::string_view(json.data(), json.size()));
          }
        }
      },
      field.value());
}

// Text keys are written bare, so anything that would break key=value parsing becomes '_'.
void AppendTextKey(Buffer& out, std::string_view key) {
  if (key.empty()) {
    out.push_back('_');
    return;
  }
  for (char ch : key) {
    unsigned char c = static_cast<unsigned char>(ch);
    out.push_back((c <= ' ' || c == '=' || c == '"' || c == 0x7f) ? '_' : ch);
  }
}

void Render(Buffer& out, LogFormat format, Clock::SystemTime time, LogLevel level,
            std::string_view component, std::string_view message,
            std::span<const LogField> fields) {
  int level_index = std::clamp(static_cast<int>(level), 0, 5);
  if (format == LogFormat::kJson) {
    Append(out, "{\"ts\":\"");
    Append(out, FormatRfc3339Millis(time));
    Append(out, "\",\"level\":\"");
    Append(out, kLevelNames[level_index]);
    Append(out, "\",\"component\":\"");
    AppendJsonEscaped(out, component);
    Append(out, "\",\"msg\":\"");
    AppendRedacted(out, message, Escape::kJson);
    out.push_back('"');
    for (const LogField& field : fields) {
      Append(out, ",\"");
      if (IsReservedJsonKey(field.key())) Append(out, "field_");
      AppendJsonEscaped(out, field.key());
      Append(out, "\":");
      AppendFieldValueJson(out, field);
    }
    out.push_back('}');
    return;
  }
  Append(out, FormatRfc3339Millis(time));
  out.push_back(' ');
  Append(out, kTextLevelNames[level_index]);
  out.push_back(' ');
  AppendTextEscaped(out, component, false);
  Append(out, ": ");
  AppendRedacted(out, message, Escape::kText);
  for (const LogField& field : fields) {
    out.push_back(' ');
    AppendTextKey(out, field.key());
    out.push_back('=');
    AppendFieldValueText(out, field);
  }
}

LogLevel FromSpdlog(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return LogLevel::kTrace;
    case spdlog::level::debug:
      return LogLevel::kDebug;
    case spdlog::level::info:
      return LogLevel::kInfo;
    case spdlog::level::warn:
      return LogLevel::kWarn;
    case spdlog::level::err:
    case spdlog::level::critical:
      return LogLevel::kError;
    default:
      return LogLevel::kOff;
  }
}

spdlog::level::level_enum ToSpdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return spdlog::level::trace;
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

// Where lines go. Shared by the sinks made in one InitLogging call so their lines never interleave
// and the output callback is never called concurrently.
class Output {
 public:
  explicit Output(std::function<void(std::string_view)> callback)
      : callback_(std::move(callback)) {}

  // `line` ends in '\n'.
  void Write(std::string_view line) {
    std::lock_guard lock(mutex_);
    if (callback_) {
      callback_(line.substr(0, line.size() - 1));
    } else {
      std::fwrite(line.data(), 1, line.size(), stderr);
    }
  }
  void Flush() {
    std::lock_guard lock(mutex_);
    if (!callback_) std::fflush(stderr);
  }

 private:
  std::mutex mutex_;
  std::function<void(std::string_view)> callback_;  // guarded by mutex_
};

// Our records arrive fully rendered: the formatter only ends the line.
class RenderedFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    dest.append(msg.payload.data(), msg.payload.data() + msg.payload.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<RenderedFormatter>();
  }
};

// For records logged through spdlog directly: the same format and redaction as ours.
class RedactingFormatter final : public spdlog::formatter {
 public:
  explicit RedactingFormatter(LogFormat format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    Buffer line;
    std::string_view component(msg.logger_name.data(), msg.logger_name.size());
    Render(line, format_, msg.time, FromSpdlog(msg.level), component.empty() ? "spdlog" : component,
           std::string_view(msg.payload.data(), msg.payload.size()), {});
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<RedactingFormatter>(format_);
  }

 private:
  LogFormat format_;
};

// A sink with a fixed formatter: set_pattern and set_formatter are ignored so that nothing can
// switch redaction off. Formatters here are stateless, so log() needs no lock of its own.
class LineSink final : public spdlog::sinks::sink {
 public:
  LineSink(std::shared_ptr<Output> output, std::unique_ptr<spdlog::formatter> formatter)
      : output_(std::move(output)), formatter_(std::move(formatter)) {}

  void log(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    output_->Write(std::string_view(line.data(), line.size()));
  }
  void flush() override { output_->Flush(); }
  void set_pattern(const std::string&) override {}
  void set_formatter(std::unique_ptr<spdlog::formatter>) override {}

 private:
  std::shared_ptr<Output> output_;
  std::unique_ptr<spdlog::formatter> formatter_;
};

struct LoggingState {
  LogFormat format = LogFormat::kText;
  const Clock* clock = nullptr;
  std::shared_ptr<spdlog::logger> logger;  // ours: records arrive rendered
};

struct Registry {
  std::mutex mutex;
  std::shared_ptr<const LoggingState> state;       // guarded by mutex
  std::shared_ptr<spdlog::logger> spdlog_default;  // guarded by mutex
};

// Never destroyed, so records logged during static destruction still have somewhere to go.
Registry& GetRegistry() {
  static Registry* registry = new Registry();
  return *registry;
}

std::shared_ptr<const LoggingState> MakeState(const LogOptions& options,
                                              const std::shared_ptr<Output>& output) {
  auto state = std::make_shared<LoggingState>();
  state->format = options.format;
  state->clock = options.clock != nullptr ? options.clock : &SystemClock::Instance();
  state->logger = std::make_shared<spdlog::logger>(
      "bedrock", std::make_shared<LineSink>(output, std::make_unique<RenderedFormatter>()));
  state->logger->set_level(spdlog::level::trace);  // LogEnabled has already filtered
  return state;
}

std::shared_ptr<const LoggingState> CurrentState() {
  Registry& registry = GetRegistry();
  std::lock_guard lock(registry.mutex);
  if (!registry.state) {
    registry.state = MakeState(LogOptions{}, std::make_shared<Output>(nullptr));
  }
  return registry.state;
}

void Emit(LogLevel level, std::string_view component, std::string_view message,
          std::span<const LogField> fields) {
  std::shared_ptr<const LoggingState> state = CurrentState();
  Buffer line;
  Render(line, state->format, state->clock->Now(), level, component, message, fields);
  state->logger->log(spdlog::source_loc{}, ToSpdlog(level),
                     spdlog::string_view_t(line.data(), line.size()));
}

}  // namespace

Result<LogLevel> ParseLogLevel(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(LogLevel::kOff); ++i) {
    std::string_view candidate = kLevelNames[i];
    if (candidate.size() != name.size()) continue;
    bool equal = true;
    for (size_t k = 0; k < name.size() && equal; ++k) {
      equal = std::tolower(static_cast<unsigned char>(name[k])) == candidate[k];
    }
    if (equal) return static_cast<LogLevel>(i);
  }
  return Error::InvalidArgument(
      "unknown log level \"{}\": expected trace, debug, info, warn, error or off", name);
}

Result<LogFormat> ParseLogFormat(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "text") return LogFormat::kText;
  if (lower == "json") return LogFormat::kJson;
  return Error::InvalidArgument("unknown log format \"{}\": expected text or json", name);
}

std::string_view LogLevelName(LogLevel level) {
  return kLevelNames[std::clamp(static_cast<int>(level), 0, 5)];
}

void InitLogging(LogOptions options) {
  auto output = std::make_shared<Output>(std::move(options.output));
  auto state = MakeState(options, output);
  auto spdlog_default = std::make_shared<spdlog::logger>(
      "", std::make_shared<LineSink>(output, std::make_unique<RedactingFormatter>(options.format)));
  spdlog_default->set_level(ToSpdlog(options.level));

  Registry& registry = GetRegistry();
  std::lock_guard lock(registry.mutex);
  registry.state = std::move(state);
  registry.spdlog_default = spdlog_default;
  spdlog::set_default_logger(std::move(spdlog_default));
  internal::g_log_level.store(static_cast<int>(options.level), std::memory_order_relaxed);
}

void SetLogLevel(LogLevel level) {
  Registry& registry = GetRegistry();
  std::lock_guard lock(registry.mutex);
  internal::g_log_level.store(static_cast<int>(level), std::memory_order_relaxed);
  if (registry.spdlog_default) registry.spdlog_default->set_level(ToSpdlog(level));
}

LogLevel GetLogLevel() {
  return static_cast<LogLevel>(internal::g_log_level.load(std::memory_order_relaxed));
}

void Log(LogLevel level, std::string_view component, std::string_view message,
         std::initializer_list<LogField> fields) {
  if (!LogEnabled(level) || level == LogLevel::kOff) return;
  Emit(level, component, message, std::span<const LogField>(fields.begin(), fields.size()));
}

namespace internal {

void LogFormatted(LogLevel level, std::string_view component, fmt::string_view format,
                  fmt::format_args args) {
  if (!LogEnabled(level) || level == LogLevel::kOff) return;
  Buffer message;
  try {
    fmt::vformat_to(std::back_inserter(message), format, args);
  } catch (const std::exception& e) {  // a throwing user formatter must not take the caller down
    message.clear();
    fmt::format_to(std::back_inserter(message), "(unformattable log message \"{}\": {})",
                   std::string_view(format.data(), format.size()), e.what());
  }
  Emit(level, component, std::string_view(message.data(), message.size()), {});
}

}  // namespace internal
}  // namespace bedrock::core

#include "core/json_source.h"

#include <fmt/format.h>

#include <boost/json/object.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>

#include "core/utf8.h"

namespace bedrock::core {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A key or value quoted for an error message: escaped, and shortened if long.
std::string Quoted(std::string_view s) {
  constexpr size_t kMax = 60;
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (s.size() > kMax) out += "...";
  out.push_back('"');
  return out;
}

class Parser {
 public:
  Parser(std::string_view text, std::string_view source, const JsonParseLimits& limits)
      : text_(text), source_(source), limits_(limits) {}

  Result<PositionedJson> Run() {
    if (text_.size() > limits_.max_bytes) {
      return Error::PayloadTooLarge("{}: {} bytes is over the limit of {} bytes", source_,
                                    text_.size(), limits_.max_bytes);
    }
    if (text_.starts_with("\xEF\xBB\xBF")) pos_ = line_start_ = column_cache_offset_ = 3;
    PositionedJson result;
    SkipWhitespace();
    if (pos_ >= text_.size()) {
      Fail(pos_, "the document is empty: expected a JSON value");
      return std::move(*error_);
    }
    if (!ParseValue(0, result.value, result.positions)) return std::move(*error_);
    result.positions.key = result.positions.value;
    SkipWhitespace();
    if (pos_ < text_.size()) {
      Fail(pos_, fmt::format("unexpected {} after the end of the JSON value", Describe(pos_)));
      return std::move(*error_);
    }
    return result;
  }

 private:
  // --- positions ---

  SourcePosition PositionAt(size_t offset) {
    // Columns count code points from the start of the line. Positions are mostly requested in
    // increasing order, so count on from the last one instead of from the line start each time.
    if (offset < column_cache_offset_ || column_cache_offset_ < line_start_) {
      column_cache_offset_ = line_start_;
      column_cache_ = 1;
    }
    for (size_t i = column_cache_offset_; i < offset && i < text_.size(); ++i) {
      if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) ++column_cache_;
    }
    column_cache_offset_ = offset;
    return SourcePosition{line_, column_cache_, offset};
  }

  // Records the first error; returns false so callers can `return Fail(...)`.
  bool Fail(size_t offset, std::string_view problem) {
    if (!error_) {
      SourcePosition at = PositionAt(offset);
      error_.emplace(ErrorCode::kInvalidArgument,
                     fmt::format("{}:{}:{}: {}", source_, at.line, at.column, problem));
    }
    return false;
  }

  std::string Describe(size_t offset) const {
    if (offset >= text_.size()) return "end of input";
    unsigned char c = static_cast<unsigned char>(text_[offset]);
    if (c >= 0x21 && c < 0x7f) return fmt::format("'{}'", static_cast<char>(c));
    if (c >= 0x80) {
      if (size_t len = Utf8SequenceLength(text_, offset); len > 0) {
        return fmt::format("'{}'", text_.substr(offset, len));
      }
    }
    return fmt::format("byte 0x{:02x}", c);
  }

  // Explains a character that cannot start a value or key.
  bool FailUnexpected(size_t offset, std::string_view expected) {
    if (offset >= text_.size()) {
      return Fail(offset, fmt::format("unexpected end of input: expected {}", expected));
    }
    char c = text_[offset];
    if (c == '/' && offset + 1 < text_.size() &&
        (text_[offset + 1] == '/' || text_[offset + 1] == '*')) {
      return Fail(offset, "comments are not allowed in JSON");
    }
    if (c == '\'') return Fail(offset, "strings must use double quotes, not single quotes");
    return Fail(offset, fmt::format("expected {}, found {}", expected, Describe(offset)));
  }

  void SkipWhitespace() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '\n') {
        ++line_;
        line_start_ = pos_ + 1;
      } else if (c != ' ' && c != '\t' && c != '\r') {
        return;
      }
      ++pos_;
    }
  }

  // --- values ---

  bool ParseValue(int depth, boost::json::value& out, JsonPositionNode& node) {
    node.value = PositionAt(pos_);
    if (pos_ >= text_.size()) return FailUnexpected(pos_, "a value");
    switch (text_[pos_]) {
      case '{':
        return ParseObject(depth + 1, out, node);
      case '[':
        return ParseArray(depth + 1, out, node);
      case '"':
        if (!ParseString()) return false;
        out.emplace_string().assign(scratch_.data(), scratch_.size());
        return true;
      case 't':
        return ParseLiteral("true", out, true);
      case 'f':
        return ParseLiteral("false", out, false);
      case 'n':
        return ParseLiteral("null", out, nullptr);
      default:
        if (text_[pos_] == '-' || IsDigit(text_[pos_])) return ParseNumber(out);
        return FailUnexpected(pos_, "a value");
    }
  }

  template <typename T>
  bool ParseLiteral(std::string_view literal, boost::json::value& out, T value) {
    if (text_.substr(pos_, literal.size()) != literal) {
      return Fail(pos_, fmt::format("invalid literal: expected {}", literal));
    }
    pos_ += literal.size();
    out = value;
    return true;
  }

  bool CheckDepth(int depth, size_t open) {
    if (depth <= limits_.max_depth) return true;
    return Fail(open, fmt::format("nesting deeper than {} levels", limits_.max_depth));
  }

  bool ParseObject(int depth, boost::json::value& out, JsonPositionNode& node) {
    size_t open = pos_;
    if (!CheckDepth(depth, open)) return false;
    ++pos_;
    boost::json::object& object = out.emplace_object();
    SkipWhitespace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipWhitespace();
      if (pos_ >= text_.size()) return FailUnclosed(node.value, "object");
      if (text_[pos_] != '"') {
        if (text_[pos_] == '}' && !object.empty()) return Fail(pos_, "trailing comma before '}'");
        if (std::isalpha(static_cast<unsigned char>(text_[pos_]))) {
          return Fail(pos_, "object keys must be strings in double quotes");
        }
        return FailUnexpected(pos_, "a string key");
      }
      size_t key_offset = pos_;
      SourcePosition key_position = PositionAt(pos_);
      if (!ParseString()) return false;
      if (auto it = object.find(scratch_); it != object.end()) {
        const SourcePosition& first = node.children[it - object.begin()].key;
        return Fail(key_offset,
                    fmt::format("duplicate key {} (first defined at line {}, column {})",
                                Quoted(scratch_), first.line, first.column));
      }
      auto member = object.emplace(scratch_, nullptr).first;
      JsonPositionNode& child = node.children.emplace_back();
      child.key = key_position;
      SkipWhitespace();
      if (pos_ >= text_.size()) return FailUnclosed(node.value, "object");
      if (text_[pos_] != ':') {
        return Fail(pos_, fmt::format("expected ':' after the key {}, found {}", Quoted(scratch_),
                                      Describe(pos_)));
      }
      ++pos_;
      SkipWhitespace();
      // Neither `object` nor `node.children` changes while the member's value is parsed, so
      // `member` and `child` stay valid.
      if (!ParseValue(depth, member->value(), child)) return false;
      SkipWhitespace();
      if (pos_ >= text_.size()) return FailUnclosed(node.value, "object");
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] == '}') {
        ++pos_;
        return true;
      }
      return Fail(pos_, fmt::format("expected ',' or '}}' after an object member, found {}",
                                    Describe(pos_)));
    }
  }

  bool ParseArray(int depth, boost::json::value& out, JsonPositionNode& node) {
    size_t open = pos_;
    if (!CheckDepth(depth, open)) return false;
    ++pos_;
    boost::json::array& array = out.emplace_array();
    SkipWhitespace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipWhitespace();
      if (pos_ >= text_.size()) return FailUnclosed(node.value, "array");
      if (text_[pos_] == ']' && !array.empty()) return Fail(pos_, "trailing comma before ']'");
      boost::json::value& element = array.emplace_back(nullptr);
      JsonPositionNode& child = node.children.emplace_back();
      if (!ParseValue(depth, element, child)) return false;
      child.key = child.value;
      SkipWhitespace();
      if (pos_ >= text_.size()) return FailUnclosed(node.value, "array");
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (text_[pos_] == ']') {
        ++pos_;
        return true;
      }
      return Fail(pos_, fmt::format("expected ',' or ']' after an array element, found {}",
                                    Describe(pos_)));
    }
  }

  // `open` was recorded when the container started (possibly lines ago).
  bool FailUnclosed(const SourcePosition& at, std::string_view what) {
    return Fail(pos_, fmt::format("unexpected end of input: the {} opened at line {}, column {} is "
                                  "not closed",
                                  what, at.line, at.column));
  }

  // Decodes the string starting at the '"' at pos_ into scratch_.
  bool ParseString() {
    size_t open = pos_++;
    scratch_.clear();
    while (true) {
      size_t run = pos_;
      while (pos_ < text_.size()) {
        unsigned char c = static_cast<unsigned char>(text_[pos_]);
        if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
        ++pos_;
      }
      scratch_.append(text_.data() + run, pos_ - run);
      if (pos_ >= text_.size()) return Fail(open, "unterminated string");
      unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        if (!ParseEscape()) return false;
        continue;
      }
      if (c == '\n' || c == '\r') {
        return Fail(open, "unterminated string (a string cannot span lines; write \\n)");
      }
      if (c < 0x20) {
        return Fail(pos_, fmt::format("control character 0x{:02x} in a string: escape it as "
                                      "\\u{:04x}",
                                      c, c));
      }
      size_t len = Utf8SequenceLength(text_, pos_);
      if (len == 0) return Fail(pos_, "invalid UTF-8 in a string");
      scratch_.append(text_.data() + pos_, len);
      pos_ += len;
    }
  }

  bool ParseHex4(size_t at, uint32_t& out) {
    if (at + 4 > text_.size()) return false;
    out = 0;
    for (size_t i = at; i < at + 4; ++i) {
      char c = text_[i];
      uint32_t digit;
      if (IsDigit(c)) {
        digit = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        digit = c - 'A' + 10;
      } else {
        return false;
      }
      out = out * 16 + digit;
    }
    return true;
  }

  bool ParseEscape() {
    size_t at = pos_;
    if (at + 1 >= text_.size()) return Fail(at, "unterminated string");
    char c = text_[at + 1];
    pos_ += 2;
    switch (c) {
      case '"':
        scratch_.push_back('"');
        return true;
      case '\\':
        scratch_.push_back('\\');
        return true;
      case '/':
        scratch_.push_back('/');
        return true;
      case 'b':
        scratch_.push_back('\b');
        return true;
      case 'f':
        scratch_.push_back('\f');
        return true;
      case 'n':
        scratch_.push_back('\n');
        return true;
      case 'r':
        scratch_.push_back('\r');
        return true;
      case 't':
        scratch_.push_back('\t');
        return true;
      case 'u':
        break;
      default:
        if (c > 0x20 && c < 0x7f) {
          return Fail(at, fmt::format("invalid escape sequence '\\{}'", c));
        }
        return Fail(at,
                    fmt::format("invalid escape sequence: '\\' followed by {}", Describe(at + 1)));
    }
    uint32_t cp;
    if (!ParseHex4(pos_, cp)) return Fail(at, "invalid \\u escape: expected four hex digits");
    pos_ += 4;
    if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return Fail(at, "invalid \\u escape: a low surrogate without a high surrogate before it");
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t low;
      if (pos_ + 1 >= text_.size() || text_[pos_] != '\\' || text_[pos_ + 1] != 'u' ||
          !ParseHex4(pos_ + 2, low) || low < 0xDC00 || low > 0xDFFF) {
        return Fail(at,
                    "invalid \\u escape: a high surrogate must be followed by a \\u low "
                    "surrogate");
      }
      pos_ += 6;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    AppendUtf8(scratch_, cp);
    return true;
  }

  bool ParseNumber(boost::json::value& out) {
    size_t start = pos_;
    bool negative = text_[pos_] == '-';
    if (negative) ++pos_;
    if (pos_ >= text_.size() || !IsDigit(text_[pos_])) {
      return Fail(pos_, "invalid number: expected a digit after '-'");
    }
    if (text_[pos_] == '0' && pos_ + 1 < text_.size() && IsDigit(text_[pos_ + 1])) {
      return Fail(start, "invalid number: leading zeros are not allowed");
    }
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    bool integral = true;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      integral = false;
      ++pos_;
      if (pos_ >= text_.size() || !IsDigit(text_[pos_])) {
        return Fail(pos_, "invalid number: expected a digit after '.'");
      }
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (pos_ >= text_.size() || !IsDigit(text_[pos_])) {
        return Fail(pos_, "invalid number: expected a digit in the exponent");
      }
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (integral) {
      int64_t i;
      if (auto r = std::from_chars(first, last, i); r.ec == std::errc() && r.ptr == last) {
        out = i;
        return true;
      }
      uint64_t u;
      if (!negative) {
        if (auto r = std::from_chars(first, last, u); r.ec == std::errc() && r.ptr == last) {
          out = u;
          return true;
        }
      }
    }
    double d;
    auto r = std::from_chars(first, last, d);
    if (r.ec == std::errc::result_out_of_range) {
      // Out of range is either overflow (an error: JSON has no infinity) or underflow (rounds to
      // zero); strtod tells them apart. The token is plain ASCII digits, so locale is irrelevant
      // except for '.', which strtod in the "C" locale (our only locale) reads as expected.
      std::string token(first, last);
      d = std::strtod(token.c_str(), nullptr);
      if (std::isinf(d)) return Fail(start, "number out of range: too large for a double");
    } else if (r.ec != std::errc() || r.ptr != last) {
      return Fail(start, "invalid number");
    }
    out = d;
    return true;
  }

  std::string_view text_;
  std::string_view source_;
  JsonParseLimits limits_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  size_t line_start_ = 0;
  size_t column_cache_offset_ = 0;
  uint32_t column_cache_ = 1;
  std::string scratch_;  // the string being decoded
  std::optional<Error> error_;
};

}  // namespace

Result<PositionedJson> ParseJsonWithPositions(std::string_view text, std::string_view source_name,
                                              const JsonParseLimits& limits) {
  return Parser(text, source_name, limits).Run();
}

}  // namespace bedrock::core

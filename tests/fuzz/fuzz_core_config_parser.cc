// Feeds core::ParseJsonDocument (with ${ENV} substitution from a FakeEnv) and checks:
//  * it agrees with boost::json::parse on what is valid JSON and on the value, apart from the
//    documented differences (duplicate keys, the depth limit, numbers too large for a double);
//  * every recorded position points at the right character and has the right line and column;
//  * errors are one line starting with "<source>:";
//  * truncated prefixes (the input split at several points) fail cleanly or parse;
//  * the typed accessors and RedactJson can walk whatever was parsed.
#include <boost/json.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/config.h"
#include "core/env.h"
#include "core/json_source.h"
#include "core/redact.h"

namespace {

using namespace bedrock::core;

constexpr std::string_view kSource = "fuzz.json";

const FakeEnv& TheEnv() {
  static const FakeEnv* env = new FakeEnv(
      {{"HOME", "/home/fuzz"}, {"EMPTY", ""}, {"PORT", "7002"}, {"TOKEN", "t0k3n"}, {"A", "${A}"}});
  return *env;
}

void Check(bool condition) {
  if (!condition) std::abort();
}

bool SameNumber(double a, double b) {
  if (a == b) return true;
  // Boost.JSON 1.81 reads zero with a large exponent ("0e309") as NaN, which JSON cannot express;
  // we read 0.
  if (std::isnan(b)) return a == 0;
  // Boost.JSON 1.81 does not always round to nearest; we use std::from_chars, which does.
  return std::fabs(a - b) <= 1e-15 * std::max(std::fabs(a), std::fabs(b));
}

bool SameValue(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() && b.is_double()) return SameNumber(a.get_double(), b.get_double());
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!SameValue(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    const auto &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      const auto &p = x.begin()[i], &q = y.begin()[i];
      if (p.key() != q.key() || !SameValue(p.value(), q.value())) return false;
    }
    return true;
  }
  return a == b;
}

// The line and column of `offset` computed the slow, obvious way.
SourcePosition Expected(std::string_view text, size_t offset) {
  size_t skip = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  SourcePosition at{1, 1, offset};
  size_t line_start = skip;
  for (size_t i = skip; i < offset; ++i) {
    if (text[i] == '\n') {
      ++at.line;
      line_start = i + 1;
    }
  }
  for (size_t i = line_start; i < offset; ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++at.column;
  }
  return at;
}

void CheckPositions(std::string_view text, const boost::json::value& value,
                    const JsonPositionNode& node, bool is_member) {
  Check(node.value.offset < text.size());
  char first = text[node.value.offset];
  switch (value.kind()) {
    case boost::json::kind::object:
      Check(first == '{');
      break;
    case boost::json::kind::array:
      Check(first == '[');
      break;
    case boost::json::kind::string:
      Check(first == '"');
      break;
    case boost::json::kind::bool_:
      Check(first == 't' || first == 'f');
      break;
    case boost::json::kind::null:
      Check(first == 'n');
      break;
    default:
      Check(first == '-' || (first >= '0' && first <= '9'));
  }
  if (text.size() <= 4096) {  // the slow check is quadratic
    Check(node.value == Expected(text, node.value.offset));
    Check(node.key == Expected(text, node.key.offset));
  }
  if (is_member) {
    Check(text[node.key.offset] == '"');
    Check(node.key.offset < node.value.offset);
  } else {
    Check(node.key == node.value);
  }
  if (value.is_object()) {
    Check(node.children.size() == value.get_object().size());
    size_t i = 0;
    for (const auto& member : value.get_object()) {
      CheckPositions(text, member.value(), node.children[i++], true);
    }
  } else if (value.is_array()) {
    Check(node.children.size() == value.get_array().size());
    for (size_t i = 0; i < value.get_array().size(); ++i) {
      CheckPositions(text, value.get_array()[i], node.children[i], false);
    }
  } else {
    Check(node.children.empty());
  }
}

void CheckError(const Error& error) {
  const std::string& message = error.message();
  Check(message.starts_with(kSource));
  Check(message.find('\n') == std::string::npos);
}

// Reads every node through the accessors; none may crash, each error must be well-formed.
void Walk(const ConfigNode& node, int depth) {
  if (depth > 80) std::abort();  // the parser's depth limit must hold
  for (auto result : {node.AsString().ok(), node.AsInt().ok(), node.AsNumber().ok(),
                      node.AsBool().ok(), node.AsStringArray().ok()}) {
    (void)result;
  }
  if (auto bad = node.GetString("x"); !bad.ok()) CheckError(bad.error());
  (void)node.OptionalIntInRange("port", 1, 65535);
  for (const Error& error : node.FindUnknownKeys({"server", "listen", "mcpServers"})) {
    CheckError(error);
  }
  for (const ConfigNode& child : node.Members()) Walk(child, depth + 1);
  for (const ConfigNode& child : node.Elements()) Walk(child, depth + 1);
}

void ParseAndCheck(std::string_view text) {
  JsonParseLimits limits{.max_bytes = 1 << 20, .max_depth = 64};
  auto ours = ParseJsonWithPositions(text, kSource, limits);

  boost::json::error_code ec;
  boost::json::parse_options options;
  options.max_depth = 100000;
  boost::json::value theirs =
      boost::json::parse(text.substr(text.starts_with("\xEF\xBB\xBF") ? 3 : 0), ec, {}, options);

  if (ours.ok()) {
    if (ec) {
      // Boost.JSON rejects exponents with too many digits even when the value underflows to 0.
      Check(ec == boost::json::error::exponent_overflow);
    } else {
      Check(SameValue(ours->value, theirs));
    }
    CheckPositions(text, ours->value, ours->positions, false);
  } else {
    CheckError(ours.error());
    if (!ec) {
      const std::string& message = ours.error().message();
      Check(message.find("duplicate key") != std::string::npos ||
            message.find("nesting deeper than") != std::string::npos ||
            message.find("number out of range") != std::string::npos);
    }
  }

  auto document =
      ParseJsonDocument(text, std::string(kSource), {.env = &TheEnv(), .limits = limits});
  if (document.ok()) {
    Walk(document->Root(), 0);
    (void)RedactJson(document->value());
  } else {
    CheckError(document.error());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ParseAndCheck(text);
  // Split points: a truncated file (an editor mid-save) must fail cleanly, never crash.
  for (size_t cut : {size / 2, size / 3, size * 3 / 4, size > 0 ? size - 1 : 0}) {
    if (cut < size) ParseAndCheck(text.substr(0, cut));
  }
  return 0;
}

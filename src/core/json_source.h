// A strict JSON parser that remembers where everything came from, for error messages that point at
// a file, line and column ("conf/config.json:12:5: ...") long after parsing.
//
//   auto parsed = core::ParseJsonWithPositions(text, "conf/config.json");
//   if (!parsed) return parsed.error();     // "conf/config.json:3:17: expected ',' or '}' ..."
//   const core::JsonPositionNode& servers = parsed->positions.children[0];
//
// Strict RFC 8259 JSON (no comments, no trailing commas, valid UTF-8, paired surrogates), plus a
// leading UTF-8 byte order mark, which is skipped. Duplicate object keys are an error (they are
// almost always a mistake in a config file). Numbers become int64 when integral and in range, else
// uint64, else double (as boost::json::parse does); a number too large for a double is an error.
// Limits: input size and nesting depth (see JsonParseLimits). Recursion is bounded by max_depth.
//
// Most callers want core::ParseJsonDocument / core::LoadJsonFile (core/config.h), which add
// ${ENV} substitution and typed accessors on top of this.
//
// Thread-safety: a pure function; the results are plain values.
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace bedrock::core {

struct SourcePosition {
  uint32_t line = 1;    // 1-based
  uint32_t column = 1;  // 1-based, in Unicode code points (a tab counts as one); BOM excluded
  size_t offset = 0;    // byte offset in the text

  bool operator==(const SourcePosition&) const = default;
};

// Where each part of a parsed value was. The tree mirrors the value: an object node has one child
// per member, in the object's order (boost::json::object keeps insertion order, and there are no
// duplicate keys); an array node has one child per element; scalars have none.
struct JsonPositionNode {
  SourcePosition key;    // the member's key (its opening quote); for others the same as `value`
  SourcePosition value;  // the first character of the value
  std::vector<JsonPositionNode> children;
};

struct JsonParseLimits {
  size_t max_bytes = size_t{16} << 20;  // larger input is kPayloadTooLarge
  int max_depth = 64;                   // objects and arrays nested deeper are kInvalidArgument
};

struct PositionedJson {
  boost::json::value value;
  JsonPositionNode positions;
};

// Parses `text`. Errors are kInvalidArgument (kPayloadTooLarge for size) with a one-line message
// "<source_name>:<line>:<column>: <problem>", e.g. "expected ',' or '}' after an object member,
// found '\"'", "trailing comma before ']'", "comments are not allowed in JSON".
Result<PositionedJson> ParseJsonWithPositions(std::string_view text, std::string_view source_name,
                                              const JsonParseLimits& limits = {});

}  // namespace bedrock::core

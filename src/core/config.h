// Config files: JSON with ${ENV} substitution, and typed accessors whose errors point at the file,
// line, column and dotted key path of the problem.
//
//   core::SystemEnv env;
//   auto doc = core::LoadJsonFile("conf/config.json", {.env = &env});
//   if (!doc) return doc.error();   // "conf/config.json:4:3: expected ',' or '}' after ..."
//   core::ConfigNode root = doc->Root();
//   BEDROCK_TRY(root.RejectUnknownKeys({"server", "mcpServers"}));
//   core::ConfigNode server = BEDROCK_TRY(root.GetObject("server"));
//   std::string listen = BEDROCK_TRY(server.GetString("listen"));
//   int64_t port = BEDROCK_TRY(server.OptionalIntInRange("port", 1, 65535)).value_or(7002);
//   if (!LooksLikeHostPort(listen)) {
//     return BEDROCK_TRY(server.Get("listen")).Fail(R"(expected a string like "127.0.0.1:7002")");
//   }   // -> conf/config.json:12:5: "server.listen": expected a string like "127.0.0.1:7002"
//
// ${ENV} substitution (when JsonDocumentOptions::env is set) applies to string values, never to
// keys, with the syntax of core::ExpandEnvReferences: ${NAME}, ${NAME:-default}, $${ for a literal
// "${". An unset variable without a default is an error naming the file, line and key path.
// Substituted values stay strings: write "port": "${PORT}" only where a string is expected.
//
// Thread-safety: JsonDocument and ConfigNode are immutable after construction and share their data
// through a reference count, so they may be copied and read from any thread. A ConfigNode keeps its
// document's data alive.
#pragma once

#include <fmt/core.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"
#include "core/json_source.h"
#include "core/result.h"

namespace bedrock::core {

struct JsonDocumentOptions {
  const Env* env = nullptr;  // when set, ${NAME} references in string values are substituted
  JsonParseLimits limits;    // 16 MiB, 64 levels by default
};

class ConfigNode;

namespace internal {
struct JsonDocumentData {
  std::string source_name;
  boost::json::value value;
  JsonPositionNode positions;
};
}  // namespace internal

// A parsed JSON file (or text) that remembers where each key and element was.
class JsonDocument {
 public:
  const std::string& source_name() const { return data_->source_name; }
  const boost::json::value& value() const { return data_->value; }
  const JsonPositionNode& positions() const { return data_->positions; }
  ConfigNode Root() const;

 private:
  friend Result<JsonDocument> ParseJsonDocument(std::string_view, std::string,
                                                const JsonDocumentOptions&);
  explicit JsonDocument(std::shared_ptr<const internal::JsonDocumentData> data)
      : data_(std::move(data)) {}

  std::shared_ptr<const internal::JsonDocumentData> data_;
};

// Parses `text` (see core/json_source.h for the dialect and errors) and substitutes ${ENV}
// references. `source_name` (a path, or e.g. "<stdin>") starts every error message.
Result<JsonDocument> ParseJsonDocument(std::string_view text, std::string source_name,
                                       const JsonDocumentOptions& options = {});

// Reads and parses a file. Errors: kNotFound (no such file), kPermissionDenied, kInvalidArgument
// (a directory, unreadable, or bad JSON), kPayloadTooLarge (over limits.max_bytes); each message
// starts with the path. Non-regular files (a FIFO, /dev/stdin) are read up to the size limit.
Result<JsonDocument> LoadJsonFile(const std::string& path, const JsonDocumentOptions& options = {});

// A view of one value in a JsonDocument, with its dotted key path ("mcpServers.files.args[2]") and
// position, for semantic validation. Every error is kInvalidArgument with the message
//   <file>:<line>:<column>: "<path>": <problem>
// located at the member's key (or the array element, or for a missing key the enclosing object).
// Explicit nulls count as absent for the Optional* accessors, and as the wrong type elsewhere.
// Error messages show offending numbers and booleans but never strings (which may be secrets).
class ConfigNode {
 public:
  const boost::json::value& value() const { return *value_; }
  // The dotted path; "" for the root. Keys that are not [A-Za-z0-9_-]+ are written ["a.b"].
  const std::string& path() const { return path_; }
  // The member name for an object member; "" for the root and array elements.
  const std::string& key() const { return key_; }
  const std::string& source_name() const { return data_->source_name; }
  // The key of an object member, else the value.
  const SourcePosition& position() const { return positions_->key; }
  const SourcePosition& value_position() const { return positions_->value; }
  // "conf/config.json:12:5"
  std::string Location() const;
  // "a string", "a number", "an object", ...
  std::string_view TypeName() const;

  // An error about this node: `<location>: "<path>": <problem>`.
  Error Fail(std::string_view problem) const;

  // --- members of this object (a non-object has none) ---
  bool Has(std::string_view key) const;
  std::optional<ConfigNode> Find(std::string_view key) const;
  // Errors if this is not an object or `key` is missing.
  Result<ConfigNode> Get(std::string_view key) const;
  Result<std::string> GetString(std::string_view key) const;
  Result<int64_t> GetInt(std::string_view key) const;
  Result<int64_t> GetIntInRange(std::string_view key, int64_t min, int64_t max) const;
  Result<double> GetNumber(std::string_view key) const;
  Result<bool> GetBool(std::string_view key) const;
  Result<ConfigNode> GetObject(std::string_view key) const;
  Result<ConfigNode> GetArray(std::string_view key) const;
  Result<std::vector<std::string>> GetStringArray(std::string_view key) const;
  // Absent (or null) gives nullopt; present with the wrong type is an error.
  Result<std::optional<std::string>> OptionalString(std::string_view key) const;
  Result<std::optional<int64_t>> OptionalInt(std::string_view key) const;
  Result<std::optional<int64_t>> OptionalIntInRange(std::string_view key, int64_t min,
                                                    int64_t max) const;
  Result<std::optional<double>> OptionalNumber(std::string_view key) const;
  Result<std::optional<bool>> OptionalBool(std::string_view key) const;
  Result<std::optional<ConfigNode>> OptionalObject(std::string_view key) const;
  Result<std::optional<ConfigNode>> OptionalArray(std::string_view key) const;
  Result<std::optional<std::vector<std::string>>> OptionalStringArray(std::string_view key) const;

  // --- this node's own value ---
  Result<std::string> AsString() const;
  // Integers, and doubles with an integral value in range (1e3 is 1000).
  Result<int64_t> AsInt() const;
  Result<int64_t> AsIntInRange(int64_t min, int64_t max) const;
  Result<double> AsNumber() const;
  Result<bool> AsBool() const;
  Result<std::vector<std::string>> AsStringArray() const;
  Status ExpectObject() const;
  Status ExpectArray() const;

  // Object members in file order, or array elements; empty for anything else.
  std::vector<ConfigNode> Members() const;
  std::vector<ConfigNode> Elements() const;

  // --- unknown keys ---
  // An error for the first member whose key is not in `allowed` (with a "did you mean" when one
  // allowed key is close), or OK. Also an error if this is not an object.
  Status RejectUnknownKeys(std::initializer_list<std::string_view> allowed) const;
  // One error per unknown key, for callers that only warn about them.
  std::vector<Error> FindUnknownKeys(std::initializer_list<std::string_view> allowed) const;

 private:
  friend class JsonDocument;
  ConfigNode(std::shared_ptr<const internal::JsonDocumentData> data,
             const boost::json::value* value, const JsonPositionNode* positions, std::string path,
             std::string key)
      : data_(std::move(data)),
        value_(value),
        positions_(positions),
        path_(std::move(path)),
        key_(std::move(key)) {}

  ConfigNode Child(size_t index) const;  // member or element `index`
  Error TypeError(std::string_view expected) const;
  Error UnknownKeyError(const ConfigNode& member,
                        std::initializer_list<std::string_view> allowed) const;
  // An error about the absent member `key` of this object.
  Error MissingKey(std::string_view key) const;

  std::shared_ptr<const internal::JsonDocumentData> data_;
  const boost::json::value* value_;    // points into *data_
  const JsonPositionNode* positions_;  // points into *data_
  std::string path_;
  std::string key_;
};

// Appends a member key to a dotted path: ("server", "listen") -> "server.listen",
// ("env", "a.b") -> "env[\"a.b\"]".
std::string AppendKeyToPath(std::string_view path, std::string_view key);

}  // namespace bedrock::core

#include "core/config.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <limits>
#include <system_error>

#include "core/redact.h"

namespace bedrock::core {
namespace {

bool IsPlainKey(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string ElementPath(std::string_view path, size_t index) {
  return fmt::format("{}[{}]", path, index);
}

std::string_view View(const boost::json::string& s) { return {s.data(), s.size()}; }

// Substitutes ${ENV} references in every string value below `value`, recursively (depth is
// bounded by the parser's limit).
Status SubstituteEnv(boost::json::value& value, const JsonPositionNode& positions,
                     const std::string& path, const std::string& source, const Env& env) {
  switch (value.kind()) {
    case boost::json::kind::string: {
      boost::json::string& s = value.get_string();
      if (View(s).find('$') == std::string_view::npos) return OkStatus();
      Result<std::string> expanded = ExpandEnvReferences(View(s), env);
      if (!expanded.ok()) {
        const SourcePosition& at = positions.value;
        return Error::InvalidArgument("{}:{}:{}: \"{}\": {}", source, at.line, at.column, path,
                                      expanded.error().message());
      }
      s.assign(expanded->data(), expanded->size());
      return OkStatus();
    }
    case boost::json::kind::object: {
      size_t i = 0;
      for (auto& member : value.get_object()) {
        std::string_view key(member.key().data(), member.key().size());
        BEDROCK_TRY(SubstituteEnv(member.value(), positions.children[i++],
                                  AppendKeyToPath(path, key), source, env));
      }
      return OkStatus();
    }
    case boost::json::kind::array: {
      size_t i = 0;
      for (auto& element : value.get_array()) {
        BEDROCK_TRY(
            SubstituteEnv(element, positions.children[i], ElementPath(path, i), source, env));
        ++i;
      }
      return OkStatus();
    }
    default:
      return OkStatus();
  }
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                  std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string ErrnoMessage(int error) {
  return std::error_code(error, std::generic_category()).message();
}

}  // namespace

std::string AppendKeyToPath(std::string_view path, std::string_view key) {
  if (IsPlainKey(key)) return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
  // Quoted as a JSON string would be, so that error messages stay on one line.
  std::string quoted;
  for (char c : key) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      quoted.push_back('\\');
      quoted.push_back(c);
    } else if (c == '\n') {
      quoted += "\\n";
    } else if (c == '\t') {
      quoted += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      quoted += fmt::format("\\u{:04x}", u);
    } else {
      quoted.push_back(c);
    }
  }
  return fmt::format("{}[\"{}\"]", path, quoted);
}

// --- JsonDocument ---

Result<JsonDocument> ParseJsonDocument(std::string_view text, std::string source_name,
                                       const JsonDocumentOptions& options) {
  PositionedJson parsed = BEDROCK_TRY(ParseJsonWithPositions(text, source_name, options.limits));
  auto data = std::make_shared<internal::JsonDocumentData>();
  data->source_name = std::move(source_name);
  data->value = std::move(parsed.value);
  data->positions = std::move(parsed.positions);
  if (options.env != nullptr) {
    BEDROCK_TRY(SubstituteEnv(data->value, data->positions, "", data->source_name, *options.env));
  }
  return JsonDocument(std::move(data));
}

Result<JsonDocument> LoadJsonFile(const std::string& path, const JsonDocumentOptions& options) {
  const size_t max_bytes = options.limits.max_bytes;
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    int error = errno;
    if (error == ENOENT || error == ENOTDIR) return Error::NotFound("{}: no such file", path);
    if (error == EACCES) return Error::PermissionDenied("{}: permission denied", path);
    return Error::InvalidArgument("{}: cannot open: {}", path, ErrnoMessage(error));
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};

  struct stat st;
  if (::fstat(fd, &st) != 0) {
    return Error::InvalidArgument("{}: cannot stat: {}", path, ErrnoMessage(errno));
  }
  if (S_ISDIR(st.st_mode)) return Error::InvalidArgument("{}: is a directory, not a file", path);
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > max_bytes) {
    return Error::PayloadTooLarge("{}: {} bytes is over the limit of {} bytes", path, st.st_size,
                                  max_bytes);
  }

  std::string text;
  text.resize(S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) + 1 : size_t{64} << 10);
  size_t used = 0;
  while (true) {
    if (used == text.size()) {
      if (text.size() > max_bytes) break;
      text.resize(std::min(text.size() * 2, max_bytes + 1));
    }
    ssize_t n = ::read(fd, text.data() + used, text.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::InvalidArgument("{}: cannot read: {}", path, ErrnoMessage(errno));
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  if (used > max_bytes) {
    return Error::PayloadTooLarge("{}: more than the limit of {} bytes", path, max_bytes);
  }
  text.resize(used);
  return ParseJsonDocument(text, path, options);
}

ConfigNode JsonDocument::Root() const {
  return ConfigNode(data_, &data_->value, &data_->positions, "", "");
}

// --- ConfigNode ---

std::string ConfigNode::Location() const {
  return fmt::format("{}:{}:{}", data_->source_name, position().line, position().column);
}

std::string_view ConfigNode::TypeName() const {
  switch (value_->kind()) {
    case boost::json::kind::null:
      return "null";
    case boost::json::kind::bool_:
      return "a boolean";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_:
      return "a number";
    case boost::json::kind::string:
      return "a string";
    case boost::json::kind::array:
      return "an array";
    case boost::json::kind::object:
      return "an object";
  }
  return "a value";
}

Error ConfigNode::Fail(std::string_view problem) const {
  if (path_.empty()) return Error::InvalidArgument("{}: {}", Location(), problem);
  return Error::InvalidArgument("{}: \"{}\": {}", Location(), path_, problem);
}

Error ConfigNode::TypeError(std::string_view expected) const {
  std::string found(TypeName());
  // Numbers and booleans are shown to help; strings never are (they may hold secrets).
  if (!IsSecretKey(key_)) {
    switch (value_->kind()) {
      case boost::json::kind::bool_:
        found += value_->get_bool() ? " (true)" : " (false)";
        break;
      case boost::json::kind::int64:
        found += fmt::format(" ({})", value_->get_int64());
        break;
      case boost::json::kind::uint64:
        found += fmt::format(" ({})", value_->get_uint64());
        break;
      case boost::json::kind::double_:
        found += fmt::format(" ({})", value_->get_double());
        break;
      default:
        break;
    }
  }
  return Fail(fmt::format("expected {}, found {}", expected, found));
}

Error ConfigNode::MissingKey(std::string_view key) const {
  std::string path = AppendKeyToPath(path_, key);
  return Error::InvalidArgument("{}:{}:{}: \"{}\": missing required key", data_->source_name,
                                value_position().line, value_position().column, path);
}

ConfigNode ConfigNode::Child(size_t index) const {
  const JsonPositionNode* child_positions = &positions_->children[index];
  if (value_->is_object()) {
    const auto& member = value_->get_object().begin()[index];
    std::string key(member.key().data(), member.key().size());
    std::string path = AppendKeyToPath(path_, key);
    return ConfigNode(data_, &member.value(), child_positions, std::move(path), std::move(key));
  }
  return ConfigNode(data_, &value_->get_array()[index], child_positions, ElementPath(path_, index),
                    "");
}

bool ConfigNode::Has(std::string_view key) const {
  return value_->is_object() && value_->get_object().contains(key);
}

std::optional<ConfigNode> ConfigNode::Find(std::string_view key) const {
  if (!value_->is_object()) return std::nullopt;
  const boost::json::object& object = value_->get_object();
  auto it = object.find(key);
  if (it == object.end()) return std::nullopt;
  return Child(static_cast<size_t>(it - object.begin()));
}

Result<ConfigNode> ConfigNode::Get(std::string_view key) const {
  BEDROCK_TRY(ExpectObject());
  std::optional<ConfigNode> child = Find(key);
  if (!child) return MissingKey(key);
  return std::move(*child);
}

Result<std::string> ConfigNode::AsString() const {
  if (!value_->is_string()) return TypeError("a string");
  return std::string(View(value_->get_string()));
}

Result<int64_t> ConfigNode::AsInt() const {
  switch (value_->kind()) {
    case boost::json::kind::int64:
      return value_->get_int64();
    case boost::json::kind::uint64:
      return Fail(fmt::format("{} is out of range for an integer", value_->get_uint64()));
    case boost::json::kind::double_: {
      double d = value_->get_double();
      // 2^63 is the first double above int64's range.
      if (std::trunc(d) == d && d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
        return static_cast<int64_t>(d);
      }
      return TypeError("an integer");
    }
    default:
      return TypeError("an integer");
  }
}

Result<int64_t> ConfigNode::AsIntInRange(int64_t min, int64_t max) const {
  int64_t v = BEDROCK_TRY(AsInt());
  if (v < min || v > max) return Fail(fmt::format("{} is out of range [{}, {}]", v, min, max));
  return v;
}

Result<double> ConfigNode::AsNumber() const {
  switch (value_->kind()) {
    case boost::json::kind::int64:
      return static_cast<double>(value_->get_int64());
    case boost::json::kind::uint64:
      return static_cast<double>(value_->get_uint64());
    case boost::json::kind::double_:
      return value_->get_double();
    default:
      return TypeError("a number");
  }
}

Result<bool> ConfigNode::AsBool() const {
  if (!value_->is_bool()) return TypeError("a boolean (true or false)");
  return value_->get_bool();
}

Result<std::vector<std::string>> ConfigNode::AsStringArray() const {
  if (!value_->is_array()) return TypeError("an array of strings");
  std::vector<std::string> out;
  out.reserve(value_->get_array().size());
  for (size_t i = 0; i < value_->get_array().size(); ++i) {
    out.push_back(BEDROCK_TRY(Child(i).AsString()));
  }
  return out;
}

Status ConfigNode::ExpectObject() const {
  if (!value_->is_object()) return TypeError("an object");
  return OkStatus();
}

Status ConfigNode::ExpectArray() const {
  if (!value_->is_array()) return TypeError("an array");
  return OkStatus();
}

std::vector<ConfigNode> ConfigNode::Members() const {
  std::vector<ConfigNode> out;
  if (!value_->is_object()) return out;
  out.reserve(value_->get_object().size());
  for (size_t i = 0; i < value_->get_object().size(); ++i) out.push_back(Child(i));
  return out;
}

std::vector<ConfigNode> ConfigNode::Elements() const {
  std::vector<ConfigNode> out;
  if (!value_->is_array()) return out;
  out.reserve(value_->get_array().size());
  for (size_t i = 0; i < value_->get_array().size(); ++i) out.push_back(Child(i));
  return out;
}

// The Get*/Optional* accessors: one definition per type, built from the As* conversions.
#define BEDROCK_CONFIG_ACCESSORS(Type, Name, As, ...)                                         \
  Result<Type> ConfigNode::Get##Name(std::string_view key __VA_OPT__(, ) __VA_ARGS__) const { \
    ConfigNode child = BEDROCK_TRY(Get(key));                                                 \
    return child.As;                                                                          \
  }                                                                                           \
  Result<std::optional<Type>> ConfigNode::Optional##Name(std::string_view key __VA_OPT__(, )  \
                                                             __VA_ARGS__) const {             \
    BEDROCK_TRY(ExpectObject());                                                              \
    std::optional<ConfigNode> child = Find(key);                                              \
    if (!child || child->value().is_null()) return std::optional<Type>();                     \
    return std::optional<Type>(BEDROCK_TRY(child->As));                                       \
  }

BEDROCK_CONFIG_ACCESSORS(std::string, String, AsString())
BEDROCK_CONFIG_ACCESSORS(int64_t, Int, AsInt())
BEDROCK_CONFIG_ACCESSORS(int64_t, IntInRange, AsIntInRange(min, max), int64_t min, int64_t max)
BEDROCK_CONFIG_ACCESSORS(double, Number, AsNumber())
BEDROCK_CONFIG_ACCESSORS(bool, Bool, AsBool())
BEDROCK_CONFIG_ACCESSORS(std::vector<std::string>, StringArray, AsStringArray())
#undef BEDROCK_CONFIG_ACCESSORS

Result<ConfigNode> ConfigNode::GetObject(std::string_view key) const {
  ConfigNode child = BEDROCK_TRY(Get(key));
  BEDROCK_TRY(child.ExpectObject());
  return child;
}

Result<ConfigNode> ConfigNode::GetArray(std::string_view key) const {
  ConfigNode child = BEDROCK_TRY(Get(key));
  BEDROCK_TRY(child.ExpectArray());
  return child;
}

Result<std::optional<ConfigNode>> ConfigNode::OptionalObject(std::string_view key) const {
  BEDROCK_TRY(ExpectObject());
  std::optional<ConfigNode> child = Find(key);
  if (!child || child->value().is_null()) return std::optional<ConfigNode>();
  BEDROCK_TRY(child->ExpectObject());
  return child;
}

Result<std::optional<ConfigNode>> ConfigNode::OptionalArray(std::string_view key) const {
  BEDROCK_TRY(ExpectObject());
  std::optional<ConfigNode> child = Find(key);
  if (!child || child->value().is_null()) return std::optional<ConfigNode>();
  BEDROCK_TRY(child->ExpectArray());
  return child;
}

Error ConfigNode::UnknownKeyError(const ConfigNode& member,
                                  std::initializer_list<std::string_view> allowed) const {
  std::string_view best;
  size_t best_distance = std::numeric_limits<size_t>::max();
  for (std::string_view candidate : allowed) {
    size_t d = EditDistance(member.key(), candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  size_t tolerance = std::max<size_t>(1, std::min(member.key().size(), best.size()) / 3);
  if (!best.empty() && best_distance <= tolerance) {
    return member.Fail(fmt::format("unknown key (did you mean \"{}\"?)", best));
  }
  std::string list;
  for (std::string_view candidate : allowed) {
    list += list.empty() ? "" : ", ";
    list += candidate;
  }
  return member.Fail(fmt::format("unknown key (expected one of: {})", list));
}

Status ConfigNode::RejectUnknownKeys(std::initializer_list<std::string_view> allowed) const {
  BEDROCK_TRY(ExpectObject());
  std::vector<Error> unknown = FindUnknownKeys(allowed);
  if (!unknown.empty()) return std::move(unknown.front());
  return OkStatus();
}

std::vector<Error> ConfigNode::FindUnknownKeys(
    std::initializer_list<std::string_view> allowed) const {
  std::vector<Error> out;
  for (const ConfigNode& member : Members()) {
    if (std::find(allowed.begin(), allowed.end(), member.key()) == allowed.end()) {
      out.push_back(UnknownKeyError(member, allowed));
    }
  }
  return out;
}

}  // namespace bedrock::core

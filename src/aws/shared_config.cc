#include "aws/shared_config.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace bedrock::aws {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (IsBlank(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (IsBlank(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Profile, section and property names: ASCII letters, digits and "-_/.%@:+".
bool IsValidIdentifier(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '/' || c == '.' || c == '%' || c == '@' || c == ':' ||
              c == '+';
    if (!ok) return false;
  }
  return true;
}

// "prefix<whitespace>rest" -> rest (trimmed); nullopt when `inner` does not start that way.
std::optional<std::string_view> AfterPrefix(std::string_view inner, std::string_view prefix) {
  if (inner.size() <= prefix.size() || !inner.starts_with(prefix) ||
      !IsBlank(inner[prefix.size()])) {
    return std::nullopt;
  }
  return Trim(inner.substr(prefix.size()));
}

// Removes a property line's comment: '#' or ';' preceded by whitespace.
std::string_view StripPropertyComment(std::string_view line) {
  for (size_t i = 1; i < line.size(); ++i) {
    if ((line[i] == '#' || line[i] == ';') && IsBlank(line[i - 1])) return line.substr(0, i);
  }
  return line;
}

enum class SectionKind { kProfile, kDefaultUnprefixed, kSsoSession, kServices, kIgnored };

class Parser {
 public:
  Parser(SharedFileKind kind, std::string_view file_name) : kind_(kind), file_(file_name) {}

  core::Result<SharedConfigFile> Run(std::string_view text) {
    int line_number = 0;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      std::string_view line = text.substr(pos, end - pos);
      pos = end + 1;
      ++line_number;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      BEDROCK_TRY(ParseLine(line, line_number));
    }
    Finish();
    return std::move(out_);
  }

 private:
  core::Error LineError(int line, std::string_view message) const {
    return core::Error::InvalidArgument("{}:{}: {}", file_, line, message);
  }

  void Warn(int line, std::string message) {
    out_.warnings.push_back({std::string(file_), line, std::move(message)});
  }

  core::Status ParseLine(std::string_view line, int n) {
    if (Trim(line).empty()) return core::OkStatus();
    if (line.front() == '#' || line.front() == ';') return core::OkStatus();
    if (line.front() == '[') return ParseSection(line, n);
    if (IsBlank(line.front())) return ParseContinuation(Trim(line), n);
    return ParseProperty(line, n);
  }

  core::Status ParseSection(std::string_view line, int n) {
    // A comment may follow the closing bracket directly.
    size_t comment = line.find_first_of("#;");
    if (comment != std::string_view::npos) line = line.substr(0, comment);
    line = Trim(line);
    if (line.size() < 2 || line.back() != ']') {
      return LineError(n, "Profile definition must end with ']'");
    }
    std::string_view inner = Trim(line.substr(1, line.size() - 2));
    seen_section_ = true;
    property_ = nullptr;
    property_ignored_ = false;
    sub_properties_ = false;

    std::string_view name;
    SectionKind kind = SectionKind::kIgnored;
    if (kind_ == SharedFileKind::kConfig) {
      if (inner == "default") {
        kind = SectionKind::kDefaultUnprefixed;
        name = inner;
      } else if (auto p = AfterPrefix(inner, "profile")) {
        kind = SectionKind::kProfile;
        name = *p;
      } else if (auto s = AfterPrefix(inner, "sso-session")) {
        kind = SectionKind::kSsoSession;
        name = *s;
      } else if (auto v = AfterPrefix(inner, "services")) {
        kind = SectionKind::kServices;
        name = *v;
      } else {
        Warn(n, fmt::format("ignoring section '[{}]': profiles in the config file are written "
                            "'[profile name]'",
                            inner.substr(0, 100)));
      }
    } else {
      if (AfterPrefix(inner, "profile")) {
        Warn(n, fmt::format("ignoring section '[{}]': profiles in the credentials file have no "
                            "'profile' prefix",
                            inner.substr(0, 100)));
      } else {
        kind = SectionKind::kProfile;
        name = inner;
      }
    }
    if (kind != SectionKind::kIgnored && !IsValidIdentifier(name)) {
      Warn(n, fmt::format("ignoring section with invalid name '{}'", name.substr(0, 100)));
      kind = SectionKind::kIgnored;
    }
    section_ = nullptr;
    std::map<std::string, Profile>* target = nullptr;
    switch (kind) {
      case SectionKind::kProfile:
        target = &out_.profiles;
        break;
      case SectionKind::kDefaultUnprefixed:
        target = &default_unprefixed_;
        break;
      case SectionKind::kSsoSession:
        target = &out_.sso_sessions;
        break;
      case SectionKind::kServices:
        target = &out_.services;
        break;
      case SectionKind::kIgnored:
        break;
    }
    if (target != nullptr) {
      Profile& p = (*target)[std::string(name)];
      p.name = std::string(name);
      section_ = &p;
    }
    return core::OkStatus();
  }

  core::Status ParseProperty(std::string_view line, int n) {
    if (!seen_section_) return LineError(n, "Expected a profile definition before this property");
    line = StripPropertyComment(line);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return LineError(n, "Expected an '=' sign defining a property");
    }
    std::string_view key = Trim(line.substr(0, eq));
    std::string_view value = Trim(line.substr(eq + 1));
    if (key.empty()) return LineError(n, "Property did not have a name");
    property_ = nullptr;
    property_ignored_ = true;
    sub_properties_ = value.empty();
    if (section_ == nullptr) return core::OkStatus();  // inside an ignored section
    if (!IsValidIdentifier(key)) {
      Warn(n, fmt::format("ignoring property with invalid name '{}'", key.substr(0, 100)));
      return core::OkStatus();
    }
    std::string& slot = section_->properties[Lower(key)];
    slot.assign(value);
    property_ = &slot;
    property_ignored_ = false;
    return core::OkStatus();
  }

  core::Status ParseContinuation(std::string_view trimmed, int n) {
    if (!seen_section_) {
      return LineError(n, "Expected a profile definition, found continuation");
    }
    if (property_ == nullptr && !property_ignored_) {
      return LineError(n, "Expected a property definition, found continuation");
    }
    if (sub_properties_) {
      size_t eq = trimmed.find('=');
      if (eq == std::string_view::npos) {
        return LineError(n, "Expected an '=' sign defining a sub-property");
      }
      if (Trim(trimmed.substr(0, eq)).empty()) {
        return LineError(n, "Sub-property did not have a name");
      }
    }
    if (property_ != nullptr) {
      property_->push_back('\n');
      property_->append(trimmed);
    }
    return core::OkStatus();
  }

  void Finish() {
    // "[default]" in the config file counts only when "[profile default]" is absent.
    if (auto it = default_unprefixed_.find("default"); it != default_unprefixed_.end()) {
      if (out_.profiles.contains("default")) {
        Warn(0, "ignoring '[default]': '[profile default]' takes precedence");
      } else {
        out_.profiles["default"] = std::move(it->second);
      }
    }
  }

  SharedFileKind kind_;
  std::string_view file_;
  SharedConfigFile out_;
  std::map<std::string, Profile> default_unprefixed_;
  bool seen_section_ = false;
  Profile* section_ = nullptr;       // null inside an ignored section
  std::string* property_ = nullptr;  // the value continuation lines extend
  bool property_ignored_ = false;    // the last property was skipped; absorb its continuations
  bool sub_properties_ = false;      // the last property had an empty value
};

void MergeInto(std::map<std::string, Profile>& into, const std::map<std::string, Profile>& from) {
  for (const auto& [name, profile] : from) {
    Profile& target = into[name];
    target.name = name;
    for (const auto& [key, value] : profile.properties) target.properties[key] = value;
  }
}

core::Result<std::string> ReadIfExists(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::Error::FailedPrecondition("cannot read {}: {}", path, std::strerror(errno));
  std::string text;
  char buffer[8192];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxSharedConfigFileSize) {
      return core::Error::PayloadTooLarge("{} is larger than {} bytes", path,
                                          kMaxSharedConfigFileSize);
    }
  }
  return text;
}

}  // namespace

std::optional<std::string> Profile::Get(std::string_view key) const {
  auto it = properties.find(Lower(key));
  if (it == properties.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, std::string> Profile::SubProperties(std::string_view key) const {
  std::map<std::string, std::string> out;
  auto value = Get(key);
  if (!value) return out;
  std::string_view rest = *value;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view k = Trim(line.substr(0, eq));
    if (k.empty()) continue;
    out[Lower(k)] = std::string(Trim(line.substr(eq + 1)));
  }
  return out;
}

const Profile* ProfileSet::FindProfile(std::string_view name) const {
  auto it = profiles.find(std::string(name));
  return it == profiles.end() ? nullptr : &it->second;
}

const Profile* ProfileSet::FindSsoSession(std::string_view name) const {
  auto it = sso_sessions.find(std::string(name));
  return it == sso_sessions.end() ? nullptr : &it->second;
}

core::Result<SharedConfigFile> ParseSharedConfigFile(std::string_view text, SharedFileKind kind,
                                                     std::string_view file_name) {
  if (text.size() > kMaxSharedConfigFileSize) {
    return core::Error::PayloadTooLarge("{} is larger than {} bytes", file_name,
                                        kMaxSharedConfigFileSize);
  }
  return Parser(kind, file_name).Run(text);
}

ProfileSet MergeProfileFiles(const SharedConfigFile& config, const SharedConfigFile& credentials) {
  ProfileSet set;
  MergeInto(set.profiles, config.profiles);
  MergeInto(set.profiles, credentials.profiles);
  MergeInto(set.sso_sessions, config.sso_sessions);
  MergeInto(set.services, config.services);
  set.warnings = config.warnings;
  set.warnings.insert(set.warnings.end(), credentials.warnings.begin(), credentials.warnings.end());
  return set;
}

core::Result<ProfileSet> LoadProfileFiles(const std::string& config_path,
                                          const std::string& credentials_path) {
  std::string config_text = BEDROCK_TRY(ReadIfExists(config_path));
  auto config =
      BEDROCK_TRY(ParseSharedConfigFile(config_text, SharedFileKind::kConfig, config_path));
  std::string creds_text = BEDROCK_TRY(ReadIfExists(credentials_path));
  auto credentials = BEDROCK_TRY(
      ParseSharedConfigFile(creds_text, SharedFileKind::kCredentials, credentials_path));
  return MergeProfileFiles(config, credentials);
}

}  // namespace bedrock::aws

// The AWS shared config and credentials files (~/.aws/config, ~/.aws/credentials), parsed with
// the rules every AWS SDK follows, and merged into one set of profiles.
//
//   auto config = aws::ParseSharedConfigFile(config_text, aws::SharedFileKind::kConfig, path);
//   auto creds = aws::ParseSharedConfigFile(creds_text, aws::SharedFileKind::kCredentials, path2);
//   aws::ProfileSet profiles = aws::MergeProfileFiles(*config, *creds);
//   if (const aws::Profile* p = profiles.FindProfile("dev")) region = p->Get("region");
//
// The rules (the SDKs' cross-language profile-parser test suite):
// - Lines end in "\n" or "\r\n". Blank lines, and lines starting with '#' or ';', are ignored.
// - "[name]" opens a section. In the config file, profiles are "[profile name]" (or "[default]");
//   "[sso-session name]" and "[services name]" are their own sections; any other unprefixed
//   section is ignored. In the credentials file every "[name]" is a profile and
//   "[profile name]" is ignored. Whitespace inside the brackets is trimmed; a comment may follow
//   ']' directly. A line starting with '[' but not ending in ']' is an error.
// - "key = value": the key is trimmed and lower-cased, the value trimmed; a '#' or ';' preceded by
//   whitespace starts a comment. Keys and profile names may hold [A-Za-z0-9] and "-_/.%@:+";
//   others are ignored (with a warning), together with the properties of an ignored profile.
// - A line starting with whitespace continues the previous property: "\n" + the trimmed line is
//   appended (comments included). When the property's value was empty ("s3 =") the continuation
//   lines are sub-properties and must each be "key = value".
// - A profile or key repeated in one file merges; the last value wins. When the config file has
//   both "[profile default]" and "[default]", the latter is ignored. Merging the two files, the
//   credentials file's values win.
// - Errors name the file and the 1-based line.
//
// Thread-safety: value types and pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace bedrock::aws {

enum class SharedFileKind { kConfig, kCredentials };

// A profile, sso-session or services section: lower-case keys to values.
struct Profile {
  std::string name;
  std::map<std::string, std::string> properties;

  // The value of `key` (matched case-insensitively), if set.
  std::optional<std::string> Get(std::string_view key) const;
  // The sub-properties of a nested property ("s3 =\n  max_concurrent_requests = 20"), keys
  // lower-cased; empty when `key` is absent or has none.
  std::map<std::string, std::string> SubProperties(std::string_view key) const;

  bool operator==(const Profile&) const = default;
};

// Something the parser skipped, for logs: "config:12: ignoring profile 'in valid'...".
struct SharedConfigWarning {
  std::string file;
  int line = 0;
  std::string message;
};

// One parsed file.
struct SharedConfigFile {
  std::map<std::string, Profile> profiles;
  std::map<std::string, Profile> sso_sessions;  // config file only
  std::map<std::string, Profile> services;      // config file only
  std::vector<SharedConfigWarning> warnings;
};

// The merged view of both files.
struct ProfileSet {
  std::map<std::string, Profile> profiles;
  std::map<std::string, Profile> sso_sessions;
  std::map<std::string, Profile> services;
  std::vector<SharedConfigWarning> warnings;

  const Profile* FindProfile(std::string_view name) const;
  const Profile* FindSsoSession(std::string_view name) const;
};

// Largest file the parser accepts (real files are a few KiB).
inline constexpr size_t kMaxSharedConfigFileSize = 4 * 1024 * 1024;

// Parses one file; `file_name` is used in errors and warnings. Fails (kInvalidArgument) on the
// first malformed line; kPayloadTooLarge over kMaxSharedConfigFileSize.
core::Result<SharedConfigFile> ParseSharedConfigFile(std::string_view text, SharedFileKind kind,
                                                     std::string_view file_name);

// Merges the config and credentials files (credentials values win).
ProfileSet MergeProfileFiles(const SharedConfigFile& config, const SharedConfigFile& credentials);

// Reads and parses both files; a file that does not exist counts as empty. Paths are given by the
// caller (who resolves AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE and "~").
core::Result<ProfileSet> LoadProfileFiles(const std::string& config_path,
                                          const std::string& credentials_path);

}  // namespace bedrock::aws

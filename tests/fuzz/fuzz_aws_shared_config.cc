// Parses the input as an AWS shared config file and as a credentials file, merges them and reads
// every property and sub-property. Parsing must be deterministic and the CRLF form of the input
// must parse the same way as the LF form.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "aws/shared_config.h"

namespace {

using bedrock::aws::ParseSharedConfigFile;
using bedrock::aws::SharedFileKind;

bool SameProfiles(const bedrock::aws::SharedConfigFile& a,
                  const bedrock::aws::SharedConfigFile& b) {
  return a.profiles == b.profiles && a.sso_sessions == b.sso_sessions && a.services == b.services;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto config = ParseSharedConfigFile(input, SharedFileKind::kConfig, "config");
  auto credentials = ParseSharedConfigFile(input, SharedFileKind::kCredentials, "credentials");

  // CRLF line endings parse like LF ones (inputs already holding '\r' are skipped: a lone '\r'
  // before '\n' would become "\r\r\n").
  if (input.find('\r') == std::string_view::npos) {
    std::string crlf;
    for (char c : input) {
      if (c == '\n') crlf.push_back('\r');
      crlf.push_back(c);
    }
    auto again = ParseSharedConfigFile(crlf, SharedFileKind::kConfig, "config");
    if (again.ok() != config.ok()) std::abort();
    if (config.ok() && !SameProfiles(*config, *again)) std::abort();
  }

  if (config.ok() && credentials.ok()) {
    auto set = bedrock::aws::MergeProfileFiles(*config, *credentials);
    for (const auto& [name, profile] : set.profiles) {
      for (const auto& [key, value] : profile.properties) {
        if (profile.Get(key) != value) std::abort();
        (void)profile.SubProperties(key);
      }
    }
  }
  return 0;
}

// Parses what the credential providers receive from the network and from files they do not own:
// STS XML answers (success and <ErrorResponse>), IMDS / ECS credential JSON, the SSO portal's
// answer, `aws sso login`'s token cache and the access-key CSV. Input layout: the first byte picks
// the parser, the rest is the document. Each document is also parsed truncated at several points.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "aws/credential_providers.h"
#include "aws/imds.h"
#include "aws/internal/xml.h"
#include "aws/key_pool.h"
#include "aws/sts.h"

namespace {

void ParseOne(uint8_t which, std::string_view doc) {
  using namespace bedrock::aws;
  switch (which % 8) {
    case 0: {
      auto creds = ParseStsCredentialsResponse(doc, "AssumeRole");
      if (creds.ok() && (creds->access_key_id.empty() || !creds->expiration)) std::abort();
      break;
    }
    case 1:
      (void)ParseStsCredentialsResponse(doc, "AssumeRoleWithWebIdentity");
      break;
    case 2: {
      auto error = ParseStsErrorResponse(403, doc);
      if (error.type.find(':') != std::string::npos) std::abort();
      (void)error.ToError();
      break;
    }
    case 3: {
      auto creds = ParseMetadataCredentials(doc, "fuzz");
      if (creds.ok() && creds->Empty()) std::abort();
      break;
    }
    case 4:
      (void)ParseSsoRoleCredentials(doc);
      break;
    case 5:
      (void)ParseSsoTokenCache(doc);
      break;
    case 6: {
      auto root = internal::ParseXml(doc);
      if (root.ok() && root->name.empty()) std::abort();
      break;
    }
    case 7: {
      auto keys = ParseAccessKeyCsv(doc);
      if (keys.ok()) {
        if (keys->empty()) std::abort();
        for (const auto& k : *keys) {
          if (k.Empty()) std::abort();
        }
      }
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string_view doc(reinterpret_cast<const char*>(data) + 1, size - 1);
  ParseOne(data[0], doc);
  for (size_t cut : {doc.size() / 3, doc.size() / 2, doc.size() - doc.size() / 4}) {
    ParseOne(data[0], doc.substr(0, cut));
  }
  return 0;
}

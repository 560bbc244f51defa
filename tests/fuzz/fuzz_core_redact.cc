// Feeds core::FindSecrets / RedactText and checks that the spans are in bounds, ordered and
// non-overlapping, and that redaction is idempotent: once redacted, nothing more is found to hide.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/redact.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bedrock::core;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t previous_end = 0;
  for (const SecretSpan& span : FindSecrets(text)) {
    if (span.begin < previous_end || span.end <= span.begin || span.end > text.size()) std::abort();
    previous_end = span.end;
  }
  std::string once = RedactText(text);
  if (RedactText(once) != once) std::abort();
  (void)IsSecretKey(text);
  return 0;
}

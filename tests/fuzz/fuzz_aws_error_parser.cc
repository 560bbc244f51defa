// Parses restJson1 error responses and event-stream exception payloads. Input layout: two bytes of
// HTTP status, then the x-amzn-ErrorType header value up to the first '\n', then the body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "aws/errors.h"
#include "http/message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  int status = 100 + (data[0] << 8 | data[1]) % 500;
  std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  size_t nl = rest.find('\n');
  std::string_view header = rest.substr(0, nl);
  std::string_view body = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);

  bedrock::http::Headers headers;
  if (!header.empty()) headers.Add("x-amzn-ErrorType", std::string(header));
  auto error = bedrock::aws::ParseRestJson1Error(status, headers, body);
  auto core_error = error.ToError();
  // The sanitised type never keeps the parts the spec strips.
  if (error.type.find(':') != std::string::npos || error.type.find('#') != std::string::npos) {
    std::abort();
  }
  if (!error.type.empty() && core_error.message().rfind(error.type, 0) != 0) std::abort();

  auto in_stream = bedrock::aws::ParseEventStreamException(header, body);
  (void)in_stream.ToError();
  (void)bedrock::aws::ParseRestJson1Error(status, {}, rest);
  return 0;
}

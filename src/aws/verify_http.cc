#include "aws/verify_http.h"

#include <vector>

namespace bedrock::aws {

std::optional<VerifyFailure> VerifyHttpRequest(SigV4Verifier& verifier,
                                               const http::Request& request,
                                               const VerifyOptions& options) {
  std::vector<HeaderView> headers;
  headers.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers) headers.push_back({name, value});
  SignableRequest signable{.method = request.method,
                           .path = request.Path(),
                           .query = request.Query(),
                           .headers = headers,
                           .body = request.body,
                           .payload_hash = {}};
  return verifier.Verify(signable, options);
}

}  // namespace bedrock::aws

#include "aws/verify_http.h"

namespace bedrock::aws {

SignableHttpRequest::SignableHttpRequest(const http::Request& request) {
  headers_.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers) headers_.push_back({name, value});
  signable_ = SignableRequest{.method = request.method,
                              .path = request.Path(),
                              .query = request.Query(),
                              .headers = headers_,
                              .body = request.body,
                              .payload_hash = {}};
}

void SignHttpRequest(http::Request& request, const Credentials& credentials,
                     const SigningConfig& config) {
  SigV4Headers headers = [&] {
    SignableHttpRequest signable(request);
    return SignRequest(signable.view(), credentials, config);
  }();
  headers.ApplyTo(request.headers);
}

std::optional<VerifyFailure> VerifyHttpRequest(SigV4Verifier& verifier,
                                               const http::Request& request,
                                               const VerifyOptions& options) {
  SignableHttpRequest signable(request);
  return verifier.Verify(signable.view(), options);
}

}  // namespace bedrock::aws

// SigV4 over whole http::Request objects: the signable view of a request, signing one in place
// (test clients), and verifying one as an http::Server received it (the local emulator, fakes).
//
// Thread-safety: as SigV4Verifier — the caller serialises use of one verifier.
#pragma once

#include <optional>
#include <vector>

#include "aws/sigv4.h"
#include "http/message.h"

namespace bedrock::aws {

// The SigV4 view of `request`: its method, path, query, every header and the body. Borrows the
// request, which must outlive the view and not change while it is used; owns only the header list.
class SignableHttpRequest {
 public:
  explicit SignableHttpRequest(const http::Request& request);
  SignableHttpRequest(const SignableHttpRequest&) = delete;
  SignableHttpRequest& operator=(const SignableHttpRequest&) = delete;

  const SignableRequest& view() const { return signable_; }

 private:
  std::vector<HeaderView> headers_;
  SignableRequest signable_;
};

// Signs `request` in place (x-amz-date, x-amz-security-token, authorization), covering every
// header it already carries.
void SignHttpRequest(http::Request& request, const Credentials& credentials,
                     const SigningConfig& config);

// Verifies `request`'s SigV4 signature (header or presigned query) exactly as it arrived.
std::optional<VerifyFailure> VerifyHttpRequest(SigV4Verifier& verifier,
                                               const http::Request& request,
                                               const VerifyOptions& options);

}  // namespace bedrock::aws

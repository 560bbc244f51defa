// SigV4 verification of a request received by an http::Server (the local emulator, test fakes).
//
// Thread-safety: as SigV4Verifier — the caller serialises use of one verifier.
#pragma once

#include <optional>

#include "aws/sigv4.h"
#include "http/message.h"

namespace bedrock::aws {

// Verifies `request`'s SigV4 signature (header or presigned query) as it arrived: the path, query,
// every header and the body, exactly as received.
std::optional<VerifyFailure> VerifyHttpRequest(SigV4Verifier& verifier,
                                               const http::Request& request,
                                               const VerifyOptions& options);

}  // namespace bedrock::aws

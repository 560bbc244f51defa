// Integrity-protected `requestState` for multi-round-trip requests (MCP 2026-07-28, SEP-2322).
//
// A server that answers a request with an InputRequiredResult keeps nothing: what it needs on the
// retry (the answers gathered in earlier rounds, the handler's own state) travels to the client in
// `requestState` and comes back with the retry. The client is not trusted with it: the state is
// signed with HMAC-SHA256 under a per-server secret, bound to the request it belongs to (method,
// tool/prompt name or resource URI, authenticated principal) and to an expiry, and rejected if any
// of that does not match.
//
//   mcp::RequestStateCodec codec(secret);                  // replicas share `secret`
//   mcp::RequestStateBinding binding("tools/call", "deploy", principal);
//   std::string state = codec.Seal(binding, payload);       // into the InputRequiredResult
//   auto payload = codec.Open(state, binding);              // on the retry: verified or an error
//
// The state is signed, not encrypted: the client can read it (it holds its own answers anyway).
// Do not put secrets in it. A state can be replayed until it expires; handlers whose effects must
// happen at most once enforce that themselves (the spec says so too).
//
// Thread-safety: a codec is immutable after construction; Seal and Open may be called concurrently.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace bedrock::mcp {

// What a state is valid for. Not an aggregate: see SendOptions in transport.h.
struct RequestStateBinding {
  RequestStateBinding() {}
  RequestStateBinding(std::string request_method, std::string request_name,
                      std::string request_principal = {})
      : method(std::move(request_method)),
        name(std::move(request_name)),
        principal(std::move(request_principal)) {}

  std::string method;     // "tools/call", "prompts/get", "resources/read"
  std::string name;       // the tool or prompt name, or the resource URI
  std::string principal;  // who the transport authenticated; empty when nobody was
};

class RequestStateCodec {
 public:
  // `secret` is the HMAC key (any bytes; 32 random bytes or more is right). Empty: a random key of
  // this process, so only this process accepts its states. `ttl`: how long a state stays valid.
  explicit RequestStateCodec(std::string secret = {},
                             std::chrono::milliseconds ttl = std::chrono::minutes(10),
                             const core::Clock& clock = core::SystemClock::Instance());

  // The opaque string for `payload` (any JSON object), bound to `binding`.
  std::string Seal(const RequestStateBinding& binding, const boost::json::object& payload) const;

  // The payload of a state Seal made for the same binding, or kInvalidArgument when the state is
  // malformed, its signature does not verify, it belongs to another request or principal, or it
  // has expired. The message says which, for the JSON-RPC error.
  core::Result<boost::json::object> Open(std::string_view state,
                                         const RequestStateBinding& binding) const;

  std::chrono::milliseconds ttl() const { return ttl_; }

 private:
  std::string Mac(std::string_view data) const;

  std::string key_;
  std::chrono::milliseconds ttl_;
  const core::Clock& clock_;
};

// 32 bytes from the kernel's CSPRNG as 64 hex digits: a good `secret` for replicas to share.
std::string NewRequestStateSecret();

}  // namespace bedrock::mcp

// Test helpers for the Bedrock clients: a loopback Bedrock (Runtime or Agent Runtime) that verifies
// every SigV4 signature with aws::SigV4Verifier before the test's script answers, and builders for
// Bedrock's error and event-stream responses.
//
//   testing::VerifyingBedrock fake([](const http::Request& r, int call) {
//     if (call == 0) return testing::AwsErrorResponse(429, "ThrottlingException", "slow down");
//     return http::Response::Json(200, R"({"embedding":[0.5]})");
//   });
//   options.endpoint = fake.endpoint();
//   options.credentials = testing::StaticCredentials();
//   ... EXPECT_FALSE(fake.seen()[0].verify_failure);
//
// A request whose signature does not verify is answered 403 with the verifier's AWS error type
// (InvalidSignatureException, ...) and never reaches the script. Bearer requests are not checked.
//
// Thread-safety: the script runs on the server's thread; seen() may be called from any thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aws/credentials.h"
#include "aws/sigv4.h"
#include "aws/testing/fake_server.h"
#include "aws/verify_http.h"
#include "http/client.h"
#include "http/handler.h"
#include "http/message.h"
#include "llm/bedrock_provider.h"

namespace bedrock::llm::testing {

inline constexpr char kAccessKey[] = "AKIDEXAMPLE";
inline constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
inline constexpr char kToken[] = "EXAMPLE-SESSION-TOKEN";

// A credentials callback for BedrockOptions::credentials that always yields `credentials`.
inline auto StaticCredentials(aws::Credentials credentials = {kAccessKey, kSecret, kToken, {}}) {
  return [credentials]() -> boost::asio::awaitable<core::Result<aws::Credentials>> {
    co_return credentials;
  };
}

// A client for loopback tests: no proxy, no system CAs, short deadlines.
inline http::Client LoopbackClient(boost::asio::io_context& io) {
  http::ClientOptions options;
  options.proxy = http::ProxyConfig{};
  options.use_system_cas = false;
  options.request_timeout = std::chrono::seconds(20);
  options.stream_idle_timeout = std::chrono::seconds(20);
  auto client = http::Client::Create(io.get_executor(), options);
  EXPECT_TRUE(client.ok());
  return *client;
}

// Options for a client of `fake`: region us-east-1, the test credentials, 1 ms retry back-off.
inline BedrockOptions TestOptions(const std::string& endpoint) {
  BedrockOptions options;
  options.region = "us-east-1";
  options.endpoint = endpoint;
  options.credentials = StaticCredentials();
  options.retry.base_delay = std::chrono::milliseconds(1);
  options.retry.throttling_base_delay = std::chrono::milliseconds(1);
  return options;
}

// A restJson1 error as real Bedrock sends it.
inline http::Response AwsErrorResponse(int status, std::string_view type, std::string_view message,
                                       boost::json::object extra = {}) {
  extra["message"] = message;
  http::Response response = http::Response::Json(status, boost::json::serialize(extra));
  response.headers.Set("x-amzn-ErrorType",
                       std::string(type) + ":http://internal.amazon.com/coral/com.amazon.bedrock/");
  response.headers.Set("x-amzn-RequestId", "req-1");
  return response;
}

// A 200 event-stream response whose body is `bytes`, written in odd-sized slices so that frames
// arrive split anywhere. `headers` are added to the response.
inline http::Response EventStreamOf(std::string bytes, http::Headers headers = {}) {
  http::Response response = http::StreamResponse(
      200, "application/vnd.amazon.eventstream",
      [bytes = std::move(bytes)](http::StreamWriter& out) -> boost::asio::awaitable<core::Status> {
        static constexpr size_t kSlices[] = {5, 17, 100, 3, 64};
        size_t i = 0, k = 0;
        while (i < bytes.size()) {
          size_t n = std::min(kSlices[k++ % 5], bytes.size() - i);
          BEDROCK_CO_TRY(co_await out.Write(std::string_view(bytes).substr(i, n)));
          i += n;
        }
        co_return core::OkStatus();
      });
  for (const auto& [name, value] : headers) response.headers.Set(name, value);
  return response;
}

// The verifier's view of the test credentials: kAccessKey with kSecret, requiring kToken.
inline aws::CredentialLookup TestCredentialLookup() {
  return [](std::string_view id) -> std::optional<aws::VerifierKey> {
    if (id != kAccessKey) return std::nullopt;
    return aws::VerifierKey{kSecret, kToken};
  };
}

// Checks `request`'s SigV4 signature (service "bedrock", region us-east-1) with `verifier`; nullopt
// when it verifies or the request carries a bearer token instead.
inline std::optional<aws::VerifyFailure> VerifyTestSignature(aws::SigV4Verifier& verifier,
                                                             const http::Request& request) {
  if (request.headers.Get("authorization").value_or("").starts_with("Bearer ")) {
    return std::nullopt;
  }
  aws::VerifyOptions options{
      .service = "bedrock", .region = "us-east-1", .now = std::chrono::system_clock::now()};
  return aws::VerifyHttpRequest(verifier, request, options);
}

struct SeenRequest {
  http::Request request;
  std::optional<aws::VerifyFailure> verify_failure;  // nullopt: verified (or bearer)
};

class VerifyingBedrock {
 public:
  using Script = std::function<http::Response(const http::Request& request, int call)>;

  explicit VerifyingBedrock(Script script)
      : script_(std::move(script)),
        server_([this](const http::Request& request) { return Handle(request); }) {}

  std::string endpoint() const { return server_.url(); }

  std::vector<SeenRequest> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  http::Response Handle(const http::Request& request) {
    SeenRequest seen{request, VerifyTestSignature(verifier_, request)};
    int call;
    {
      std::lock_guard lock(mutex_);
      call = static_cast<int>(seen_.size());
      seen_.push_back(seen);
    }
    if (seen.verify_failure) {
      return AwsErrorResponse(seen.verify_failure->http_status, seen.verify_failure->aws_error_type,
                              seen.verify_failure->message);
    }
    return script_(request, call);
  }

  Script script_;
  aws::SigV4Verifier verifier_{TestCredentialLookup()};
  mutable std::mutex mutex_;
  std::vector<SeenRequest> seen_;  // guarded by mutex_
  // Last: stopped (destroyed) first, so no handler runs on the members above after they are gone.
  aws::testing::FakeServer server_;
};

}  // namespace bedrock::llm::testing

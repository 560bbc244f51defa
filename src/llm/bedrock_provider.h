// A Bedrock Runtime client: Converse and ConverseStream over http::Client, signed with SigV4
// (service "bedrock") or authorised with a Bedrock API key (bearer), retried in the SDKs'
// standard mode.
//
//   core::SystemEnv env;
//   auto options = BEDROCK_TRY(llm::BedrockOptionsFromEnv(env));   // region, endpoint, API key
//   options.credentials = [chain]() { return chain->Get(); };      // when not using an API key
//   auto bedrock = BEDROCK_TRY(llm::BedrockProvider::Create(http_client, std::move(options)));
//   auto response = co_await bedrock->Converse(request);
//
// Wire details (bedrock-protocols.md): POST {endpoint}/model/{modelId}/converse[-stream] with the
// model id percent-encoded (':' -> %3A, '/' -> %2F, so ARNs fit in one segment); JSON body; the
// signed headers are host, content-type, x-amz-content-sha256, x-amz-date,
// x-amz-security-token (temporary credentials), amz-sdk-invocation-id and amz-sdk-request.
// Errors are restJson1 (x-amzn-ErrorType / __type / code) and keep their AWS type in the message:
// "model provider bedrock: ThrottlingException: Too many requests".
//
// Retries: throttling and transient failures before a response is accepted, up to
// BedrockOptions::retry.max_attempts attempts in total; never once a stream has started (an
// exception frame mid-stream ends the stream with its error).
//
// Thread-safety: a BedrockProvider may be shared by concurrent coroutines; see llm/provider.h.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "aws/credentials.h"
#include "aws/retry.h"
#include "core/clock.h"
#include "core/env.h"
#include "core/result.h"
#include "http/client.h"
#include "llm/provider.h"

namespace bedrock::llm {

// Supplies (cached, refreshed) AWS credentials; called once per attempt.
using CredentialsProvider = std::function<boost::asio::awaitable<core::Result<aws::Credentials>>()>;

struct BedrockOptions {
  std::string region;    // required: the SigV4 scope region (and the default endpoint's)
  std::string endpoint;  // empty: https://bedrock-runtime.{region}.amazonaws.com
  // A Bedrock API key: sent as "Authorization: Bearer <key>" instead of a SigV4 signature.
  std::string bearer_token;
  CredentialsProvider credentials;                // required unless bearer_token is set
  aws::RetryConfig retry;                         // AWS standard-mode retries (aws/retry.h)
  aws::RetryStrategy::RandomSource retry_random;  // jitter source; null: a PRNG
  // Per attempt: Converse's whole exchange; ConverseStream until the response head.
  std::chrono::milliseconds request_timeout{120'000};
  // ConverseStream: the longest silence between two pieces of the body.
  std::chrono::milliseconds stream_idle_timeout{120'000};
  const core::Clock* clock = &core::SystemClock::Instance();  // SigV4 time; must outlive us
};

// Region (AWS_REGION, AWS_DEFAULT_REGION), endpoint (AWS_ENDPOINT_URL_BEDROCK_RUNTIME,
// AWS_ENDPOINT_URL), API key (AWS_BEARER_TOKEN_BEDROCK) and retry settings (AWS_MAX_ATTEMPTS,
// AWS_RETRY_MODE) from the environment. Profile regions are the credential chain's business: a
// region found there can be set afterwards. Credentials are left to the caller.
core::Result<BedrockOptions> BedrockOptionsFromEnv(const core::Env& env);

// "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse" for operation "converse".
std::string BedrockModelPath(std::string_view model_id, std::string_view operation);

class BedrockProvider final : public ChatProvider {
 public:
  // kInvalidArgument for a missing region, a malformed endpoint, or neither credentials nor a
  // bearer token.
  static core::Result<std::unique_ptr<BedrockProvider>> Create(http::Client client,
                                                               BedrockOptions options);
  ~BedrockProvider() override;

  std::string_view name() const override { return "bedrock"; }

  boost::asio::awaitable<core::Result<ChatResponse>> Converse(ChatRequest request) override;
  boost::asio::awaitable<core::Result<std::unique_ptr<ChatStream>>> ConverseStream(
      ChatRequest request) override;

  // The base URL requests go to, e.g. "https://bedrock-runtime.us-east-1.amazonaws.com".
  const std::string& endpoint() const;

 private:
  struct Impl;
  explicit BedrockProvider(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace bedrock::llm

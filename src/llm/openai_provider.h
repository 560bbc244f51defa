// An OpenAI-compatible chat-completions provider (OpenAI, DeepSeek, Qwen, vLLM, the local
// emulator...): any base URL, bearer API key, streaming over Server-Sent Events with tool-call
// deltas assembled by index. The wire mapping is llm/openai_chat.h.
//
//   llm::OpenAiOptions options{.base_url = "https://api.deepseek.com/v1", .api_key = key};
//   auto model = BEDROCK_TRY(llm::OpenAiProvider::Create(http_client, std::move(options)));
//   auto response = co_await model->Converse(request);     // POST {base_url}/chat/completions
//
// Errors: "model provider openai: HTTP 429 rate_limit_exceeded: <message>", the code mapped from
// the HTTP status. 429, 500, 502, 503 and 504 and connection failures are retried as for Bedrock
// (standard mode), never once a stream has started.
//
// Thread-safety: as llm/provider.h.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "aws/retry.h"
#include "core/clock.h"
#include "core/result.h"
#include "http/client.h"
#include "llm/provider.h"

namespace bedrock::llm {

struct OpenAiOptions {
  // Up to and including the API version: "https://api.openai.com/v1". Requests go to
  // base_url + "/chat/completions".
  std::string base_url;
  std::string api_key;          // sent as "Authorization: Bearer <key>" when non-empty
  std::string name = "openai";  // the provider's name in errors
  aws::RetryConfig retry;       // AWS standard-mode retries (aws/retry.h)
  aws::RetryStrategy::RandomSource retry_random;  // jitter source; null: a PRNG
  std::chrono::milliseconds request_timeout{120'000};
  std::chrono::milliseconds stream_idle_timeout{120'000};
  const core::Clock* clock = &core::SystemClock::Instance();  // latency; must outlive us
};

class OpenAiProvider final : public ChatProvider {
 public:
  // kInvalidArgument for a malformed base URL.
  static core::Result<std::unique_ptr<OpenAiProvider>> Create(http::Client client,
                                                              OpenAiOptions options);
  ~OpenAiProvider() override;

  std::string_view name() const override;

  boost::asio::awaitable<core::Result<ChatResponse>> Converse(ChatRequest request) override;
  boost::asio::awaitable<core::Result<std::unique_ptr<ChatStream>>> ConverseStream(
      ChatRequest request) override;

 private:
  struct Impl;
  explicit OpenAiProvider(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace bedrock::llm

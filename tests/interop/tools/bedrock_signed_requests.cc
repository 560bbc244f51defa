// Sends one request of each Bedrock operation our clients implement (Converse, ConverseStream,
// InvokeModel, InvokeModelWithResponseStream via Claude, Retrieve, InvokeAgent) to the endpoint in
// AWS_ENDPOINT_URL, signed with the credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
// AWS_SESSION_TOKEN, and prints one JSON line per operation: {"op", "ok", "result" | "error"}.
// tests/interop/aws_sigv4_smithy.test.mjs runs it against a Node server that checks every
// signature with @smithy/signature-v4 and answers with frames from @smithy/eventstream-codec.
//
// The inputs are chosen to stress canonicalisation: an inference-profile ARN as the model id
// (':' and '/' in one path segment), a session id with a space and non-ASCII letters, and
// non-ASCII text in bodies.
#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "aws/credential_chain.h"
#include "core/env.h"
#include "http/client.h"
#include "llm/bedrock_agent_runtime.h"
#include "llm/bedrock_invoke.h"
#include "llm/bedrock_provider.h"

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace bedrock;
using asio::awaitable;

constexpr char kHaiku[] = "anthropic.claude-3-haiku-20240307-v1:0";
constexpr char kProfileArn[] =
    "arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
    "us.anthropic.claude-3-5-sonnet-20241022-v2:0";

void Report(std::string_view op, const core::Result<std::string>& result) {
  json::object line{{"op", op}, {"ok", result.ok()}};
  if (result.ok()) {
    line["result"] = *result;
  } else {
    line["error"] = result.error().ToString();
  }
  std::printf("%s\n", json::serialize(line).c_str());
  std::fflush(stdout);
}

llm::ChatRequest Chat(std::string model) {
  llm::ChatRequest request;
  request.model_id = std::move(model);
  request.messages.push_back(llm::Message::UserText("Héllo wörld ✓ — what's the weather?"));
  request.inference.max_tokens = 64;
  return request;
}

awaitable<void> RunAll(http::Client client, llm::BedrockOptions runtime_options,
                       llm::BedrockOptions agent_options) {
  auto runtime = llm::BedrockProvider::Create(client, runtime_options);
  auto invoke = llm::BedrockInvokeClient::Create(client, runtime_options);
  auto agents = llm::AgentRuntimeClient::Create(client, agent_options);
  if (!runtime.ok() || !invoke.ok() || !agents.ok()) {
    Report("setup", !runtime.ok()  ? runtime.error()
                    : !invoke.ok() ? invoke.error()
                                   : agents.error());
    co_return;
  }

  {
    auto response = co_await (*runtime)->Converse(Chat(kHaiku));
    Report("converse", response.ok() ? core::Result<std::string>(response->message.Text())
                                     : core::Result<std::string>(response.error()));
  }
  {
    auto collected = co_await [&]() -> awaitable<core::Result<llm::ChatResponse>> {
      BEDROCK_CO_TRY_ASSIGN(auto stream, co_await (*runtime)->ConverseStream(Chat(kProfileArn)));
      co_return co_await llm::CollectStream(*stream);
    }();
    Report("converse-stream", collected.ok() ? core::Result<std::string>(collected->message.Text())
                                             : core::Result<std::string>(collected.error()));
  }
  {
    llm::InvokeModelRequest request;
    request.model_id = "amazon.titan-embed-text-v2:0";
    request.body = R"({"inputText":"naïve café","dimensions":256})";
    auto response = co_await (*invoke)->InvokeModel(std::move(request));
    Report("invoke", response.ok() ? core::Result<std::string>(response->body)
                                   : core::Result<std::string>(response.error()));
  }
  {
    auto claude = (*invoke)->ClaudeProvider();
    auto collected = co_await [&]() -> awaitable<core::Result<llm::ChatResponse>> {
      BEDROCK_CO_TRY_ASSIGN(auto stream, co_await claude->ConverseStream(Chat(kProfileArn)));
      co_return co_await llm::CollectStream(*stream);
    }();
    Report("invoke-stream", collected.ok() ? core::Result<std::string>(collected->message.Text())
                                           : core::Result<std::string>(collected.error()));
  }
  {
    llm::RetrieveRequest request;
    request.knowledge_base_id = "KB12345678";
    request.text = "capitale de la France ?";
    request.number_of_results = 3;
    request.filter = json::parse(R"({"equals":{"key":"lang","value":"fr"}})");
    auto response = co_await (*agents)->Retrieve(std::move(request));
    Report("retrieve", response.ok() && !response->results.empty()
                           ? core::Result<std::string>(response->results[0].text)
                       : response.ok() ? core::Result<std::string>(std::string())
                                       : core::Result<std::string>(response.error()));
  }
  {
    llm::InvokeAgentRequest request;
    request.agent_id = "AGENT12345";
    request.agent_alias_id = "TSTALIASID";
    request.session_id = "session 1-ä";
    request.input_text = "bonjour l'agent";
    request.session_state = json::parse(R"({"sessionAttributes":{"user":"u1"}})");
    auto collected = co_await [&]() -> awaitable<core::Result<llm::AgentResponse>> {
      BEDROCK_CO_TRY_ASSIGN(auto stream, co_await (*agents)->InvokeAgent(std::move(request)));
      co_return co_await llm::CollectAgentResponse(*stream);
    }();
    Report("invoke-agent", collected.ok() ? core::Result<std::string>(collected->completion)
                                          : core::Result<std::string>(collected.error()));
  }
}

}  // namespace

int main() {
  core::SystemEnv env;
  auto credentials = aws::CredentialsFromEnvironment(env);
  if (!credentials.ok() || !*credentials) {
    std::fprintf(stderr, "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n");
    return 2;
  }
  auto runtime_options = llm::BedrockOptionsFromEnv(env);
  auto agent_options = llm::AgentRuntimeOptionsFromEnv(env);
  if (!runtime_options.ok() || !agent_options.ok()) {
    std::fprintf(stderr, "bad AWS settings\n");
    return 2;
  }
  aws::Credentials static_credentials = **credentials;
  auto provider = [static_credentials]() -> awaitable<core::Result<aws::Credentials>> {
    co_return static_credentials;
  };
  runtime_options->credentials = provider;
  runtime_options->retry.max_attempts = 1;  // one request per operation: the server counts them
  agent_options->credentials = provider;
  agent_options->retry.max_attempts = 1;

  asio::io_context io;
  http::ClientOptions client_options;
  client_options.proxy = http::ProxyConfig{};
  client_options.use_system_cas = false;
  auto client = http::Client::Create(io.get_executor(), client_options);
  if (!client.ok()) return 2;
  asio::co_spawn(io, RunAll(*client, std::move(*runtime_options), std::move(*agent_options)),
                 asio::detached);
  io.run();
  return 0;
}

// The "bedrock" MCP server: Amazon Bedrock's capabilities as MCP tools and resources, so any MCP
// client can use them without Bedrock credentials of its own (`bedrock-mcp mcp-server bedrock`).
//
//   auto config = BEDROCK_TRY(tools::LoadBedrockToolsConfig(path));     // or DefaultConfig()
//   auto server = BEDROCK_TRY(tools::MakeBedrockToolsServer(config,
//   tools::EnvClientsFactory(env))); auto session = server->Serve(transport);
//
// What it serves:
//   tools      bedrock_specialist (Converse with a named specialist's system prompt), converse
//              (model, system, messages, inference config), converse_stream (partial text as
//              progress notifications, cancellable), knowledge_base_search (Retrieve),
//              embed_text (Titan Text Embeddings V2), invoke_agent (InvokeAgent, with citations)
//   resources  bedrock://cache/stats (hit/miss counts), bedrock://knowledge-bases/{id} per
//              configured knowledge base; template bedrock://knowledge-bases/{id}/search/{query}
//
// The Bedrock clients are made on first use, on the executor of the session that needs them
// (every session of one served process shares one executor: see main/mcp_server_command.cc).
//
// Thread-safety: the returned Server is thread-safe (mcp/server.h); the shared clients are created
// once under a mutex; the response cache is thread-safe and runs on a private blocking thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/env.h"
#include "core/result.h"
#include "llm/bedrock_agent_runtime.h"
#include "llm/bedrock_invoke.h"
#include "llm/provider.h"
#include "mcp/server.h"
#include "tools/response_cache.h"

namespace bedrock::tools {

struct Specialist {
  std::string name;
  std::string system_prompt;
  std::string model;  // empty: the config's default model
  std::optional<int> max_tokens;
  std::optional<double> temperature;
};

struct KnowledgeBase {
  std::string id;
  std::string name;
  std::string description;
};

struct BedrockToolsConfig {
  BedrockToolsConfig() {}

  std::string default_model = "anthropic.claude-3-5-sonnet-20241022-v2:0";
  std::string embedding_model = "amazon.titan-embed-text-v2:0";
  std::vector<Specialist> specialists;  // the seed's four unless the config replaces them
  std::vector<KnowledgeBase> knowledge_bases;
  // "sqlite:<path>" or "sqlite::memory:"; "off" disables the cache.
  std::string cache_url = "sqlite::memory:";
  ResponseCacheOptions cache;
};

// The four default specialists: code_reviewer, legal_analyst, translator_es, data_scientist.
std::vector<Specialist> DefaultSpecialists();
BedrockToolsConfig DefaultBedrockToolsConfig();
// Parses a config file's JSON over the defaults. Members: defaultModel, embeddingModel,
// specialists ({name: {systemPrompt, model?, maxTokens?, temperature?}}, added to or replacing the
// defaults of that name; "replaceDefaultSpecialists": true drops the defaults), knowledgeBases
// ([{id, name?, description?}]), cache ({url, ttlSeconds, semantic, semanticThreshold}).
// kInvalidArgument naming the member for a bad value or an unknown key.
core::Result<BedrockToolsConfig> ParseBedrockToolsConfig(std::string_view json_text);
core::Result<BedrockToolsConfig> LoadBedrockToolsConfig(const std::string& path);

// The specialist of that name, or null.
const Specialist* FindSpecialist(const BedrockToolsConfig& config, std::string_view name);
// "Unknown specialist 'x'. Available: code_reviewer, legal_analyst, ..."
std::string UnknownSpecialistMessage(const BedrockToolsConfig& config, std::string_view name);

// The Bedrock clients the tools call. Any may be null (the tool then reports it unavailable).
struct BedrockClients {
  std::shared_ptr<llm::ChatProvider> chat;
  std::shared_ptr<llm::BedrockInvokeClient> invoke;
  std::shared_ptr<llm::AgentRuntimeClient> agents;
  std::shared_ptr<void> keepalive;  // whatever the clients need to outlive them
};
using ClientsFactory =
    std::function<core::Result<BedrockClients>(boost::asio::any_io_executor executor)>;

// Clients configured from the environment (BedrockOptionsFromEnv, AgentRuntimeOptionsFromEnv and
// the default credential chain). `env` must outlive every client.
ClientsFactory EnvClientsFactory(const core::Env& env);

core::Result<std::shared_ptr<mcp::Server>> MakeBedrockToolsServer(BedrockToolsConfig config,
                                                                  ClientsFactory clients);

}  // namespace bedrock::tools

// The local Bedrock emulator: Bedrock Runtime (Converse, ConverseStream, InvokeModel,
// InvokeModelWithResponseStream), Bedrock Agent Runtime (Retrieve, InvokeAgent) and an
// OpenAI-compatible chat-completions API, on one HTTP port, answered by a deterministic,
// scriptable model (emulator/scripted_model.h) over a local knowledge base
// (emulator/knowledge_base.h), with SigV4/API-key authentication (emulator/auth.h) and fault
// injection (emulator/faults.h). docs/emulator.md is the user guide.
//
//   emulator::EmulatorConfig config;
//   config.port = 0;
//   config.docs_dir = "docs/";
//   core::SystemEnv env;
//   auto emu = BEDROCK_TRY(emulator::Emulator::Create(config, env));
//   BEDROCK_TRY(emu->Start());
//   std::string endpoint = emu->url();   // "http://127.0.0.1:41234"
//   ...
//   emu->Stop();
//
// Routes (paths and shapes as the AWS service models define them):
//   POST /model/{modelId}/converse                 POST /model/{modelId}/converse-stream
//   POST /model/{modelId}/invoke                   POST
//   /model/{modelId}/invoke-with-response-stream POST /knowledgebases/{knowledgeBaseId}/retrieve
//   POST /agents/{agentId}/agentAliases/{agentAliasId}/sessions/{sessionId}/text
//   POST /v1/chat/completions, GET /v1/models      (also under /openai/v1/)
//   GET  /healthz
// Any other path is 404 UnknownOperationException. A request header `x-emulator-fault` injects
// faults into that request (see emulator/faults.h).
//
// Thread-safety: the server's threads call the handlers concurrently; every shared part is
// immutable or locked. Start/Stop must not race each other.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/result.h"
#include "emulator/auth.h"
#include "emulator/config.h"
#include "emulator/faults.h"
#include "emulator/knowledge_base.h"
#include "emulator/model_catalog.h"
#include "emulator/scripted_model.h"
#include "http/router.h"
#include "http/server.h"

namespace bedrock::emulator {

class Emulator {
 public:
  // Loads the script and documents the config names and reads the environment's credentials
  // (unless config.use_environment_credentials is false). Errors name the file at fault.
  static core::Result<std::unique_ptr<Emulator>> Create(const EmulatorConfig& config,
                                                        const core::Env& env);
  // From parts (tests): `auth` is used as given.
  Emulator(EmulatorConfig config, AuthConfig auth, Script script, KnowledgeBase knowledge_base);
  ~Emulator();
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  // The routes above. The handlers refer to this Emulator, which must outlive any server using
  // the router.
  http::Router MakeRouter();

  // Binds config.host:config.port and starts serving.
  core::Status Start();
  // Graceful stop (idempotent).
  void Stop(std::chrono::milliseconds grace = std::chrono::seconds(2));
  uint16_t port() const;
  // "http://127.0.0.1:<port>"; valid after Start.
  std::string url() const;

  const Authenticator& authenticator() const { return auth_; }
  const KnowledgeBase& knowledge_base() const { return knowledge_base_; }
  const EmulatorConfig& config() const { return config_; }
  size_t script_rules() const { return model_.script().rules.size(); }

 private:
  struct Impl;
  EmulatorConfig config_;
  Authenticator auth_;
  ModelCatalog catalog_;
  ScriptedModel model_;
  KnowledgeBase knowledge_base_;
  FaultInjector faults_;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace bedrock::emulator

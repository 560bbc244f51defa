// The emulator's configuration: command-line flags and the optional JSON file given with
// --config (docs/emulator.md documents every key).
//
//   {
//     "listen": {"host": "127.0.0.1", "port": 7003},
//     "auth": {"mode": "auto", "region": "us-east-1",
//              "credentials": [{"accessKeyId": "AKID...", "secretAccessKey": "...",
//                               "sessionToken": "..."}],
//              "apiKeys": ["${MY_BEDROCK_API_KEY}"], "useEnvironment": true},
//     "models": ["my.custom-model-v1:0"], "acceptAnyModel": false,
//     "script": "conf/emulator-script.json",
//     "docs": "docs/", "knowledgeBase": {"chunkTokens": 300, "bucket": "my-kb-bucket"},
//     "faults": [{"fault": "throttle", "every": 5, "operations": ["converse"]},
//                {"fault": "latency=100", "probability": 0.5}],
//     "seed": 1,
//     "stream": {"chunkBytes": 16, "delayMs": 0}
//   }
//
// String values may use ${ENV} references. Relative paths are relative to the config file.
//
// Thread-safety: plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/result.h"
#include "emulator/auth.h"
#include "emulator/faults.h"
#include "emulator/knowledge_base.h"

namespace bedrock::emulator {

struct EmulatorConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 7003;
  int threads = 2;

  AuthMode auth_mode = AuthMode::kAuto;
  std::vector<aws::Credentials> credentials;  // besides the environment's
  std::vector<std::string> api_keys;          // besides AWS_BEARER_TOKEN_BEDROCK
  bool use_environment_credentials = true;
  std::string region;  // required SigV4 scope region; empty: any

  std::vector<std::string> models;
  bool accept_any_model = false;

  std::string script_path;  // empty: the built-in default behaviour
  std::string docs_dir;     // empty: an empty knowledge base
  KnowledgeBaseOptions knowledge_base;

  std::vector<FaultRule> faults;
  uint64_t seed = 1;

  size_t stream_chunk_bytes = 16;
  std::chrono::milliseconds stream_delay{0};
  size_t max_sessions = 1000;  // InvokeAgent sessions kept in memory
};

// Reads `path` into `config` (keys present in the file replace the defaults). Errors name the
// file, line, column and key.
core::Status LoadEmulatorConfigFile(const std::string& path, const core::Env& env,
                                    EmulatorConfig& config);

// "auto", "verify", "any-signature", "off".
core::Result<AuthMode> ParseAuthMode(std::string_view name);

}  // namespace bedrock::emulator

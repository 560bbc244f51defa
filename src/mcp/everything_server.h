// The "everything" MCP server: one of every feature the protocol has, with the exact fixtures the
// official conformance suite (@modelcontextprotocol/conformance, server scenarios) asks for, plus
// a few tools that make it a pleasant demo (echo, add, long_running_operation, ...).
//
//   auto server = mcp::MakeEverythingServer();
//   auto session = server->Serve(transport);           // stdio, memory, ...
//   mcp::StreamableHttpServer http(*server, io.get_executor(), mcp::EverythingHttpOptions());
//
// What it serves:
//   tools      test_simple_text, test_image_content, test_audio_content, test_embedded_resource,
//              test_multiple_content_types, test_tool_with_logging, test_tool_with_progress,
//              test_error_handling, test_reconnection, test_sampling, test_elicitation,
//              test_elicitation_sep1034_defaults, test_elicitation_sep1330_enums,
//              json_schema_2020_12_tool (the conformance fixtures); for 2026-07-28 clients
//              test_missing_capability, test_streaming_elicitation, test_logging_tool,
//              test_trigger_tool_change, test_trigger_prompt_change, test_header_param and the
//              test_input_required_result_* tools (multi-round-trip input); echo, add (structured
//              output), long_running_operation (progress, cancellation), sample_llm,
//              get_tiny_image, get_resource_links, list_roots, update_watched_resource
//   resources  test://static-text, test://static-binary, test://watched-resource (subscribe to
//              it, then call update_watched_resource), template test://template/{id}/data
//   prompts    test_simple_prompt, test_prompt_with_arguments, test_prompt_with_embedded_resource,
//              test_prompt_with_image, test_input_required_result_prompt
//   completion prompt arguments and the template's {id}; logging/setLevel
//
// Thread-safety: the returned Server is thread-safe (mcp/server.h); the fixture state it keeps
// (the watched resource's text) is guarded by a mutex.
#pragma once

#include <memory>
#include <string>

#include "mcp/server.h"
#include "mcp/streamable_http_server.h"

namespace bedrock::mcp {

struct EverythingServerOptions {
  EverythingServerOptions() {}

  std::string name = "bedrock-mcp-everything";
  std::string version = "1.0.0";
  // The HMAC key of 2026-07-28 requestState (ServerOptions::request_state_secret): replicas that
  // share it accept each other's multi-round-trip retries. Empty: random per process.
  std::string request_state_secret;
};

std::shared_ptr<Server> MakeEverythingServer(EverythingServerOptions options = {});

// The HTTP options the conformance suite expects of the everything server: SSE priming events with
// a retry hint (so test_reconnection's closed stream can be resumed with Last-Event-ID).
StreamableHttpServerOptions EverythingHttpOptions();

}  // namespace bedrock::mcp

// The everything server's fixtures for revision 2026-07-28 (the conformance suite's
// server-stateless, input-required-result-* and http-*-header scenarios), and the small builders
// the everything server's files share. Internal: used by MakeEverythingServer only.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "mcp/server.h"

namespace bedrock::mcp::internal {

// Tools: test_missing_capability, test_streaming_elicitation, test_logging_tool,
// test_trigger_tool_change, test_trigger_prompt_change, test_input_required_result_{elicitation,
// sampling, list_roots, request_state, multiple_inputs, multi_round, tampered_state,
// capabilities}, test_header_param (x-mcp-header). Prompt: test_input_required_result_prompt.
// Every fixture also works for older clients (input arrives over the session instead).
void AddModernFixtures(Server& server);

// The tasks extension's fixtures (everything_tasks.cc): greet (never a task), slow_compute
// (optional task, `seconds` of work, cancellable), failing_job (required task, a tool error after
// ~1 s), protocol_error_job (optional task that throws: the task fails with -32603).
void AddTaskFixtures(Server& server);

// --- Builders (defined in everything_server.cc). ---
boost::json::object Schema(std::string_view text);  // parses a literal JSON object
boost::json::object NoArguments();                  // {"type":"object","properties":{}}
Tool MakeTool(std::string name, std::string description, boost::json::object input_schema,
              Tool::Handler handler);
Prompt MakePrompt(std::string name, std::string title, std::string description,
                  std::vector<PromptArgument> arguments, Prompt::Handler handler);
// A prompt result of user messages, one per content block.
GetPromptResult UserMessages(std::initializer_list<boost::json::object> blocks);
// The text of a sampling answer (CreateMessageResult), "No response" when it has none.
std::string SampledText(const boost::json::value& result);
// The `field` of an accepted elicitation's content (its JSON when not a string), or "(none)"
// (defined in everything_modern.cc).
std::string FormField(const boost::json::value& answer, std::string_view field);
// "<prefix>: action=<action>, content=<content JSON>" for an ElicitResult.
std::string ElicitationSummary(std::string_view prefix, const boost::json::value& result);

}  // namespace bedrock::mcp::internal

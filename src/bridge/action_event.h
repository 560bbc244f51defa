// The Bedrock Agents action-group Lambda contract: the input event Bedrock sends (both forms) and
// the response it expects back.
//
//   auto event = bridge::ParseActionEvent(invocation_body);      // untrusted JSON, with limits
//   if (!event.ok()) ...;                                        // kInvalidArgument / too large
//   bridge::ActionOutcome outcome = ...;                         // from the MCP tool's result
//   std::string reply = json::serialize(bridge::BuildActionResponse(*event, outcome));
//
// Function-details form (the action group has a functionSchema):
//   {"messageVersion": "1.0", "agent": {...}, "inputText": ..., "sessionId": ...,
//    "actionGroup": "g", "function": "f", "parameters": [{"name", "type", "value"}],
//    "sessionAttributes": {...}, "promptSessionAttributes": {...}}
//   -> {"messageVersion": "1.0", "response": {"actionGroup": "g", "function": "f",
//       "functionResponse": {"responseState"?: "FAILURE" | "REPROMPT",
//                            "responseBody": {"TEXT": {"body": "..."}}}},
//       "sessionAttributes": {...}, "promptSessionAttributes": {...}}
// OpenAPI form (the action group has an apiSchema):
//   {..., "apiPath": "/f", "httpMethod": "POST", "parameters": [...],
//    "requestBody": {"content": {"application/json": {"properties": [{"name", "type", "value"}]}}}}
//   -> {"messageVersion": "1.0", "response": {"actionGroup", "apiPath", "httpMethod",
//       "httpStatusCode": 200, "responseBody": {"application/json": {"body": "<JSON text>"}}}, ...}
// Every parameter value arrives as a string, whatever its declared type.
//
// Thread-safety: value types and pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/action_schema.h"
#include "core/result.h"

namespace bedrock::bridge {

struct EventParameter {
  std::string name;
  std::string type;  // as declared in the schema: string, number, integer, boolean, array, ...
  std::string value;
};

struct ActionEvent {
  SchemaForm form = SchemaForm::kFunctionDetails;
  std::string message_version;
  std::string action_group;
  std::string function;     // function-details form
  std::string api_path;     // OpenAPI form, e.g. "/get_weather"
  std::string http_method;  // OpenAPI form
  std::vector<EventParameter> parameters;
  // OpenAPI form: the request body's properties and their content type.
  std::string body_content_type;
  std::vector<EventParameter> body_properties;
  std::string input_text;
  std::string session_id;
  std::string agent_name;
  std::string agent_id;
  // Passed back unchanged (objects; null when the event had none).
  boost::json::value session_attributes;
  boost::json::value prompt_session_attributes;

  // The action's name: `function`, or the API path without its leading '/'.
  std::string ActionName() const;
};

struct EventLimits {
  size_t max_bytes = 6u << 20;  // Lambda's synchronous invocation payload limit
  size_t max_depth = 32;
  size_t max_parameters = 256;
};

// Parses an event of either form. Fails (kInvalidArgument) on malformed JSON, a missing or
// mistyped member the contract requires (actionGroup; function or apiPath), or a parameter that
// is not {name, type?, value?} with string members; kPayloadTooLarge over max_bytes.
core::Result<ActionEvent> ParseActionEvent(std::string_view body, const EventLimits& limits = {});

// How an action ended, as the bridge reports it to Bedrock.
enum class ResponseState {
  kOk,        // no responseState
  kReprompt,  // REPROMPT: the model gets the body and may try again (bad arguments, tool error)
  kFailure,   // FAILURE: Bedrock ends the turn with a dependency failure
};

struct ActionOutcome {
  ResponseState state = ResponseState::kOk;
  // OpenAPI form: the status the response carries (200, 400, 404, 500, 503).
  int http_status = 200;
  // Function-details form: the TEXT body. OpenAPI form: a JSON document (serialised object).
  std::string body;
};

// The response for `event`, in its form, with the session attributes passed through.
// Function-details: responseState set for kReprompt/kFailure. OpenAPI: the documented response
// has no responseState, so the state shows only in httpStatusCode.
boost::json::object BuildActionResponse(const ActionEvent& event, const ActionOutcome& outcome);

std::string_view ResponseStateName(ResponseState state);  // "", "REPROMPT", "FAILURE"

}  // namespace bedrock::bridge

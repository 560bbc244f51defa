// From a Bedrock Agents event back to an MCP tools/call: which tool, with which arguments.
//
//   auto call = bridge::ResolveToolCall(plan, event);   // plan: PlanActionGroup for event.form
//   if (!call.ok()) ...;   // kNotFound: no such function/tool; kInvalidArgument: bad arguments
//   co_await client.CallTool(call->tool, std::move(call->arguments));
//
// Every value arrives as a string; it is converted to the type the tool's input schema declares:
// integers and numbers parsed exactly (the whole text, finite), booleans from true/false (any
// case), arrays from JSON ("[1, 2]", "[\"a\"]") or from the bracketed, comma-separated form
// Bedrock also produces ("[a, b]"), items converted to the item type. JSON-string parameters
// (ArgumentEncoding::kJsonString) must hold JSON; the overflow parameter a JSON object whose
// members become arguments. Finally every argument the tool's schema requires must be present.
//
// Thread-safety: pure functions.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "bridge/action_event.h"
#include "bridge/action_schema.h"
#include "core/result.h"

namespace bedrock::bridge {

struct ToolCall {
  std::string tool;      // the MCP tool name
  std::string function;  // the Bedrock function (or operation) it came through
  boost::json::object arguments;
};

core::Result<ToolCall> ResolveToolCall(const ActionGroupPlan& plan, const ActionEvent& event);

// One value converted to `schema`'s type (the conversions above); kInvalidArgument naming
// `what` when it does not convert.
core::Result<boost::json::value> ConvertValue(std::string_view text,
                                              const boost::json::value& schema,
                                              std::string_view what);

}  // namespace bedrock::bridge

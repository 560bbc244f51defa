// Fuzzes the Bedrock Agents bridge's handling of untrusted Lambda events (bridge/action_event.h and
// bridge/action_arguments.h): the input whole and cut at several points. Whatever parses is
// resolved against a plan that uses every fallback (a sanitised name, a JSON-string parameter,
// the overflow parameter, the dispatcher), and its response must serialise to JSON that parses
// back with the event's action group.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "bridge/action_arguments.h"
#include "bridge/action_event.h"
#include "bridge/action_schema.h"

namespace {

namespace json = boost::json;
using namespace bedrock::bridge;

const ActionGroupPlan& Plan(SchemaForm form) {
  static const json::array tools = [] {
    json::array t = json::parse(R"js([
      {"name": "add", "inputSchema": {"type": "object", "properties": {
        "a": {"type": "number"}, "b": {"type": "integer"}}, "required": ["a", "b"]}},
      {"name": "files.search", "inputSchema": {"type": "object", "properties": {
        "query": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}},
        "exact": {"type": "boolean"}, "filter": {"type": "object"},
        "n": {"type": ["integer", "null"]}, "x": {}, "y": {"type": "string"}},
        "required": ["query", "y"]}}
    ])js")
                        .as_array();
    for (int i = 0; i < 12; ++i) t.push_back(json::object{{"name", "t" + std::to_string(i)}});
    return t;
  }();
  static const ActionGroupPlan function_plan = [] {
    return *PlanActionGroup(tools, PlanOptions());
  }();
  static const ActionGroupPlan api_plan = [] {
    PlanOptions options;
    options.form = SchemaForm::kOpenApi;
    return *PlanActionGroup(tools, options);
  }();
  return form == SchemaForm::kOpenApi ? api_plan : function_plan;
}

void HandleOne(std::string_view body) {
  auto event = ParseActionEvent(body);
  if (!event.ok()) return;
  if (event->action_group.empty()) std::abort();
  auto call = ResolveToolCall(Plan(event->form), *event);
  ActionOutcome outcome;
  if (!call.ok()) {
    outcome.state = ResponseState::kReprompt;
    outcome.http_status = 400;
    outcome.body = call.error().message();
  } else {
    if (call->tool.empty()) std::abort();
    outcome.body = json::serialize(call->arguments);
  }
  std::string reply = json::serialize(BuildActionResponse(*event, outcome));
  json::value back = json::parse(reply);
  if (back.at("response").at("actionGroup").as_string() != event->action_group) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  HandleOne(body);
  for (size_t cut : {size / 3, size / 2, size - size / 4}) {
    if (cut > 0 && cut < size) HandleOne(body.substr(0, cut));
  }
  return 0;
}

#include "bridge/action_event.h"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/serialize.hpp>
#include <utility>

namespace bedrock::bridge {
namespace {

namespace json = boost::json;

core::Result<std::string> OptionalString(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string()) {
    return core::Error::InvalidArgument("event member '{}' must be a string", key);
  }
  return std::string(v->get_string());
}

// A parameter's value as text: Bedrock sends strings, but a hand-written or replayed event may
// hold a number or boolean; anything else is kept as its JSON.
std::string ValueText(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  return json::serialize(v);
}

core::Result<std::vector<EventParameter>> ParseParameters(const json::value* list,
                                                          std::string_view where,
                                                          const EventLimits& limits) {
  std::vector<EventParameter> out;
  if (list == nullptr || list->is_null()) return out;
  if (!list->is_array()) return core::Error::InvalidArgument("event '{}' must be an array", where);
  if (list->get_array().size() > limits.max_parameters) {
    return core::Error::InvalidArgument("event '{}' has more than {} parameters", where,
                                        limits.max_parameters);
  }
  for (const json::value& item : list->get_array()) {
    if (!item.is_object()) {
      return core::Error::InvalidArgument("event '{}' items must be objects", where);
    }
    const json::object& o = item.get_object();
    EventParameter p;
    auto name = OptionalString(o, "name");
    if (!name.ok() || name->empty()) {
      return core::Error::InvalidArgument("event '{}' item without a string name", where);
    }
    p.name = std::move(*name);
    auto type = OptionalString(o, "type");
    if (!type.ok()) return type.error().WithContext(std::string(where));
    p.type = std::move(*type);
    if (const json::value* v = o.if_contains("value"); v != nullptr && !v->is_null()) {
      p.value = ValueText(*v);
    }
    out.push_back(std::move(p));
  }
  return out;
}

json::value Attributes(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_object()) return nullptr;
  return *v;
}

}  // namespace

std::string ActionEvent::ActionName() const {
  if (form == SchemaForm::kFunctionDetails) return function;
  std::string_view path = api_path;
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  return std::string(path);
}

core::Result<ActionEvent> ParseActionEvent(std::string_view body, const EventLimits& limits) {
  if (body.size() > limits.max_bytes) {
    return core::Error::PayloadTooLarge("event of {} bytes is over the {} byte limit", body.size(),
                                        limits.max_bytes);
  }
  json::parse_options parse_options;
  parse_options.max_depth = limits.max_depth;
  boost::system::error_code ec;
  json::value root = json::parse(json::string_view(body.data(), body.size()), ec,
                                 json::storage_ptr(), parse_options);
  if (ec) return core::Error::InvalidArgument("event is not JSON: {}", ec.message());
  if (!root.is_object()) return core::Error::InvalidArgument("event is not a JSON object");
  const json::object& o = root.get_object();

  ActionEvent event;
  event.message_version = BEDROCK_TRY(OptionalString(o, "messageVersion"));
  event.action_group = BEDROCK_TRY(OptionalString(o, "actionGroup"));
  if (event.action_group.empty()) {
    return core::Error::InvalidArgument(
        "event has no actionGroup: not a Bedrock Agents action-group event");
  }
  event.function = BEDROCK_TRY(OptionalString(o, "function"));
  event.api_path = BEDROCK_TRY(OptionalString(o, "apiPath"));
  event.http_method = BEDROCK_TRY(OptionalString(o, "httpMethod"));
  if (!event.function.empty()) {
    event.form = SchemaForm::kFunctionDetails;
  } else if (!event.api_path.empty()) {
    event.form = SchemaForm::kOpenApi;
  } else {
    return core::Error::InvalidArgument("event has neither a function nor an apiPath");
  }
  event.input_text = BEDROCK_TRY(OptionalString(o, "inputText"));
  event.session_id = BEDROCK_TRY(OptionalString(o, "sessionId"));
  if (const json::value* agent = o.if_contains("agent"); agent != nullptr && agent->is_object()) {
    event.agent_name = OptionalString(agent->get_object(), "name").value_or("");
    event.agent_id = OptionalString(agent->get_object(), "id").value_or("");
  }
  event.parameters =
      BEDROCK_TRY(ParseParameters(o.if_contains("parameters"), "parameters", limits));

  if (const json::value* request_body = o.if_contains("requestBody");
      request_body != nullptr && !request_body->is_null()) {
    const json::object* rb = request_body->if_object();
    const json::value* content = rb != nullptr ? rb->if_contains("content") : nullptr;
    if (content == nullptr || !content->is_object()) {
      return core::Error::InvalidArgument("event 'requestBody' has no content object");
    }
    // One content type is expected; application/json is preferred when there are several.
    const json::object& types = content->get_object();
    const json::value* chosen = types.if_contains("application/json");
    std::string chosen_type = "application/json";
    if (chosen == nullptr && !types.empty()) {
      chosen = &types.begin()->value();
      chosen_type = std::string(types.begin()->key());
    }
    if (chosen != nullptr) {
      if (!chosen->is_object()) {
        return core::Error::InvalidArgument("event 'requestBody' content must be objects");
      }
      event.body_content_type = std::move(chosen_type);
      event.body_properties = BEDROCK_TRY(ParseParameters(
          chosen->get_object().if_contains("properties"), "requestBody properties", limits));
    }
  }
  event.session_attributes = Attributes(o, "sessionAttributes");
  event.prompt_session_attributes = Attributes(o, "promptSessionAttributes");
  return event;
}

std::string_view ResponseStateName(ResponseState state) {
  switch (state) {
    case ResponseState::kOk:
      return "";
    case ResponseState::kReprompt:
      return "REPROMPT";
    case ResponseState::kFailure:
      return "FAILURE";
  }
  return "";
}

json::object BuildActionResponse(const ActionEvent& event, const ActionOutcome& outcome) {
  json::object response;
  response["actionGroup"] = event.action_group;
  if (event.form == SchemaForm::kFunctionDetails) {
    response["function"] = event.function;
    json::object function_response;
    if (outcome.state != ResponseState::kOk) {
      function_response["responseState"] = ResponseStateName(outcome.state);
    }
    function_response["responseBody"] =
        json::object{{"TEXT", json::object{{"body", outcome.body}}}};
    response["functionResponse"] = std::move(function_response);
  } else {
    response["apiPath"] = event.api_path;
    response["httpMethod"] = event.http_method.empty() ? std::string("POST") : event.http_method;
    response["httpStatusCode"] = outcome.http_status;
    response["responseBody"] =
        json::object{{"application/json", json::object{{"body", outcome.body}}}};
  }
  json::object out;
  out["messageVersion"] = "1.0";
  out["response"] = std::move(response);
  out["sessionAttributes"] =
      event.session_attributes.is_object() ? event.session_attributes : json::object();
  out["promptSessionAttributes"] = event.prompt_session_attributes.is_object()
                                       ? event.prompt_session_attributes
                                       : json::object();
  return out;
}

}  // namespace bedrock::bridge

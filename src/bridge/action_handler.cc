#include "bridge/action_handler.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <utility>
#include <vector>

#include "bridge/action_arguments.h"
#include "core/base64.h"
#include "core/log.h"
#include "core/utf8.h"

namespace bedrock::bridge {
namespace {

namespace json = boost::json;
constexpr std::string_view kComponent = "agents-lambda";

std::string Member(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

size_t Base64Bytes(std::string_view data) {
  while (!data.empty() && data.back() == '=') data.remove_suffix(1);
  return data.size() * 3 / 4;
}

// `text` cut to at most `max_bytes` at a character boundary, saying how much was dropped.
std::string CutText(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  constexpr size_t kNote = 48;
  size_t keep = max_bytes > kNote ? max_bytes - kNote : 0;
  size_t end = 0;
  while (end < text.size()) {
    size_t n = core::Utf8SequenceLength(text, end);
    if (n == 0) n = 1;
    if (end + n > keep) break;
    end += n;
  }
  return fmt::format("{}\n[truncated: {} more bytes]", text.substr(0, end), text.size() - end);
}

struct Failure {
  ResponseState state;
  int http_status;
  std::string type;  // the OpenAPI error body's "type"
  std::string message;
};

ActionOutcome OutcomeFor(const ActionEvent& event, const Failure& failure, size_t max_bytes) {
  ActionOutcome outcome;
  outcome.state = failure.state;
  outcome.http_status = failure.http_status;
  if (event.form == SchemaForm::kFunctionDetails) {
    outcome.body = CutText(failure.message, max_bytes);
  } else {
    outcome.body = json::serialize(json::object{
        {"error", json::object{{"type", failure.type},
                               {"message", CutText(failure.message, max_bytes / 2)}}}});
  }
  return outcome;
}

ActionOutcome SuccessOutcome(const ActionEvent& event, const mcp::CallToolResult& result,
                             size_t max_bytes) {
  ActionOutcome outcome;
  if (event.form == SchemaForm::kFunctionDetails) {
    outcome.body = CutText(ResultText(result), max_bytes);
    return outcome;
  }
  if (result.structured_content.is_object()) {
    outcome.body = json::serialize(result.structured_content);
    if (outcome.body.size() <= max_bytes) return outcome;
  }
  std::string text = ResultText(result);
  outcome.body = json::serialize(json::object{{"text", text}});
  if (outcome.body.size() > max_bytes) {
    outcome.body =
        json::serialize(json::object{{"text", CutText(text, max_bytes / 2)}, {"truncated", true}});
  }
  return outcome;
}

// Classifies a failed tools/call (a protocol or transport error, not an isError result).
Failure CallFailure(const core::Error& error, const std::string& server) {
  switch (error.code()) {
    case core::ErrorCode::kInvalidArgument:
      return {ResponseState::kReprompt, 400, "invalid_arguments", error.message()};
    case core::ErrorCode::kNotFound:
      return {ResponseState::kFailure, 404, "unknown_tool", error.message()};
    case core::ErrorCode::kDeadlineExceeded:
      return {ResponseState::kFailure, 504, "timeout",
              fmt::format("MCP server '{}' did not answer in time: {}", server, error.message())};
    case core::ErrorCode::kUnavailable:
    case core::ErrorCode::kCancelled:
      return {ResponseState::kFailure, 503, "server_unavailable",
              fmt::format("MCP server '{}' is unavailable: {}", server, error.message())};
    default:
      return {ResponseState::kFailure, 500, "server_error",
              fmt::format("MCP server '{}' failed: {}", server, error.message())};
  }
}

}  // namespace

std::string ResultText(const mcp::CallToolResult& result) {
  std::vector<std::string> parts;
  bool has_text = false;
  for (const json::value& block : result.content) {
    const json::object* o = block.if_object();
    if (o == nullptr) continue;
    std::string type = Member(*o, "type");
    if (type == "text") {
      parts.push_back(Member(*o, "text"));
      has_text = true;
    } else if (type == "image" || type == "audio") {
      parts.push_back(fmt::format("[{}: {}, {} bytes]", type, Member(*o, "mimeType"),
                                  Base64Bytes(Member(*o, "data"))));
    } else if (type == "resource_link") {
      std::string name = Member(*o, "name");
      parts.push_back(fmt::format("[resource link: {}{}]", Member(*o, "uri"),
                                  name.empty() ? "" : " (" + name + ")"));
    } else if (type == "resource") {
      const json::value* r = o->if_contains("resource");
      const json::object* resource = r != nullptr ? r->if_object() : nullptr;
      if (resource == nullptr) continue;
      if (resource->contains("text")) {
        parts.push_back(
            fmt::format("[resource: {}]\n{}", Member(*resource, "uri"), Member(*resource, "text")));
        has_text = true;
      } else {
        parts.push_back(fmt::format("[resource: {}, {}, {} bytes]", Member(*resource, "uri"),
                                    Member(*resource, "mimeType"),
                                    Base64Bytes(Member(*resource, "blob"))));
      }
    }
  }
  if (!has_text && !result.structured_content.is_null()) {
    parts.push_back(json::serialize(result.structured_content));
  }
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += '\n';
    out += p;
  }
  return out;
}

struct ActionHandler::State {
  McpConnector connect;
  HandlerOptions options;
  std::shared_ptr<mcp::Client> client;
  json::array tools;
  bool tools_stale = true;
  // By SchemaForm: the plan the options describe (what `agents schema` writes with the same
  // flags), and one with every tool as its own function, so that an action group generated for a
  // subset (--tools) or before the dispatcher existed still reaches each tool by its name.
  std::optional<ActionGroupPlan> plans[2];
  std::optional<ActionGroupPlan> every_tool_plans[2];
  int connections = 0;
};

ActionHandler::ActionHandler(McpConnector connect, HandlerOptions options)
    : state_(std::make_shared<State>()) {
  state_->connect = std::move(connect);
  state_->options = std::move(options);
}

ActionHandler::~ActionHandler() = default;

int ActionHandler::connections() const { return state_->connections; }

mcp::Awaitable<core::Status> ActionHandler::Connect() {
  // The state outlives this coroutine's suspensions: the handler owns it and callers await us.
  std::shared_ptr<State> s = state_;
  if (s->client != nullptr && s->client->session().closed()) {
    BEDROCK_LOG_INFO(kComponent, "reconnecting", {{"server", s->options.server_name}});
    s->client.reset();
  }
  if (s->client == nullptr) {
    mcp::ClientOptions client_options;
    client_options.peer_name = fmt::format("server '{}'", s->options.server_name);
    client_options.initialize_timeout = s->options.connect_timeout;
    client_options.request_timeout = s->options.call_timeout;
    std::weak_ptr<State> weak = s;
    client_options.on_tools_list_changed = [weak] {
      if (auto state = weak.lock()) state->tools_stale = true;
    };
    std::string name = s->options.server_name;
    client_options.on_close = [name](const core::Error& reason) {
      BEDROCK_LOG_WARN(kComponent, "MCP session closed", {{"server", name}, {"reason", reason}});
    };
    BEDROCK_CO_TRY_ASSIGN(auto client, co_await s->connect(std::move(client_options)));
    ++s->connections;
    s->client = std::move(client);
    s->tools_stale = true;
    BEDROCK_LOG_INFO(kComponent, "MCP session open",
                     {{"server", s->options.server_name},
                      {"protocol", s->client->protocol_version()},
                      {"connections", s->connections}});
  }
  if (s->tools_stale) {
    auto client = s->client;  // kept alive across the call
    BEDROCK_CO_TRY_ASSIGN(json::array tools,
                          co_await client->ListTools(mcp::CallOptions(s->options.call_timeout)));
    s->tools = std::move(tools);
    s->tools_stale = false;
    for (int form = 0; form < 2; ++form) {
      s->plans[form].reset();
      s->every_tool_plans[form].reset();
    }
  }
  co_return core::OkStatus();
}

mcp::Awaitable<core::Result<std::string>> ActionHandler::Handle(
    std::string event_body, std::optional<std::chrono::system_clock::time_point> deadline) {
  std::shared_ptr<State> s = state_;
  const HandlerOptions& options = s->options;
  BEDROCK_CO_TRY_ASSIGN(ActionEvent event, ParseActionEvent(event_body));
  const auto started = std::chrono::steady_clock::now();
  auto log_and_build = [&](const ActionOutcome& outcome, std::string_view tool) {
    BEDROCK_LOG_INFO(
        kComponent, "action",
        {{"action_group", event.action_group},
         {"action", event.ActionName()},
         {"tool", tool},
         {"state", outcome.state == ResponseState::kOk ? std::string_view("OK")
                                                       : ResponseStateName(outcome.state)},
         {"status", outcome.http_status},
         {"duration_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count()}});
    return json::serialize(BuildActionResponse(event, outcome));
  };

  if (auto connected = co_await Connect(); !connected.ok()) {
    // A session that opened but could not list its tools is closed (a stdio child reaped); the
    // next invocation starts over.
    if (auto half_open = std::move(s->client)) co_await half_open->Close();
    Failure failure = CallFailure(connected.error(), options.server_name);
    if (failure.http_status != 503 && failure.http_status != 504) {
      failure = {ResponseState::kFailure, 503, "server_unavailable",
                 fmt::format("MCP server '{}' is unavailable: {}", options.server_name,
                             connected.error().message())};
    }
    co_return log_and_build(OutcomeFor(event, failure, options.max_body_bytes), "");
  }

  const int form = event.form == SchemaForm::kOpenApi ? 1 : 0;
  if (!s->plans[form]) {
    PlanOptions plan_options = options.plan;
    plan_options.form = event.form;
    auto plan = PlanActionGroup(s->tools, plan_options);
    if (!plan.ok()) {
      Failure failure{ResponseState::kFailure, 500, "bridge_configuration",
                      fmt::format("cannot map the tools of MCP server '{}': {}",
                                  options.server_name, plan.error().message())};
      co_return log_and_build(OutcomeFor(event, failure, options.max_body_bytes), "");
    }
    s->plans[form] = std::move(*plan);
    plan_options.only_tools.clear();
    plan_options.limits.max_functions = s->tools.size() + 1;
    if (auto every = PlanActionGroup(s->tools, plan_options); every.ok()) {
      s->every_tool_plans[form] = std::move(*every);
    }
  }

  auto call = ResolveToolCall(*s->plans[form], event);
  if (!call.ok() && call.error().code() == core::ErrorCode::kNotFound &&
      s->every_tool_plans[form]) {
    auto direct = ResolveToolCall(*s->every_tool_plans[form], event);
    if (direct.ok() || direct.error().code() != core::ErrorCode::kNotFound)
      call = std::move(direct);
  }
  if (!call.ok()) {
    Failure failure =
        call.error().code() == core::ErrorCode::kNotFound
            ? Failure{ResponseState::kFailure, 404, "unknown_tool",
                      fmt::format("MCP server '{}' has {}; regenerate the action group with "
                                  "`bedrock-mcp agents schema`",
                                  options.server_name, call.error().message())}
            : Failure{ResponseState::kReprompt, 400, "invalid_arguments", call.error().message()};
    co_return log_and_build(OutcomeFor(event, failure, options.max_body_bytes), "");
  }

  std::chrono::milliseconds timeout = options.call_timeout;
  if (deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        *deadline - std::chrono::system_clock::now() - options.deadline_margin);
    timeout = std::clamp(left, std::chrono::milliseconds(1'000), timeout);
  }
  auto client = s->client;  // kept alive across the call even if a reconnect replaces it
  auto result =
      co_await client->CallTool(call->tool, std::move(call->arguments), mcp::CallOptions(timeout));
  if (!result.ok()) {
    if (result.error().code() == core::ErrorCode::kUnavailable || client->session().closed()) {
      if (s->client == client) s->client.reset();  // the next invocation opens a new session
      co_await client->Close();
    }
    Failure failure = CallFailure(result.error(), options.server_name);
    co_return log_and_build(OutcomeFor(event, failure, options.max_body_bytes), call->tool);
  }
  if (result->is_error) {
    std::string text = ResultText(*result);
    if (text.empty()) text = fmt::format("tool '{}' reported an error", call->tool);
    Failure failure{options.tool_error_state,
                    options.tool_error_state == ResponseState::kFailure ? 500 : 400, "tool_error",
                    std::move(text)};
    co_return log_and_build(OutcomeFor(event, failure, options.max_body_bytes), call->tool);
  }
  co_return log_and_build(SuccessOutcome(event, *result, options.max_body_bytes), call->tool);
}

mcp::Awaitable<void> ActionHandler::Close() {
  std::shared_ptr<State> s = state_;
  if (auto client = std::move(s->client)) co_await client->Close();
}

}  // namespace bedrock::bridge

#include "mcp/internal/everything_modern.h"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "mcp/protocol.h"

namespace bedrock::mcp::internal {
namespace {

namespace json = boost::json;
using ToolResult = Awaitable<core::Result<CallToolResult>>;

json::object NameForm(std::string_view message) {
  json::object params;
  params["message"] = message;
  params["requestedSchema"] = Schema(
      R"js({"type":"object","properties":{"name":{"type":"string"}},"required":["name"]})js");
  return params;
}

json::object ConfirmForm() {
  json::object params;
  params["message"] = "Please confirm";
  params["requestedSchema"] =
      Schema(R"js({"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"]})js");
  return params;
}

json::object Question(std::string_view text, int max_tokens) {
  json::object params;
  params["messages"] =
      json::array{json::object{{"role", "user"}, {"content", content::Text(text)}}};
  params["maxTokens"] = max_tokens;
  return params;
}

std::string RootList(const json::array& roots) {
  std::string out;
  for (const json::value& root : roots) {
    const json::value* uri = root.is_object() ? root.get_object().if_contains("uri") : nullptr;
    if (uri == nullptr || !uri->is_string()) continue;
    if (!out.empty()) out += ", ";
    out += uri->get_string();
  }
  return out.empty() ? "(no roots)" : out;
}

// Re-registering a tool or prompt under its own name changes nothing in the lists but tells
// every listener they changed: the suite's hooks for list_changed on subscriptions/listen.
Tool TriggerToolChange(Server& server) {
  return MakeTool("test_trigger_tool_change",
                  "Announces a tool list change (notifications/tools/list_changed)", NoArguments(),
                  [&server](json::object, ServerContext&) -> ToolResult {
                    server.AddTool(TriggerToolChange(server));
                    co_return CallToolResult::Text("tool list change announced");
                  });
}

void AddStatelessTools(Server& server) {
  server.AddTool(MakeTool(
      "test_missing_capability",
      "Asks the client for sampling: answered with -32021 unless the request declares it",
      NoArguments(), [](json::object, ServerContext& ctx) -> ToolResult {
        BEDROCK_CO_TRY_ASSIGN(json::value answer,
                              co_await ctx.CreateMessage("question", Question("Say hi", 20)));
        co_return CallToolResult::Text("LLM response: " + SampledText(answer));
      }));
  server.AddTool(MakeTool(
      "test_streaming_elicitation",
      "Reports progress, then asks for the user's name (an InputRequiredResult, never a request "
      "on the stream)",
      NoArguments(), [](json::object, ServerContext& ctx) -> ToolResult {
        (void)co_await ctx.Progress(0, 1, "asking for a name");
        BEDROCK_CO_TRY_ASSIGN(json::value answer,
                              co_await ctx.Elicit("user_name", NameForm("What is your name?")));
        co_return CallToolResult::Text("Hello, " + FormField(answer, "name") + "!");
      }));
  server.AddTool(
      MakeTool("test_logging_tool",
               "Logs at info level; 2026-07-28 requests see the messages only with _meta logLevel",
               NoArguments(), [](json::object, ServerContext& ctx) -> ToolResult {
                 for (int i = 1; i <= 3; ++i) {
                   json::value data(fmt::format("log message {}", i));
                   (void)co_await ctx.Log("info", std::move(data), "everything");
                 }
                 co_return CallToolResult::Text("logged 3 messages");
               }));
  server.AddTool(TriggerToolChange(server));
  server.AddTool(MakeTool(
      "test_trigger_prompt_change",
      "Announces a prompt list change (notifications/prompts/list_changed)", NoArguments(),
      [&server](json::object, ServerContext&) -> ToolResult {
        server.AddPrompt(MakePrompt(
            "test_simple_prompt", "Simple Test Prompt", "A simple prompt without arguments", {},
            [](std::map<std::string, std::string>,
               ServerContext&) -> Awaitable<core::Result<GetPromptResult>> {
              co_return UserMessages({content::Text("This is a simple prompt for testing.")});
            }));
        co_return CallToolResult::Text("prompt list change announced");
      }));
  server.AddTool(MakeTool(
      "test_header_param",
      "Echoes its region, which clients mirror into the Mcp-Param-Region header",
      Schema(R"js({"type":"object","properties":{
          "region":{"type":"string","description":"Where to run","x-mcp-header":"Region"},
          "note":{"type":"string"}},"required":["region"]})js"),
      [](json::object args, ServerContext&) -> ToolResult {
        const json::value* region = args.if_contains("region");
        co_return CallToolResult::Text("region: " + (region && region->is_string()
                                                         ? std::string(region->get_string())
                                                         : std::string("(none)")));
      }));
}

void AddInputRequiredTools(Server& server) {
  server.AddTool(MakeTool(
      "test_input_required_result_elicitation", "Asks for the user's name (key user_name)",
      NoArguments(), [](json::object, ServerContext& ctx) -> ToolResult {
        BEDROCK_CO_TRY_ASSIGN(json::value answer,
                              co_await ctx.Elicit("user_name", NameForm("What is your name?")));
        co_return CallToolResult::Text("Hello, " + FormField(answer, "name") + "!");
      }));
  server.AddTool(
      MakeTool("test_input_required_result_sampling",
               "Asks the client's LLM a question (key "
               "capital_question)",
               NoArguments(), [](json::object, ServerContext& ctx) -> ToolResult {
                 BEDROCK_CO_TRY_ASSIGN(
                     json::value answer,
                     co_await ctx.CreateMessage("capital_question",
                                                Question("What is the capital of France?", 100)));
                 co_return CallToolResult::Text("LLM response: " + SampledText(answer));
               }));
  server.AddTool(MakeTool(
      "test_input_required_result_list_roots", "Asks for the client's roots (key client_roots)",
      NoArguments(), [](json::object, ServerContext& ctx) -> ToolResult {
        BEDROCK_CO_TRY_ASSIGN(json::array roots, co_await ctx.ListRoots("client_roots"));
        co_return CallToolResult::Text("Roots: " + RootList(roots));
      }));
  server.AddTool(MakeTool(
      "test_input_required_result_request_state",
      "Asks for a confirmation and keeps its own state across the round trip", NoArguments(),
      [](json::object, ServerContext& ctx) -> ToolResult {
        json::value restored = ctx.request_state();
        ctx.SetRequestState(json::object{{"step", "confirm"}});
        BEDROCK_CO_TRY_ASSIGN(json::value answer, co_await ctx.Elicit("confirm", ConfirmForm()));
        // Session clients answer in the same run: there is no state to carry.
        bool state_ok = ctx.request_meta() == nullptr ||
                        (restored.is_object() && restored.get_object().contains("step") &&
                         restored.get_object().at("step") == "confirm");
        co_return CallToolResult::Text(fmt::format(
            "{}: ok={}", state_ok ? "state-ok" : "state-missing", FormField(answer, "ok")));
      }));
  server.AddTool(MakeTool(
      "test_input_required_result_multiple_inputs",
      "Asks for a name, an LLM greeting and the roots in one round", NoArguments(),
      [](json::object, ServerContext& ctx) -> ToolResult {
        std::vector<InputRequest> requests;
        requests.emplace_back("user_name", std::string(method::kElicitationCreate),
                              NameForm("What is your name?"));
        requests.emplace_back("greeting", std::string(method::kSamplingCreateMessage),
                              Question("Generate a greeting", 50));
        requests.emplace_back("client_roots", std::string(method::kRootsList), json::object());
        BEDROCK_CO_TRY_ASSIGN(json::object answers,
                              co_await ctx.RequestInputs(std::move(requests)));
        const json::value& roots = answers["client_roots"];
        const json::value* list =
            roots.is_object() ? roots.get_object().if_contains("roots") : nullptr;
        co_return CallToolResult::Text(
            fmt::format("name: {}; greeting: {}; roots: {}",
                        FormField(answers["user_name"], "name"), SampledText(answers["greeting"]),
                        list && list->is_array() ? RootList(list->get_array()) : "(no roots)"));
      }));
  server.AddTool(MakeTool(
      "test_input_required_result_multi_round", "Asks for a name, then for a favourite colour",
      NoArguments(), [](json::object, ServerContext& ctx) -> ToolResult {
        BEDROCK_CO_TRY_ASSIGN(json::value name,
                              co_await ctx.Elicit("step1", NameForm("Step 1: What is your name?")));
        json::object colour;
        colour["message"] = "Step 2: What is your favorite color?";
        colour["requestedSchema"] = Schema(
            R"js({"type":"object","properties":{"color":{"type":"string"}},"required":["color"]})js");
        BEDROCK_CO_TRY_ASSIGN(json::value color, co_await ctx.Elicit("step2", std::move(colour)));
        co_return CallToolResult::Text(
            fmt::format("{} likes {}", FormField(name, "name"), FormField(color, "color")));
      }));
  server.AddTool(MakeTool(
      "test_input_required_result_tampered_state",
      "Asks for a confirmation; its requestState is signed, so a modified one is refused",
      NoArguments(), [](json::object, ServerContext& ctx) -> ToolResult {
        ctx.SetRequestState(json::object{{"approved_by", "server"}});
        BEDROCK_CO_TRY_ASSIGN(json::value answer, co_await ctx.Elicit("confirm", ConfirmForm()));
        co_return CallToolResult::Text("confirmed: " + FormField(answer, "ok"));
      }));
  server.AddTool(MakeTool(
      "test_input_required_result_capabilities",
      "Asks only for the inputs the request's client capabilities allow", NoArguments(),
      [](json::object, ServerContext& ctx) -> ToolResult {
        std::vector<InputRequest> requests;
        if (ctx.HasClientCapability("elicitation")) {
          requests.emplace_back("user_name", std::string(method::kElicitationCreate),
                                NameForm("What is your name?"));
        }
        if (ctx.HasClientCapability("sampling")) {
          requests.emplace_back("greeting", std::string(method::kSamplingCreateMessage),
                                Question("Generate a greeting", 50));
        }
        if (ctx.HasClientCapability("roots")) {
          requests.emplace_back("client_roots", std::string(method::kRootsList), json::object());
        }
        size_t asked = requests.size();
        BEDROCK_CO_TRY_ASSIGN(json::object answers,
                              co_await ctx.RequestInputs(std::move(requests)));
        co_return CallToolResult::Text(
            fmt::format("{} input(s) asked, {} answered", asked, answers.size()));
      }));
  server.AddPrompt(MakePrompt(
      "test_input_required_result_prompt", "Prompt Needing Input",
      "Asks the user for context before it is built", {},
      [](std::map<std::string, std::string>,
         ServerContext& ctx) -> Awaitable<core::Result<GetPromptResult>> {
        json::object params;
        params["message"] = "What context should the prompt use?";
        params["requestedSchema"] = Schema(
            R"js({"type":"object","properties":{"context":{"type":"string"}},"required":["context"]})js");
        BEDROCK_CO_TRY_ASSIGN(json::value answer,
                              co_await ctx.Elicit("user_context", std::move(params)));
        co_return UserMessages(
            {content::Text("Use this context: " + FormField(answer, "context"))});
      }));
}

}  // namespace

std::string FormField(const json::value& answer, std::string_view field) {
  const json::object* o = answer.if_object();
  const json::value* c = o ? o->if_contains("content") : nullptr;
  const json::value* v = c && c->is_object() ? c->get_object().if_contains(field) : nullptr;
  if (v == nullptr) return "(none)";
  return v->is_string() ? std::string(v->get_string()) : json::serialize(*v);
}

// The skills extension's fixture: one skill with a supporting file in a subfolder (so
// resources/directory/read has a folder to list).
void AddSkillFixtures(Server& server) {
  std::vector<SkillFile> files;
  files.emplace_back("SKILL.md",
                     "---\n"
                     "name: pdf-processing\n"
                     "description: Extract, fill, and assemble PDF documents\n"
                     "license: Apache-2.0\n"
                     "metadata:\n"
                     "  author: bedrock-mcp\n"
                     "  version: \"1.0\"\n"
                     "---\n"
                     "\n"
                     "# PDF processing\n"
                     "\n"
                     "Read the forms guide in references/FORMS.md before filling a form.\n");
  files.emplace_back("references/FORMS.md", "# Forms\n\nFill every field; leave none blank.\n");
  auto skill = MakeSkill("pdf-processing", std::move(files));
  if (skill.ok()) server.AddSkill(std::move(*skill));
}

void AddModernFixtures(Server& server) {
  AddStatelessTools(server);
  AddInputRequiredTools(server);
  AddTaskFixtures(server);
  AddSkillFixtures(server);
}

}  // namespace bedrock::mcp::internal

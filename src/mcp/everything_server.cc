#include "mcp/everything_server.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <mutex>

#include "mcp/internal/everything_modern.h"

namespace bedrock::mcp {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using ToolResult = Awaitable<core::Result<CallToolResult>>;

// The conformance suite's fixtures: a 1x1 PNG and a tiny WAV.
constexpr std::string_view kTinyPng =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg"
    "==";
constexpr std::string_view kTinyWav =
    "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

constexpr std::string_view kStaticTextUri = "test://static-text";
constexpr std::string_view kStaticBinaryUri = "test://static-binary";
constexpr std::string_view kWatchedUri = "test://watched-resource";
constexpr std::string_view kTemplate = "test://template/{id}/data";
constexpr std::string_view kLogger = "everything";

// What the fixtures share across sessions.
struct State {
  std::mutex mutex;
  std::string watched_text = "Watched resource content, version 1.";  // guarded by mutex
  int watched_version = 1;                                            // guarded by mutex
};

}  // namespace

namespace internal {
json::object Schema(std::string_view text) { return json::parse(text).as_object(); }

json::object NoArguments() { return Schema(R"js({"type":"object","properties":{}})js"); }
}  // namespace internal

namespace {
using internal::NoArguments;
using internal::Schema;

Awaitable<void> Sleep(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

std::optional<std::string> StringArgument(const json::object& args, std::string_view key) {
  const json::value* v = args.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

std::optional<double> NumberArgument(const json::object& args, std::string_view key) {
  const json::value* v = args.if_contains(key);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  return v->to_number<double>();
}

// 3 rather than 3.0, 0.5 as is.
std::string FormatNumber(double value) {
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15) {
    return fmt::format("{}", static_cast<int64_t>(value));
  }
  return fmt::format("{}", value);
}

}  // namespace

namespace internal {
// The text of a sampling answer: content is one block, or (2025-11-25) an array of them.
std::string SampledText(const json::value& result) {
  const json::object* o = result.if_object();
  const json::value* content = o ? o->if_contains("content") : nullptr;
  if (content == nullptr) return "No response";
  auto text_of = [](const json::value& block) -> std::string {
    const json::object* b = block.if_object();
    const json::value* text = b ? b->if_contains("text") : nullptr;
    return text && text->is_string() ? std::string(text->get_string()) : std::string();
  };
  if (content->is_array()) {
    std::string all;
    for (const auto& block : content->get_array()) all += text_of(block);
    return all.empty() ? "No response" : all;
  }
  std::string text = text_of(*content);
  return text.empty() ? "No response" : text;
}

std::string ElicitationSummary(std::string_view prefix, const json::value& result) {
  const json::object* o = result.if_object();
  std::string action = "unknown";
  std::string content = "{}";
  if (o != nullptr) {
    if (const json::value* a = o->if_contains("action"); a && a->is_string()) {
      action = std::string(a->get_string());
    }
    if (const json::value* c = o->if_contains("content"); c && !c->is_null()) {
      content = json::serialize(*c);
    }
  }
  return fmt::format("{}: action={}, content={}", prefix, action, content);
}

Tool MakeTool(std::string name, std::string description, json::object input_schema,
              Tool::Handler handler) {
  Tool tool;
  tool.name = std::move(name);
  tool.description = std::move(description);
  tool.input_schema = std::move(input_schema);
  tool.handler = std::move(handler);
  return tool;
}

}  // namespace internal

namespace {
using internal::ElicitationSummary;
using internal::MakeTool;
using internal::SampledText;

// --- The conformance suite's tools. ---

void AddContentTools(Server& server) {
  server.AddTool(MakeTool("test_simple_text", "Tests simple text content response", NoArguments(),
                          [](json::object, ServerContext&) -> ToolResult {
                            co_return CallToolResult::Text(
                                "This is a simple text response for testing.");
                          }));
  server.AddTool(MakeTool("test_image_content", "Tests image content response", NoArguments(),
                          [](json::object, ServerContext&) -> ToolResult {
                            CallToolResult result;
                            result.content.push_back(content::Image(kTinyPng, "image/png"));
                            co_return result;
                          }));
  server.AddTool(MakeTool("test_audio_content", "Tests audio content response", NoArguments(),
                          [](json::object, ServerContext&) -> ToolResult {
                            CallToolResult result;
                            result.content.push_back(content::Audio(kTinyWav, "audio/wav"));
                            co_return result;
                          }));
  server.AddTool(MakeTool(
      "test_embedded_resource", "Tests embedded resource content response", NoArguments(),
      [](json::object, ServerContext&) -> ToolResult {
        CallToolResult result;
        result.content.push_back(content::Embedded(content::TextResource(
            "test://embedded-resource", "text/plain", "This is an embedded resource content.")));
        co_return result;
      }));
  server.AddTool(MakeTool("test_multiple_content_types",
                          "Tests response with multiple content types (text, image, resource)",
                          NoArguments(), [](json::object, ServerContext&) -> ToolResult {
                            CallToolResult result;
                            result.content.push_back(content::Text("Multiple content types test:"));
                            result.content.push_back(content::Image(kTinyPng, "image/png"));
                            result.content.push_back(content::Embedded(content::TextResource(
                                "test://mixed-content-resource", "application/json",
                                R"js({"test":"data","value":123})js")));
                            co_return result;
                          }));
  server.AddTool(MakeTool("test_error_handling", "Tests error response handling", NoArguments(),
                          [](json::object, ServerContext&) -> ToolResult {
                            co_return CallToolResult::Error(
                                "This tool intentionally returns an error for testing");
                          }));
}

void AddUtilityTools(Server& server) {
  server.AddTool(MakeTool(
      "test_tool_with_logging", "Tests tool that emits log messages during execution",
      NoArguments(), [](json::object, ServerContext& ctx) -> ToolResult {
        BEDROCK_CO_TRY(co_await ctx.Log("info", json::string("Tool execution started"), kLogger));
        co_await Sleep(std::chrono::milliseconds(50));
        BEDROCK_CO_TRY(co_await ctx.Log("info", json::string("Tool processing data"), kLogger));
        co_await Sleep(std::chrono::milliseconds(50));
        BEDROCK_CO_TRY(co_await ctx.Log("info", json::string("Tool execution completed"), kLogger));
        co_return CallToolResult::Text("Tool with logging executed successfully");
      }));
  server.AddTool(
      MakeTool("test_tool_with_progress", "Tests tool that reports progress notifications",
               NoArguments(), [](json::object, ServerContext& ctx) -> ToolResult {
                 for (int step = 0; step <= 100; step += 50) {
                   if (step > 0) co_await Sleep(std::chrono::milliseconds(50));
                   std::string message = fmt::format("Completed step {} of 100", step);
                   BEDROCK_CO_TRY(co_await ctx.Progress(step, 100.0, message));
                 }
                 const json::value& token = ctx.request().progress_token();
                 co_return CallToolResult::Text(token.is_null() ? std::string("no progress token")
                                                                : json::serialize(token));
               }));
  server.AddTool(MakeTool(
      "test_reconnection",
      "Tests SSE stream disconnection and client reconnection (SEP-1699): closes the request's "
      "stream mid-call and sends the result after the client reconnects with Last-Event-ID",
      NoArguments(), [](json::object, ServerContext& ctx) -> ToolResult {
        ctx.CloseSseStream();
        co_await Sleep(std::chrono::milliseconds(100));
        co_return CallToolResult::Text(
            "Reconnection test completed successfully. If you received this, the client properly "
            "reconnected after stream closure.");
      }));
  server.AddTool(MakeTool(
      "json_schema_2020_12_tool",
      "Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613, SEP-2106)",
      Schema(R"js({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {
          "address": {
            "$anchor": "addressDef",
            "type": "object",
            "properties": {"street": {"type": "string"}, "city": {"type": "string"}}
          }
        },
        "properties": {
          "name": {"type": "string"},
          "address": {"$ref": "#/$defs/address"},
          "contactMethod": {"type": "string", "enum": ["phone", "email"]},
          "phone": {"type": "string"},
          "email": {"type": "string"}
        },
        "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
        "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
        "then": {"required": ["phone"]},
        "else": {"required": ["email"]},
        "additionalProperties": false
      })js"),
      [](json::object args, ServerContext&) -> ToolResult {
        co_return CallToolResult::Text("JSON Schema 2020-12 tool called with: " +
                                       json::serialize(args));
      }));
}

void AddClientRequestTools(Server& server) {
  server.AddTool(MakeTool(
      "test_sampling", "Tests server-initiated sampling (LLM completion request)",
      Schema(R"js({"type":"object","properties":{"prompt":{"type":"string",
                 "description":"The prompt to send to the LLM"}},"required":["prompt"]})js"),
      [](json::object args, ServerContext& ctx) -> ToolResult {
        auto prompt = StringArgument(args, "prompt");
        if (!prompt) co_return CallToolResult::Error("prompt must be a string");
        json::object params;
        params["messages"] =
            json::array{json::object{{"role", "user"}, {"content", content::Text(*prompt)}}};
        params["maxTokens"] = 100;
        BEDROCK_CO_TRY_ASSIGN(json::value result, co_await ctx.CreateMessage(std::move(params)));
        co_return CallToolResult::Text("LLM response: " + SampledText(result));
      }));
  server.AddTool(
      MakeTool("test_elicitation", "Tests server-initiated elicitation (user input request)",
               Schema(R"js({"type":"object","properties":{"message":{"type":"string",
                 "description":"The message to show the user"}},"required":["message"]})js"),
               [](json::object args, ServerContext& ctx) -> ToolResult {
                 auto message = StringArgument(args, "message");
                 if (!message) co_return CallToolResult::Error("message must be a string");
                 json::object params;
                 params["message"] = *message;
                 params["requestedSchema"] = Schema(R"js({"type":"object","properties":{
            "username":{"type":"string","description":"Your username"},
            "email":{"type":"string","description":"Your email address"}},
            "required":["username","email"]})js");
                 BEDROCK_CO_TRY_ASSIGN(json::value result, co_await ctx.Elicit(std::move(params)));
                 co_return CallToolResult::Text(ElicitationSummary("User response", result));
               }));
  server.AddTool(MakeTool(
      "test_elicitation_sep1034_defaults", "Tests elicitation with default values per SEP-1034",
      NoArguments(), [](json::object, ServerContext& ctx) -> ToolResult {
        json::object params;
        params["message"] = "Please review and update the form fields with defaults";
        params["requestedSchema"] = Schema(R"js({"type":"object","properties":{
            "name":{"type":"string","description":"User name","default":"John Doe"},
            "age":{"type":"integer","description":"User age","default":30},
            "score":{"type":"number","description":"User score","default":95.5},
            "status":{"type":"string","description":"User status",
                      "enum":["active","inactive","pending"],"default":"active"},
            "verified":{"type":"boolean","description":"Verification status","default":true}},
            "required":[]})js");
        BEDROCK_CO_TRY_ASSIGN(json::value result, co_await ctx.Elicit(std::move(params)));
        co_return CallToolResult::Text(ElicitationSummary("Elicitation completed", result));
      }));
  server.AddTool(MakeTool(
      "test_elicitation_sep1330_enums",
      "Tests elicitation with enum schema improvements per SEP-1330", NoArguments(),
      [](json::object, ServerContext& ctx) -> ToolResult {
        json::object params;
        params["message"] = "Please select options from the enum fields";
        params["requestedSchema"] = Schema(R"js({"type":"object","properties":{
            "untitledSingle":{"type":"string","description":"Select one option",
                              "enum":["option1","option2","option3"]},
            "titledSingle":{"type":"string","description":"Select one option with titles",
                            "oneOf":[{"const":"value1","title":"First Option"},
                                     {"const":"value2","title":"Second Option"},
                                     {"const":"value3","title":"Third Option"}]},
            "legacyEnum":{"type":"string","description":"Select one option (legacy)",
                          "enum":["opt1","opt2","opt3"],
                          "enumNames":["Option One","Option Two","Option Three"]},
            "untitledMulti":{"type":"array","description":"Select multiple options",
                             "minItems":1,"maxItems":3,
                             "items":{"type":"string","enum":["option1","option2","option3"]}},
            "titledMulti":{"type":"array","description":"Select multiple options with titles",
                           "minItems":1,"maxItems":3,
                           "items":{"anyOf":[{"const":"value1","title":"First Choice"},
                                             {"const":"value2","title":"Second Choice"},
                                             {"const":"value3","title":"Third Choice"}]}}},
            "required":[]})js");
        BEDROCK_CO_TRY_ASSIGN(json::value result, co_await ctx.Elicit(std::move(params)));
        co_return CallToolResult::Text(ElicitationSummary("Elicitation completed", result));
      }));
}

// --- Demo tools. ---

void AddDemoTools(Server& server, const std::shared_ptr<State>& state) {
  server.AddTool(MakeTool("echo", "Echoes back the message it is given",
                          Schema(R"js({"type":"object","properties":{"message":{"type":"string",
                 "description":"Message to echo"}},"required":["message"]})js"),
                          [](json::object args, ServerContext&) -> ToolResult {
                            auto message = StringArgument(args, "message");
                            if (!message)
                              co_return CallToolResult::Error("message must be a string");
                            co_return CallToolResult::Text("Echo: " + *message);
                          }));

  Tool add = MakeTool(
      "add", "Adds two numbers",
      Schema(R"js({"type":"object","properties":{"a":{"type":"number","description":"First number"},
                 "b":{"type":"number","description":"Second number"}},"required":["a","b"]})js"),
      [](json::object args, ServerContext&) -> ToolResult {
        auto a = NumberArgument(args, "a");
        auto b = NumberArgument(args, "b");
        if (!a || !b) co_return CallToolResult::Error("a and b must be numbers");
        double sum = *a + *b;
        CallToolResult result = CallToolResult::Text(fmt::format(
            "The sum of {} and {} is {}", FormatNumber(*a), FormatNumber(*b), FormatNumber(sum)));
        result.structured_content = json::object{{"sum", JsonNumber(sum)}};
        co_return result;
      });
  add.title = "Add";
  add.output_schema = Schema(R"js({"type":"object","properties":{"sum":{"type":"number"}},
                                 "required":["sum"]})js");
  add.annotations = json::object{{"readOnlyHint", true}, {"openWorldHint", false}};
  server.AddTool(std::move(add));

  server.AddTool(MakeTool(
      "long_running_operation",
      "Runs for `duration` seconds in `steps` steps, reporting progress after each; cancellable",
      Schema(R"js({"type":"object","properties":{
                 "duration":{"type":"number","default":10,"description":"Seconds to run"},
                 "steps":{"type":"integer","default":5,"description":"Number of steps"}}})js"),
      [](json::object args, ServerContext& ctx) -> ToolResult {
        double duration = NumberArgument(args, "duration").value_or(10);
        double steps_value = NumberArgument(args, "steps").value_or(5);
        if (!(duration >= 0 && duration <= 3600) || !(steps_value >= 1 && steps_value <= 1000)) {
          co_return CallToolResult::Error("duration must be 0..3600 and steps 1..1000");
        }
        int steps = static_cast<int>(steps_value);
        auto step_time = std::chrono::milliseconds(static_cast<int64_t>(duration * 1000 / steps));
        for (int i = 1; i <= steps; ++i) {
          co_await Sleep(step_time);
          std::string message = fmt::format("Step {} of {}", i, steps);
          BEDROCK_CO_TRY(co_await ctx.Progress(i, steps, message));
        }
        co_return CallToolResult::Text(
            fmt::format("Long running operation completed. Duration: {} seconds, Steps: {}.",
                        FormatNumber(duration), steps));
      }));

  server.AddTool(MakeTool(
      "sample_llm", "Asks the client's model (sampling/createMessage) and returns its answer",
      Schema(R"js({"type":"object","properties":{
                 "prompt":{"type":"string","description":"The prompt to send to the LLM"},
                 "maxTokens":{"type":"integer","default":100}},"required":["prompt"]})js"),
      [](json::object args, ServerContext& ctx) -> ToolResult {
        auto prompt = StringArgument(args, "prompt");
        if (!prompt) co_return CallToolResult::Error("prompt must be a string");
        json::object params;
        params["messages"] =
            json::array{json::object{{"role", "user"}, {"content", content::Text(*prompt)}}};
        params["maxTokens"] = static_cast<int64_t>(NumberArgument(args, "maxTokens").value_or(100));
        params["systemPrompt"] = "You are a helpful test server.";
        BEDROCK_CO_TRY_ASSIGN(json::value result, co_await ctx.CreateMessage(std::move(params)));
        co_return CallToolResult::Text("LLM sampling result: " + SampledText(result));
      }));

  server.AddTool(MakeTool("get_tiny_image", "Returns a tiny PNG image", NoArguments(),
                          [](json::object, ServerContext&) -> ToolResult {
                            CallToolResult result;
                            result.content.push_back(content::Text("This is a tiny image:"));
                            result.content.push_back(content::Image(kTinyPng, "image/png"));
                            result.content.push_back(content::Text("The image above is 1x1."));
                            co_return result;
                          }));

  server.AddTool(MakeTool(
      "get_resource_links", "Returns links to the server's resources (resource_link content)",
      Schema(R"js({"type":"object","properties":{"count":{"type":"integer","minimum":1,
                 "maximum":3,"default":3,"description":"How many links"}}})js"),
      [](json::object args, ServerContext&) -> ToolResult {
        int count =
            static_cast<int>(std::clamp(NumberArgument(args, "count").value_or(3), 1.0, 3.0));
        CallToolResult result =
            CallToolResult::Text(fmt::format("Here are {} resource links:", count));
        const std::string_view uris[] = {kStaticTextUri, kStaticBinaryUri, kWatchedUri};
        const std::string_view names[] = {"static-text", "static-binary", "watched-resource"};
        const std::string_view types[] = {"text/plain", "image/png", "text/plain"};
        for (int i = 0; i < count; ++i) {
          result.content.push_back(content::ResourceLink(uris[i], names[i], types[i]));
        }
        co_return result;
      }));

  server.AddTool(MakeTool("list_roots", "Lists the client's roots (roots/list)", NoArguments(),
                          [](json::object, ServerContext& ctx) -> ToolResult {
                            BEDROCK_CO_TRY_ASSIGN(json::array roots, co_await ctx.ListRoots());
                            std::string text =
                                fmt::format("The client has {} root(s):", roots.size());
                            for (const auto& root : roots) text += "\n" + json::serialize(root);
                            co_return CallToolResult::Text(text);
                          }));

  server.AddTool(MakeTool(
      "update_watched_resource",
      "Changes test://watched-resource and notifies the clients subscribed to it",
      Schema(R"js({"type":"object","properties":{"text":{"type":"string",
                 "description":"The new content (default: a new version line)"}}})js"),
      [state](json::object args, ServerContext& ctx) -> ToolResult {
        std::string text;
        {
          std::lock_guard lock(state->mutex);
          ++state->watched_version;
          state->watched_text = StringArgument(args, "text")
                                    .value_or(fmt::format("Watched resource content, version {}.",
                                                          state->watched_version));
          text = state->watched_text;
        }
        ctx.session().server().NotifyResourceUpdated(kWatchedUri);
        co_return CallToolResult::Text("test://watched-resource is now: " + text);
      }));
}

// --- Resources. ---

void AddResources(Server& server, const std::shared_ptr<State>& state) {
  auto fixed = [](std::string_view uri, std::string name, std::string title,
                  std::string description, std::string mime_type, Resource::Reader read) {
    Resource r;
    r.uri = std::string(uri);
    r.name = std::move(name);
    r.title = std::move(title);
    r.description = std::move(description);
    r.mime_type = std::move(mime_type);
    r.read = std::move(read);
    return r;
  };
  server.AddResource(fixed(
      kStaticTextUri, "static-text", "Static Text Resource", "A static text resource for testing",
      "text/plain", [](std::string, ServerContext&) -> Awaitable<core::Result<json::array>> {
        co_return json::array{content::TextResource(
            kStaticTextUri, "text/plain", "This is the content of the static text resource.")};
      }));
  server.AddResource(fixed(kStaticBinaryUri, "static-binary", "Static Binary Resource",
                           "A static binary resource (image) for testing", "image/png",
                           [](std::string, ServerContext&) -> Awaitable<core::Result<json::array>> {
                             co_return json::array{
                                 content::BlobResource(kStaticBinaryUri, "image/png", kTinyPng)};
                           }));
  server.AddResource(
      fixed(kWatchedUri, "watched-resource", "Watched Resource",
            "A resource clients can subscribe to; update_watched_resource changes it", "text/plain",
            [state](std::string, ServerContext&) -> Awaitable<core::Result<json::array>> {
              std::string text;
              {
                std::lock_guard lock(state->mutex);
                text = state->watched_text;
              }
              co_return json::array{content::TextResource(kWatchedUri, "text/plain", text)};
            }));

  ResourceTemplate t;
  t.uri_template = std::string(kTemplate);
  t.name = "template";
  t.title = "Resource Template";
  t.description = "A resource template with parameter substitution";
  t.mime_type = "application/json";
  t.read = [](std::string uri, std::map<std::string, std::string> variables,
              ServerContext&) -> Awaitable<core::Result<json::array>> {
    const std::string& id = variables["id"];
    json::object data{{"id", id}, {"templateTest", true}, {"data", "Data for ID: " + id}};
    co_return json::array{content::TextResource(uri, "application/json", json::serialize(data))};
  };
  server.AddResourceTemplate(std::move(t));
}

// --- Prompts and completion. ---

PromptArgument Argument(std::string name, std::string description) {
  PromptArgument a;
  a.name = std::move(name);
  a.description = std::move(description);
  a.required = true;
  return a;
}

using PromptResult = Awaitable<core::Result<GetPromptResult>>;
using PromptArguments = std::map<std::string, std::string>;

}  // namespace

namespace internal {
Prompt MakePrompt(std::string name, std::string title, std::string description,
                  std::vector<PromptArgument> arguments, Prompt::Handler handler) {
  Prompt prompt;
  prompt.name = std::move(name);
  prompt.title = std::move(title);
  prompt.description = std::move(description);
  prompt.arguments = std::move(arguments);
  prompt.handler = std::move(handler);
  return prompt;
}

// A prompt of user messages.
GetPromptResult UserMessages(std::initializer_list<json::object> blocks) {
  GetPromptResult result;
  for (const auto& block : blocks) result.messages.push_back(PromptMessage("user", block));
  return result;
}

}  // namespace internal

namespace {
using internal::MakePrompt;
using internal::UserMessages;

void AddPrompts(Server& server) {
  server.AddPrompt(
      MakePrompt("test_simple_prompt", "Simple Test Prompt", "A simple prompt without arguments",
                 {}, [](PromptArguments, ServerContext&) -> PromptResult {
                   co_return UserMessages({content::Text("This is a simple prompt for testing.")});
                 }));
  server.AddPrompt(MakePrompt(
      "test_prompt_with_arguments", "Prompt With Arguments", "A prompt with required arguments",
      {Argument("arg1", "First test argument"), Argument("arg2", "Second test argument")},
      [](PromptArguments args, ServerContext&) -> PromptResult {
        co_return UserMessages({content::Text(fmt::format(
            "Prompt with arguments: arg1='{}', arg2='{}'", args["arg1"], args["arg2"]))});
      }));
  server.AddPrompt(MakePrompt(
      "test_prompt_with_embedded_resource", "Prompt With Embedded Resource",
      "A prompt that includes an embedded resource",
      {Argument("resourceUri", "URI of the resource to embed")},
      [](PromptArguments args, ServerContext&) -> PromptResult {
        co_return UserMessages(
            {content::Embedded(content::TextResource(args["resourceUri"], "text/plain",
                                                     "Embedded resource content for testing.")),
             content::Text("Please process the embedded resource above.")});
      }));
  server.AddPrompt(MakePrompt(
      "test_prompt_with_image", "Prompt With Image", "A prompt that includes image content", {},
      [](PromptArguments, ServerContext&) -> PromptResult {
        co_return UserMessages({content::Image(kTinyPng, "image/png"),
                                content::Text("Please analyze the image above.")});
      }));
}

Awaitable<core::Result<Completion>> Complete(const json::object& ref, std::string argument,
                                             std::string value, const json::object&,
                                             ServerContext&) {
  std::vector<std::string> candidates;
  auto type = StringArgument(ref, "type").value_or("");
  if (type == "ref/prompt") {
    if (argument == "arg1" || argument == "arg2") {
      candidates = {"paris", "park", "party", "testValue1", "testValue2"};
    } else if (argument == "resourceUri") {
      candidates = {std::string(kStaticTextUri), std::string(kStaticBinaryUri),
                    std::string(kWatchedUri), "test://example-resource"};
    }
  } else if (type == "ref/resource" && StringArgument(ref, "uri").value_or("") == kTemplate &&
             argument == "id") {
    candidates = {"1", "2", "3", "42", "123"};
  }
  Completion completion;
  for (auto& c : candidates) {
    if (c.starts_with(value)) completion.values.push_back(std::move(c));
  }
  completion.total = static_cast<int64_t>(completion.values.size());
  co_return completion;
}

}  // namespace

std::shared_ptr<Server> MakeEverythingServer(EverythingServerOptions options) {
  Implementation info(std::move(options.name), std::move(options.version),
                      "bedrock-mcp everything server");
  info.description = "Every MCP feature, with the conformance suite's fixtures";
  ServerOptions server_options;
  server_options.instructions =
      "A test and demo server: every tool, resource and prompt exercises one MCP feature.";
  server_options.request_state_secret = std::move(options.request_state_secret);
  auto server = std::make_shared<Server>(std::move(info), std::move(server_options));
  auto state = std::make_shared<State>();
  AddContentTools(*server);
  AddUtilityTools(*server);
  AddClientRequestTools(*server);
  AddDemoTools(*server, state);
  AddResources(*server, state);
  AddPrompts(*server);
  internal::AddModernFixtures(*server);
  server->SetCompletionHandler(Complete);
  return server;
}

StreamableHttpServerOptions EverythingHttpOptions() {
  StreamableHttpServerOptions options;
  options.sse_retry_ms = 500;
  return options;
}

}  // namespace bedrock::mcp

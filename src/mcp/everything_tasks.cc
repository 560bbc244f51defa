// The everything server's fixtures for the tasks extension (io.modelcontextprotocol/tasks,
// SEP-2663), as the conformance suite's tasks-* scenarios name them.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <stdexcept>

#include "mcp/internal/everything_modern.h"
#include "mcp/protocol.h"

namespace bedrock::mcp::internal {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using ToolResult = Awaitable<core::Result<CallToolResult>>;

// Waits `duration`; kCancelled when the task (or request) is cancelled first.
Awaitable<core::Status> Sleep(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (ec) co_return core::Error::Cancelled("cancelled while working");
  co_return core::OkStatus();
}

Tool WithTaskSupport(Tool tool, TaskSupport support) {
  tool.task_support = support;
  return tool;
}

json::object ConfirmDeleteForm(std::string_view filename) {
  json::object params;
  params["message"] = "Delete " + std::string(filename) + "?";
  params["requestedSchema"] = Schema(
      R"js({"type":"object","properties":{"confirm":{"type":"boolean"}},"required":["confirm"]})js");
  return params;
}

json::object NameForm(std::string_view message) {
  json::object params;
  params["message"] = message;
  params["requestedSchema"] =
      Schema(R"js({"type":"object","properties":{"name":{"type":"string"}}})js");
  return params;
}

// Whether an ElicitResult accepted with content.confirm true.
bool Confirmed(const json::value& answer) {
  const json::object* o = answer.if_object();
  if (o == nullptr || !o->contains("action") || o->at("action") != "accept") return false;
  const json::value* content = o->if_contains("content");
  const json::value* confirm =
      content && content->is_object() ? content->get_object().if_contains("confirm") : nullptr;
  return confirm != nullptr && confirm->is_bool() && confirm->get_bool();
}

}  // namespace

void AddTaskFixtures(Server& server) {
  server.AddTool(MakeTool(
      "greet", "Greets someone at once (never a task)",
      Schema(
          R"js({"type":"object","properties":{"name":{"type":"string"}},"required":["name"]})js"),
      [](json::object args, ServerContext&) -> ToolResult {
        const json::value* name = args.if_contains("name");
        std::string who = name && name->is_string() ? std::string(name->get_string()) : "World";
        co_return CallToolResult::Text("Hello, " + who + "!");
      }));
  server.AddTool(WithTaskSupport(
      MakeTool("slow_compute",
               "Works for `seconds` seconds, then answers; a task for clients with the tasks "
               "extension",
               Schema(R"js({"type":"object","properties":{
                   "seconds":{"type":"number","minimum":0,"maximum":600},
                   "label":{"type":"string"}},"required":["seconds"]})js"),
               [](json::object args, ServerContext&) -> ToolResult {
                 const json::value* seconds = args.if_contains("seconds");
                 double s = seconds && seconds->is_number() ? seconds->to_number<double>() : 0;
                 if (s < 0 || s > 600) co_return core::Error::InvalidArgument("seconds: 0 to 600");
                 BEDROCK_CO_TRY(
                     co_await Sleep(std::chrono::milliseconds(static_cast<int64_t>(s * 1000))));
                 const json::value* label = args.if_contains("label");
                 std::string name =
                     label && label->is_string() ? std::string(label->get_string()) : "job";
                 co_return CallToolResult::Text("computed " + name + " after " +
                                                json::serialize(*seconds) + " s");
               }),
      TaskSupport::kOptional));
  server.AddTool(WithTaskSupport(
      MakeTool("failing_job", "A task that reports a tool error after about a second",
               NoArguments(),
               [](json::object, ServerContext&) -> ToolResult {
                 BEDROCK_CO_TRY(co_await Sleep(std::chrono::seconds(1)));
                 co_return core::Error::Internal("the job failed");
               }),
      TaskSupport::kRequired));
  server.AddTool(WithTaskSupport(
      MakeTool("confirm_delete",
               "Asks the client to confirm (elicitation) before deleting `filename`; as a task it "
               "waits in input_required until tasks/update answers",
               Schema(R"js({"type":"object","properties":{"filename":{"type":"string"}},
                   "required":["filename"]})js"),
               [](json::object args, ServerContext& ctx) -> ToolResult {
                 const json::value* file = args.if_contains("filename");
                 std::string name =
                     file && file->is_string() ? std::string(file->get_string()) : "the file";
                 BEDROCK_CO_TRY_ASSIGN(json::value answer,
                                       co_await ctx.Elicit("confirm", ConfirmDeleteForm(name)));
                 co_return CallToolResult::Text(Confirmed(answer) ? "deleted " + name
                                                                  : "kept " + name);
               }),
      TaskSupport::kOptional));
  server.AddTool(WithTaskSupport(
      MakeTool("multi_input", "Asks two questions at once (two pending input requests)",
               NoArguments(),
               [](json::object, ServerContext& ctx) -> ToolResult {
                 std::vector<InputRequest> both;
                 both.emplace_back("first", std::string(method::kElicitationCreate),
                                   NameForm("First name?"));
                 both.emplace_back("second", std::string(method::kElicitationCreate),
                                   NameForm("Second name?"));
                 BEDROCK_CO_TRY_ASSIGN(json::object answers,
                                       co_await ctx.RequestInputs(std::move(both)));
                 co_return CallToolResult::Text("got " + json::serialize(answers["first"]) +
                                                " and " + json::serialize(answers["second"]));
               }),
      TaskSupport::kOptional));
  Tool with_task = WithTaskSupport(
      MakeTool("test_tool_with_task",
               "Asks for the user's name (InputRequired rounds), then finishes as a task",
               NoArguments(),
               [](json::object, ServerContext& ctx) -> ToolResult {
                 BEDROCK_CO_TRY_ASSIGN(json::value answer,
                                       co_await ctx.Elicit("user_name", NameForm("Your name?")));
                 BEDROCK_CO_TRY(co_await Sleep(std::chrono::milliseconds(300)));
                 co_return CallToolResult::Text("Hello, " + FormField(answer, "name") +
                                                "! (finished as a task)");
               }),
      TaskSupport::kRequired);
  with_task.inputs_before_task.emplace_back("user_name", std::string(method::kElicitationCreate),
                                            NameForm("Your name?"));
  server.AddTool(std::move(with_task));
  server.AddTool(WithTaskSupport(
      MakeTool("protocol_error_job",
               "A task whose work breaks down (a protocol error, not a tool error)", NoArguments(),
               [](json::object, ServerContext&) -> ToolResult {
                 BEDROCK_CO_TRY(co_await Sleep(std::chrono::milliseconds(200)));
                 throw std::runtime_error("protocol_error_job: the worker crashed");
               }),
      TaskSupport::kOptional));
}

}  // namespace bedrock::mcp::internal

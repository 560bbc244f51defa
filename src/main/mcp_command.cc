// `bedrock-mcp mcp`: inspect any MCP server from the shell.
//
//   bedrock-mcp mcp list-tools --config servers.json --server files
//   bedrock-mcp mcp call --config servers.json --server files read_file '{"path":"/tmp/x"}'
//   bedrock-mcp mcp read --config servers.json --server files file:///tmp/x
//   bedrock-mcp mcp prompts --config servers.json --server files [PROMPT '{"arg":"v"}']
//   bedrock-mcp mcp skills --config servers.json --server docs [skill://pdf-processing/SKILL.md]
//   bedrock-mcp mcp conformance-client http://localhost:3000/mcp
//
// Results go to stdout, logs (and a stdio server's stderr) to stderr. Exit codes: 0 success; 1 the
// server answered with an error (a tool result with isError, a JSON-RPC error); 2 a usage,
// configuration or connection problem (including timeouts).
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "http/client.h"
#include "main/command.h"
#include "main/mcp_conformance_client.h"
#include "main/oauth_redirect.h"
#include "mcp/client.h"
#include "mcp/oauth.h"
#include "mcp/server_config.h"

namespace bedrock::app {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

constexpr int kExitServerError = 1;
constexpr int kExitUsage = 2;

struct McpFlags {
  std::string config;
  std::string server;
  double timeout_seconds = 60;
  bool json = false;
  std::string tool;
  std::string arguments;
  std::string uri;
  std::string prompt;
  std::string url;                 // conformance-client
  int oauth_port = 0;              // the loopback port of the OAuth redirect (0: any free one)
  std::string elicitation;         // "accept" or "decline"; empty: not declared
  std::vector<std::string> roots;  // answered to roots/list; empty: not declared
};

// Answers elicitation requests without a user: "accept" with the requested schema's defaults,
// or "decline".
mcp::RequestHandler Elicitation(std::string mode) {
  return [mode](json::value params, mcp::RequestContext&) -> mcp::Awaitable<mcp::Reply> {
    json::object reply;
    reply["action"] = mode;
    if (mode == "accept") reply["content"] = mcp::RequestedSchemaDefaults(params);
    co_return json::value(std::move(reply));
  };
}

void Print(std::FILE* out, std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), out);
  if (text.empty() || text.back() != '\n') std::fputc('\n', out);
}

std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string StringField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// Decoded size of base64 data, for summaries.
size_t Base64Bytes(std::string_view data) {
  size_t padding = 0;
  while (!data.empty() && data.back() == '=') {
    data.remove_suffix(1);
    ++padding;
  }
  return data.size() * 3 / 4;
}

// One content block as a human reads it: text as text, everything else summarised.
void PrintContentBlock(std::FILE* out, const json::value& block) {
  const json::object* o = block.if_object();
  if (o == nullptr) return Print(out, json::serialize(block));
  std::string type = StringField(*o, "type");
  if (type == "text") return Print(out, StringField(*o, "text"));
  if (type == "image" || type == "audio") {
    return Print(out, fmt::format("[{}: {}, {} bytes]", type, StringField(*o, "mimeType"),
                                  Base64Bytes(StringField(*o, "data"))));
  }
  if (type == "resource_link") {
    std::string name = StringField(*o, "name");
    return Print(out, fmt::format("[resource link: {}{}]", StringField(*o, "uri"),
                                  name.empty() ? "" : " (" + name + ")"));
  }
  if (type == "resource") {
    const json::value* resource = o->if_contains("resource");
    const json::object* r = resource ? resource->if_object() : nullptr;
    if (r != nullptr) {
      std::string uri = StringField(*r, "uri"), mime = StringField(*r, "mimeType");
      if (r->contains("text")) {
        Print(out, fmt::format("[resource: {}{}]", uri, mime.empty() ? "" : ", " + mime));
        return Print(out, StringField(*r, "text"));
      }
      return Print(out,
                   fmt::format("[resource: {}{}, {} bytes]", uri, mime.empty() ? "" : ", " + mime,
                               Base64Bytes(StringField(*r, "blob"))));
    }
  }
  Print(out, json::serialize(block));
}

// Whether the content has text for a reader. Tools that return structuredContent are asked to
// repeat it (or say what it holds) as text, so the JSON is printed only when there is no text.
bool HasText(const json::array& content) {
  for (const auto& block : content) {
    const json::object* o = block.if_object();
    if (o != nullptr && StringField(*o, "type") == "text") return true;
  }
  return false;
}

core::Result<json::object> ParseArguments(std::string_view text, std::string_view what) {
  if (text.empty()) return json::object();
  boost::system::error_code ec;
  json::value value = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec) {
    return core::Error::InvalidArgument("{} are not valid JSON: {}", what, ec.message());
  }
  if (!value.is_object()) return core::Error::InvalidArgument("{} must be a JSON object", what);
  return std::move(value.get_object());
}

// Loads the configuration, connects to the server and runs `body` with the client; returns the
// process exit code.
using Body = std::function<mcp::Awaitable<int>(mcp::Client& client)>;

int RunWithClient(const McpFlags& flags, const core::Env& env, Body body) {
  if (flags.config.empty() || flags.server.empty()) {
    std::fprintf(stderr, "bedrock-mcp mcp: --config FILE and --server NAME are required\n");
    return kExitUsage;
  }
  if (!(flags.timeout_seconds > 0)) {
    std::fprintf(stderr, "bedrock-mcp mcp: --timeout must be a positive number of seconds\n");
    return kExitUsage;
  }
  core::JsonDocumentOptions document_options;
  document_options.env = &env;
  auto document = core::LoadJsonFile(flags.config, document_options);
  if (!document.ok()) {
    std::fprintf(stderr, "bedrock-mcp mcp: %s\n", document.error().message().c_str());
    return kExitUsage;
  }
  auto servers = mcp::ParseMcpServers(document->Root());
  if (!servers.ok()) {
    std::fprintf(stderr, "bedrock-mcp mcp: %s\n", servers.error().message().c_str());
    return kExitUsage;
  }
  const mcp::McpServerConfig* chosen = nullptr;
  std::vector<std::string> names;
  for (const auto& server : *servers) {
    names.push_back(server.name);
    if (server.name == flags.server) chosen = &server;
  }
  if (chosen == nullptr) {
    std::fprintf(stderr, "bedrock-mcp mcp: %s has no server '%s' (it has: %s)\n",
                 flags.config.c_str(), flags.server.c_str(),
                 names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", ")).c_str());
    return kExitUsage;
  }

  asio::io_context io;
  auto http_client = http::Client::Create(io.get_executor());
  if (!http_client.ok()) {
    std::fprintf(stderr, "bedrock-mcp mcp: %s\n", http_client.error().message().c_str());
    return kExitUsage;
  }
  auto timeout = std::chrono::milliseconds(static_cast<int64_t>(flags.timeout_seconds * 1000));
  int exit_code = kExitUsage;
  mcp::McpServerConfig config = *chosen;
  if (config.kind != mcp::ServerTransportKind::kStdio && !config.auth) {
    // A server that answers 401 gets an interactive authorization: the URL to open is printed on
    // stderr, and the browser's redirect comes back to a loopback listener.
    auto listener =
        RedirectListener::Open(io.get_executor(), static_cast<uint16_t>(flags.oauth_port));
    if (!listener.ok()) {
      std::fprintf(stderr, "bedrock-mcp mcp: %s\n", listener.error().message().c_str());
      return kExitUsage;
    }
    mcp::OAuthOptions oauth;
    oauth.redirect_uri = (*listener)->redirect_uri();
    oauth.client_name = "bedrock-mcp";
    oauth.client_id = config.oauth_client_id;
    oauth.client_secret = config.oauth_client_secret;
    oauth.scope = config.oauth_scope;
    oauth.authorize = (*listener)->Authorizer(timeout);
    oauth.peer_name = "server '" + config.name + "'";
    config.auth = mcp::CreateOAuthClient(*http_client, config.url, std::move(oauth));
  }
  auto run = [&]() -> mcp::Awaitable<void> {
    mcp::ClientOptions options;
    options.initialize_timeout = timeout;
    options.request_timeout = timeout;
    if (!flags.elicitation.empty()) options.on_elicitation = Elicitation(flags.elicitation);
    if (!flags.roots.empty()) {
      json::array roots;
      for (const auto& uri : flags.roots) roots.push_back(json::object{{"uri", uri}});
      options.on_roots = [roots](json::value, mcp::RequestContext&) -> mcp::Awaitable<mcp::Reply> {
        json::object reply;
        reply["roots"] = roots;
        co_return json::value(std::move(reply));
      };
    }
    auto client = co_await mcp::ConnectMcpServer(
        io.get_executor(), config, *http_client,
        mcp::Implementation("bedrock-mcp", kBedrockVersion), std::move(options));
    if (!client.ok()) {
      std::fprintf(stderr, "bedrock-mcp mcp: cannot connect to server '%s': %s\n",
                   config.name.c_str(), client.error().message().c_str());
      co_return;
    }
    exit_code = co_await body(**client);
    co_await (*client)->Close();
  };
  asio::co_spawn(io, run(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  io.run();
  return exit_code;
}

// A failed request: a JSON-RPC error from the server is exit 1; losing the connection, a timeout
// or a malformed answer is exit 2.
int ReportFailure(std::string_view what, const core::Error& error) {
  std::fprintf(stderr, "bedrock-mcp mcp: %.*s failed: %s\n", static_cast<int>(what.size()),
               what.data(), error.message().c_str());
  switch (error.code()) {
    case core::ErrorCode::kUnavailable:
    case core::ErrorCode::kDeadlineExceeded:
    case core::ErrorCode::kCancelled:
    case core::ErrorCode::kUnauthenticated:
    case core::ErrorCode::kPayloadTooLarge:
      return kExitUsage;
    default:
      return kExitServerError;
  }
}

int ListTools(const McpFlags& flags, const core::Env& env) {
  return RunWithClient(flags, env, [&](mcp::Client& client) -> mcp::Awaitable<int> {
    auto tools = co_await client.ListTools();
    if (!tools.ok()) co_return ReportFailure("tools/list", tools.error());
    if (flags.json) {
      Print(stdout, json::serialize(*tools));
      co_return 0;
    }
    for (const auto& tool : *tools) {
      const json::object* t = tool.if_object();
      if (t == nullptr) continue;
      std::string description = OneLine(StringField(*t, "description"));
      Print(stdout, description.empty() ? StringField(*t, "name")
                                        : StringField(*t, "name") + "\t" + description);
    }
    co_return 0;
  });
}

int CallTool(const McpFlags& flags, const core::Env& env) {
  if (flags.tool.empty()) {
    std::fprintf(stderr, "bedrock-mcp mcp call: name the tool to call\n");
    return kExitUsage;
  }
  auto arguments = ParseArguments(flags.arguments, "the tool arguments");
  if (!arguments.ok()) {
    std::fprintf(stderr, "bedrock-mcp mcp call: %s\n", arguments.error().message().c_str());
    return kExitUsage;
  }
  return RunWithClient(flags, env, [&](mcp::Client& client) -> mcp::Awaitable<int> {
    auto result = co_await client.CallTool(flags.tool, *arguments);
    if (!result.ok()) co_return ReportFailure("tools/call " + flags.tool, result.error());
    bool is_error = result->is_error;
    if (flags.json) {
      Print(is_error ? stderr : stdout, json::serialize(std::move(*result).ToJson()));
      co_return is_error ? kExitServerError : 0;
    }
    std::FILE* out = is_error ? stderr : stdout;
    for (const auto& block : result->content) PrintContentBlock(out, block);
    if (!result->structured_content.is_null() && !HasText(result->content)) {
      Print(out, json::serialize(result->structured_content));
    }
    if (is_error && result->content.empty()) {
      std::fprintf(stderr, "bedrock-mcp mcp: tool '%s' reported an error\n", flags.tool.c_str());
    }
    co_return is_error ? kExitServerError : 0;
  });
}

int ReadResource(const McpFlags& flags, const core::Env& env) {
  if (flags.uri.empty()) {
    std::fprintf(stderr, "bedrock-mcp mcp read: name the resource URI to read\n");
    return kExitUsage;
  }
  return RunWithClient(flags, env, [&](mcp::Client& client) -> mcp::Awaitable<int> {
    auto contents = co_await client.ReadResource(flags.uri);
    if (!contents.ok()) co_return ReportFailure("resources/read " + flags.uri, contents.error());
    if (flags.json) {
      Print(stdout, json::serialize(*contents));
      co_return 0;
    }
    for (const auto& item : *contents) {
      const json::object* c = item.if_object();
      if (c == nullptr) continue;
      if (c->contains("text")) {
        Print(stdout, StringField(*c, "text"));
      } else {
        std::string mime = StringField(*c, "mimeType");
        Print(stdout, fmt::format("[blob: {}{}, {} bytes; --json shows the base64 data]",
                                  StringField(*c, "uri"), mime.empty() ? "" : ", " + mime,
                                  Base64Bytes(StringField(*c, "blob"))));
      }
    }
    co_return 0;
  });
}

int Prompts(const McpFlags& flags, const core::Env& env) {
  auto arguments = ParseArguments(flags.arguments, "the prompt arguments");
  if (!arguments.ok()) {
    std::fprintf(stderr, "bedrock-mcp mcp prompts: %s\n", arguments.error().message().c_str());
    return kExitUsage;
  }
  std::map<std::string, std::string> prompt_arguments;
  for (const auto& [key, value] : *arguments) {
    prompt_arguments[std::string(key)] =
        value.is_string() ? std::string(value.get_string()) : json::serialize(value);
  }
  return RunWithClient(flags, env, [&](mcp::Client& client) -> mcp::Awaitable<int> {
    if (flags.prompt.empty()) {
      auto prompts = co_await client.ListPrompts();
      if (!prompts.ok()) co_return ReportFailure("prompts/list", prompts.error());
      if (flags.json) {
        Print(stdout, json::serialize(*prompts));
        co_return 0;
      }
      for (const auto& prompt : *prompts) {
        const json::object* p = prompt.if_object();
        if (p == nullptr) continue;
        std::string line = StringField(*p, "name");
        if (std::string d = OneLine(StringField(*p, "description")); !d.empty()) line += "\t" + d;
        std::vector<std::string> args;
        if (const json::value* a = p->if_contains("arguments"); a && a->is_array()) {
          for (const auto& arg : a->get_array()) {
            if (!arg.is_object()) continue;
            const json::value* required = arg.get_object().if_contains("required");
            args.push_back(StringField(arg.get_object(), "name") +
                           (required && required->is_bool() && required->get_bool() ? "*" : ""));
          }
        }
        if (!args.empty())
          line += fmt::format("\t(arguments: {}; * required)", fmt::join(args, ", "));
        Print(stdout, line);
      }
      co_return 0;
    }
    auto result = co_await client.GetPrompt(flags.prompt, prompt_arguments);
    if (!result.ok()) co_return ReportFailure("prompts/get " + flags.prompt, result.error());
    if (flags.json) {
      Print(stdout, json::serialize(*result));
      co_return 0;
    }
    if (std::string d = StringField(*result, "description"); !d.empty()) Print(stdout, "# " + d);
    if (const json::value* messages = result->if_contains("messages");
        messages && messages->is_array()) {
      for (const auto& message : messages->get_array()) {
        const json::object* m = message.if_object();
        if (m == nullptr) continue;
        std::fprintf(stdout, "[%s] ", StringField(*m, "role").c_str());
        if (const json::value* content = m->if_contains("content")) {
          PrintContentBlock(stdout, *content);
        } else {
          Print(stdout, "");
        }
      }
    }
    co_return 0;
  });
}

// The skills extension (SEP-2640): lists the skills, one a line, or prints one skill's SKILL.md
// once it matches the skill's entry (size, digest, frontmatter). Only SKILL.md is read: the
// skill's other files are read when needed (`read`), as the extension asks of hosts.
int Skills(const McpFlags& flags, const core::Env& env) {
  return RunWithClient(flags, env, [&](mcp::Client& client) -> mcp::Awaitable<int> {
    if (flags.uri.empty()) {
      auto skills = co_await client.ListSkills();
      if (!skills.ok()) co_return ReportFailure("skills/list", skills.error());
      if (flags.json) {
        Print(stdout, json::serialize(*skills));
        co_return 0;
      }
      for (const auto& skill : *skills) {
        const json::object* s = skill.if_object();
        const json::value* frontmatter = s ? s->if_contains("frontmatter") : nullptr;
        if (frontmatter == nullptr || !frontmatter->is_object()) continue;
        std::string line =
            OneLine(StringField(frontmatter->get_object(), "name")) + "\t" + StringField(*s, "uri");
        std::string description = OneLine(StringField(frontmatter->get_object(), "description"));
        Print(stdout, description.empty() ? line : line + "\t" + description);
      }
      co_return 0;
    }
    auto entry = co_await client.GetSkill(flags.uri);
    if (!entry.ok()) co_return ReportFailure("skills/get " + flags.uri, entry.error());
    if (flags.json) {
      Print(stdout, json::serialize(*entry));
      co_return 0;
    }
    // The entry narrowed to SKILL.md: LoadSkill reads and checks that file alone.
    json::object skill_md = *entry;
    if (json::value* resources = skill_md.if_contains("resources");
        resources && resources->is_array()) {
      json::array only;
      for (const auto& r : resources->get_array()) {
        if (r.is_object() && StringField(r.get_object(), "uri") == flags.uri) only.push_back(r);
      }
      *resources = std::move(only);
    }
    auto files = co_await client.LoadSkill(std::move(skill_md));
    if (!files.ok()) co_return ReportFailure("loading skill " + flags.uri, files.error());
    Print(stdout, files->front().second);
    co_return 0;
  });
}

void AddServerOptions(CLI::App* sub, McpFlags& flags) {
  sub->add_option("--config", flags.config, "mcpServers JSON file")->type_name("FILE");
  sub->add_option("--server", flags.server, "The entry of the file to connect to")
      ->type_name("NAME");
  sub->add_option("--timeout", flags.timeout_seconds,
                  "Seconds to wait for initialize and for each request (default 60)")
      ->type_name("SECONDS");
  sub->add_flag("--json", flags.json, "Print the raw JSON result");
  sub->add_option("--oauth-port", flags.oauth_port,
                  "Loopback port for the OAuth authorization redirect (default: any free port)")
      ->type_name("PORT")
      ->check(CLI::Range(0, 65535));
  sub->add_option("--elicitation", flags.elicitation,
                  "Answer the server's elicitation requests: accept (with the schema's defaults) "
                  "or decline (default: elicitation is not offered)")
      ->check(CLI::IsMember({"accept", "decline"}));
  sub->add_option("--root", flags.roots, "A root (file:// URI) offered to the server; repeatable")
      ->type_name("URI");
  sub->fallthrough();
}

}  // namespace

Command AddMcpCommand(CLI::App& app) {
  auto flags = std::make_shared<McpFlags>();
  auto* command = app.add_subcommand(
      "mcp",
      "Inspect MCP servers (list-tools, call, read, prompts, skills) and run the conformance "
      "client");
  command->require_subcommand(1);
  command->fallthrough();

  auto* list_tools = command->add_subcommand("list-tools", "List the server's tools, one a line");
  AddServerOptions(list_tools, *flags);

  auto* call = command->add_subcommand("call", "Call a tool and print its result");
  AddServerOptions(call, *flags);
  call->add_option("tool", flags->tool, "Tool name");
  call->add_option("arguments", flags->arguments, "Tool arguments as a JSON object (default {})");

  auto* read = command->add_subcommand("read", "Read a resource and print its contents");
  AddServerOptions(read, *flags);
  read->add_option("uri", flags->uri, "Resource URI");

  auto* prompts =
      command->add_subcommand("prompts", "List the prompts, or get one with its arguments");
  AddServerOptions(prompts, *flags);
  prompts->add_option("prompt", flags->prompt, "Prompt to get (omit to list)");
  prompts->add_option("arguments", flags->arguments, "Prompt arguments as a JSON object");

  auto* skills = command->add_subcommand(
      "skills", "List the server's skills, one a line, or print one skill's verified SKILL.md");
  AddServerOptions(skills, *flags);
  skills->add_option("uri", flags->uri, "The skill's SKILL.md URI (omit to list)");

  auto* conformance = command->add_subcommand(
      "conformance-client",
      "The client the MCP conformance suite drives (reads MCP_CONFORMANCE_SCENARIO and "
      "MCP_CONFORMANCE_CONTEXT)");
  conformance->add_option("server-url", flags->url, "The scenario's server URL");
  conformance->fallthrough();

  return {command, [=](const CommandContext& context) {
            if (list_tools->parsed()) return ListTools(*flags, context.env);
            if (call->parsed()) return CallTool(*flags, context.env);
            if (read->parsed()) return ReadResource(*flags, context.env);
            if (prompts->parsed()) return Prompts(*flags, context.env);
            if (skills->parsed()) return Skills(*flags, context.env);
            if (conformance->parsed()) return RunConformanceClient(flags->url, context.env);
            return kExitUsage;
          }};
}

}  // namespace bedrock::app

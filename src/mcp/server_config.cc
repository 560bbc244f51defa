#include "mcp/server_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>

#include "mcp/sse_client.h"
#include "mcp/streamable_http_client.h"

namespace bedrock::mcp {
namespace {

bool LastPathSegmentIsSse(std::string_view url) {
  auto scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("?#"));
  auto slash = rest.find('/');
  if (slash == std::string_view::npos) return false;
  std::string_view path = rest.substr(slash);
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  auto last = path.rfind('/');
  return path.substr(last + 1) == "sse";
}

core::Result<std::map<std::string, std::string>> StringMap(const core::ConfigNode& node) {
  std::map<std::string, std::string> out;
  BEDROCK_TRY(node.ExpectObject());
  for (const auto& member : node.Members()) {
    auto value = member.AsString();
    if (!value.ok()) return value.error();
    out[member.key()] = *value;
  }
  return out;
}

}  // namespace

core::Result<McpServerConfig> ParseMcpServerEntry(const core::ConfigNode& node) {
  return ParseMcpServerEntry(node, {});
}

core::Result<McpServerConfig> ParseMcpServerEntry(const core::ConfigNode& node,
                                                  std::span<const std::string_view> extra_keys) {
  // FindUnknownKeys reports, in member order, each member outside the standard keys; the first
  // one that is not one of the caller's extra keys is the error.
  BEDROCK_TRY(node.ExpectObject());
  auto unknown =
      node.FindUnknownKeys({"command", "args", "env", "cwd", "url", "type", "headers", "token",
                            "description", "status", "disabled", "transport", "oauth"});
  size_t next_unknown = 0;
  for (const auto& member : node.Members()) {
    if (next_unknown == unknown.size()) break;
    if (unknown[next_unknown].message().find(member.Location()) != 0) continue;  // a standard key
    if (std::find(extra_keys.begin(), extra_keys.end(), member.key()) == extra_keys.end()) {
      return std::move(unknown[next_unknown]);
    }
    ++next_unknown;
  }
  McpServerConfig config;
  config.name = node.key();
  config.location = node.Location();
  auto command = BEDROCK_TRY(node.OptionalString("command"));
  auto url = BEDROCK_TRY(node.OptionalString("url"));
  auto type = BEDROCK_TRY(node.OptionalString("type"));
  if (!type) type = BEDROCK_TRY(node.OptionalString("transport"));
  if (auto description = BEDROCK_TRY(node.OptionalString("description"))) {
    config.description = *description;
  }
  if (auto status = BEDROCK_TRY(node.OptionalIntInRange("status", 0, 1))) {
    config.enabled = *status != 0;
  }
  if (auto disabled = BEDROCK_TRY(node.OptionalBool("disabled")); disabled && *disabled) {
    config.enabled = false;
  }

  bool has_command = command && !command->empty();
  bool has_url = url && !url->empty();
  if (has_command && has_url) {
    return node.Fail(
        "has both \"command\" and \"url\": an entry is either a local command or a URL");
  }
  if (!has_command && !has_url) {
    return node.Fail("needs \"command\" (a local server) or \"url\" (a remote one)");
  }
  if (type && *type == "stdio" && !has_command) {
    return BEDROCK_TRY(node.Get("type")).Fail("\"stdio\" needs \"command\"");
  }
  if (has_command) {
    if (type && *type != "stdio") {
      return BEDROCK_TRY(node.Get("type")).Fail(R"(with "command" the type can only be "stdio")");
    }
    for (auto key : {"url", "headers", "token", "oauth"}) {
      if (node.Has(key)) {
        return BEDROCK_TRY(node.Get(key)).Fail("applies to URL servers only, not to \"command\"");
      }
    }
    config.kind = ServerTransportKind::kStdio;
    config.command = *command;
    if (auto args = BEDROCK_TRY(node.OptionalStringArray("args"))) config.args = *args;
    if (auto env = BEDROCK_TRY(node.OptionalObject("env"))) {
      config.env = BEDROCK_TRY(StringMap(*env));
    }
    if (auto cwd = BEDROCK_TRY(node.OptionalString("cwd"))) config.cwd = *cwd;
    return config;
  }

  for (auto key : {"args", "env", "cwd"}) {
    if (node.Has(key)) {
      return BEDROCK_TRY(node.Get(key)).Fail("applies to \"command\" servers only, not to \"url\"");
    }
  }
  if (url->rfind("http://", 0) != 0 && url->rfind("https://", 0) != 0) {
    return BEDROCK_TRY(node.Get("url")).Fail("expected an http:// or https:// URL");
  }
  config.url = *url;
  if (!type) {
    config.kind = LastPathSegmentIsSse(config.url) ? ServerTransportKind::kSse
                                                   : ServerTransportKind::kAutoHttp;
  } else if (*type == "streamable-http" || *type == "http" || *type == "streamableHttp" ||
             *type == "streamable_http") {
    config.kind = ServerTransportKind::kStreamableHttp;
  } else if (*type == "sse") {
    config.kind = ServerTransportKind::kSse;
  } else {
    return BEDROCK_TRY(node.Get("type"))
        .Fail(R"(expected "streamable-http", "http" or "sse" for a URL server)");
  }
  if (auto headers = BEDROCK_TRY(node.OptionalObject("headers"))) {
    for (auto& [name, value] : BEDROCK_TRY(StringMap(*headers))) {
      config.headers.Add(name, value);
    }
  }
  if (auto token = BEDROCK_TRY(node.OptionalString("token"))) config.token = *token;
  if (auto oauth = BEDROCK_TRY(node.OptionalObject("oauth"))) {
    BEDROCK_TRY(oauth->ExpectObject());
    auto unknown_oauth = oauth->FindUnknownKeys({"client_id", "client_secret", "scope"});
    if (!unknown_oauth.empty()) return std::move(unknown_oauth.front());
    if (auto v = BEDROCK_TRY(oauth->OptionalString("client_id"))) config.oauth_client_id = *v;
    if (auto v = BEDROCK_TRY(oauth->OptionalString("client_secret"))) {
      config.oauth_client_secret = *v;
    }
    if (auto v = BEDROCK_TRY(oauth->OptionalString("scope"))) config.oauth_scope = *v;
  }
  return config;
}

core::Result<std::vector<McpServerConfig>> ParseMcpServers(const core::ConfigNode& node) {
  core::ConfigNode servers = node;
  if (auto wrapped = node.Find("mcpServers")) servers = *wrapped;
  BEDROCK_TRY(servers.ExpectObject());
  std::vector<McpServerConfig> out;
  for (const auto& member : servers.Members()) {
    out.push_back(BEDROCK_TRY(ParseMcpServerEntry(member)));
  }
  return out;
}

namespace {

Awaitable<core::Result<std::shared_ptr<Client>>> ConnectStreamable(
    boost::asio::any_io_executor executor, const McpServerConfig& config, http::Client http_client,
    Implementation client_info, ClientOptions options) {
  StreamableHttpClientOptions transport_options;
  transport_options.url = config.url;
  transport_options.headers = config.headers;
  transport_options.bearer_token = config.token;
  transport_options.auth = config.auth;
  transport_options.peer_name = "server '" + config.name + "'";
  auto transport = StreamableHttpClientTransport::Create(executor, std::move(http_client),
                                                         std::move(transport_options));
  co_return co_await Client::Connect(transport, std::move(client_info), std::move(options));
}

Awaitable<core::Result<std::shared_ptr<Client>>> ConnectSse(boost::asio::any_io_executor executor,
                                                            const McpServerConfig& config,
                                                            http::Client http_client,
                                                            Implementation client_info,
                                                            ClientOptions options) {
  SseClientOptions transport_options;
  transport_options.url = config.url;
  transport_options.headers = config.headers;
  transport_options.bearer_token = config.token;
  transport_options.peer_name = "server '" + config.name + "'";
  auto transport =
      co_await ConnectSseTransport(executor, std::move(http_client), std::move(transport_options));
  if (!transport.ok()) co_return transport.error();
  co_return co_await Client::Connect(*transport, std::move(client_info), std::move(options));
}

// What a 4xx other than 401/403 maps to: the server may be a 2024-11-05 HTTP+SSE one.
bool MayBeLegacyServer(const core::Error& error) {
  switch (error.code()) {
    case core::ErrorCode::kNotFound:
    case core::ErrorCode::kInvalidArgument:
    case core::ErrorCode::kUnimplemented:
    case core::ErrorCode::kFailedPrecondition:
    case core::ErrorCode::kAborted:
      return true;
    default:
      return false;
  }
}

// The era of each server this process connected to (the spec's "cache the result for the
// lifetime of the server process or origin"): the legacy revision a server negotiated, so that
// reconnecting (a restart, another CLI call in this process, another gateway user) skips the
// server/discover probe a legacy server may leave unanswered until discover_timeout. Modern
// servers are not recorded: their probe is answered at once. Keyed by what identifies the server:
// the command line, or the URL.
class EraCache {
 public:
  static std::string Key(const McpServerConfig& config) {
    if (config.kind == ServerTransportKind::kStdio) {
      return fmt::format("stdio\n{}\n{}\n{}", config.command, fmt::join(config.args, "\n"),
                         config.cwd);
    }
    return "url\n" + config.url;
  }
  std::string Legacy(const std::string& key) {
    std::lock_guard lock(mutex_);
    auto it = legacy_.find(key);
    return it == legacy_.end() ? std::string() : it->second;
  }
  void Record(const std::string& key, const Client& client) {
    std::lock_guard lock(mutex_);
    if (client.modern()) {
      legacy_.erase(key);
    } else {
      legacy_[key] = client.protocol_version();
    }
  }
  void Forget(const std::string& key) {
    std::lock_guard lock(mutex_);
    legacy_.erase(key);
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::string> legacy_;
};

EraCache& Eras() {
  static EraCache* eras = new EraCache();  // never destroyed: used until exit
  return *eras;
}

Awaitable<core::Result<std::shared_ptr<Client>>> ConnectByKind(
    boost::asio::any_io_executor executor, const McpServerConfig& config, http::Client http_client,
    Implementation client_info, ClientOptions options) {
  switch (config.kind) {
    case ServerTransportKind::kStdio: {
      StdioServerParams params;
      params.name = config.name;
      params.command = config.command;
      params.args = config.args;
      params.env = config.env;
      params.cwd = config.cwd;
      auto transport = SpawnStdioServer(executor, std::move(params));
      if (!transport.ok()) co_return transport.error();
      co_return co_await Client::Connect(*transport, std::move(client_info), std::move(options));
    }
    case ServerTransportKind::kStreamableHttp:
      co_return co_await ConnectStreamable(executor, config, std::move(http_client),
                                           std::move(client_info), std::move(options));
    case ServerTransportKind::kAutoHttp: {
      ClientOptions legacy_options = options;
      auto client = co_await ConnectStreamable(executor, config, http_client, client_info,
                                               std::move(options));
      if (client.ok() || !MayBeLegacyServer(client.error())) co_return client;
      auto legacy = co_await ConnectSse(executor, config, std::move(http_client),
                                        std::move(client_info), std::move(legacy_options));
      if (legacy.ok()) co_return legacy;
      co_return core::Error(client.error().code(),
                            fmt::format("{} (and as an HTTP+SSE server: {})",
                                        client.error().message(), legacy.error().message()));
    }
    case ServerTransportKind::kSse:
      co_return co_await ConnectSse(executor, config, std::move(http_client),
                                    std::move(client_info), std::move(options));
  }
  co_return core::Error::Internal("unknown transport kind");
}

}  // namespace

Awaitable<core::Result<std::shared_ptr<Client>>> ConnectMcpServer(
    boost::asio::any_io_executor executor, McpServerConfig config, http::Client http_client,
    Implementation client_info, ClientOptions options) {
  if (options.peer_name == "server") options.peer_name = "server '" + config.name + "'";
  if (!options.protocol_version.empty()) {
    co_return co_await ConnectByKind(executor, config, std::move(http_client),
                                     std::move(client_info), std::move(options));
  }
  const std::string key = EraCache::Key(config);
  if (std::string legacy = Eras().Legacy(key); !legacy.empty()) {
    ClientOptions pinned = options;
    pinned.protocol_version = legacy;
    auto client =
        co_await ConnectByKind(executor, config, http_client, client_info, std::move(pinned));
    if (client.ok()) co_return client;
    Eras().Forget(key);  // the server may have been upgraded: probe again
  }
  auto client = co_await ConnectByKind(executor, config, std::move(http_client),
                                       std::move(client_info), std::move(options));
  if (client.ok()) Eras().Record(key, **client);
  co_return client;
}

}  // namespace bedrock::mcp

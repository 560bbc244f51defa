#include "bridge/server_selection.h"

#include <fmt/format.h>

#include <boost/json/serialize.hpp>
#include <vector>

#include "core/config.h"

namespace bedrock::bridge {
namespace {

namespace json = boost::json;

void Indent(std::string& out, int depth) { out.append(static_cast<size_t>(depth) * 2, ' '); }

void Write(std::string& out, const json::value& v, int depth) {
  if (v.is_object()) {
    const json::object& o = v.get_object();
    if (o.empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    bool first = true;
    for (const auto& [key, value] : o) {
      if (!first) out += ",\n";
      first = false;
      Indent(out, depth + 1);
      out += json::serialize(json::string(key));
      out += ": ";
      Write(out, value, depth + 1);
    }
    out += '\n';
    Indent(out, depth);
    out += '}';
  } else if (v.is_array()) {
    const json::array& a = v.get_array();
    if (a.empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    for (size_t i = 0; i < a.size(); ++i) {
      if (i > 0) out += ",\n";
      Indent(out, depth + 1);
      Write(out, a[i], depth + 1);
    }
    out += '\n';
    Indent(out, depth);
    out += ']';
  } else {
    out += json::serialize(v);
  }
}

}  // namespace

core::Result<mcp::McpServerConfig> LoadMcpServer(const std::string& path, const std::string& name,
                                                 const core::Env& env) {
  core::JsonDocumentOptions options;
  options.env = &env;
  auto document = core::LoadJsonFile(path, options);
  if (!document.ok()) return std::move(document).error();
  auto servers = mcp::ParseMcpServers(document->Root());
  if (!servers.ok()) return std::move(servers).error();
  std::vector<std::string> names;
  for (auto& server : *servers) {
    if (server.name == name) {
      if (!server.enabled) {
        return core::Error::NotFound("server '{}' in {} is disabled", name, path);
      }
      return std::move(server);
    }
    names.push_back(server.name);
  }
  return core::Error::NotFound(
      "{} has no server '{}' (it has: {})", path, name,
      names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", ")));
}

std::string PrettyJson(const json::value& value) {
  std::string out;
  Write(out, value, 0);
  out += '\n';
  return out;
}

}  // namespace bedrock::bridge

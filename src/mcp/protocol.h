// The Model Context Protocol's names and numbers: revisions, method and notification names, HTTP
// header names and JSON-RPC error codes, as the schemas of every supported revision define them
// (modelcontextprotocol/modelcontextprotocol, schema/<revision>/schema.ts).
//
//   std::string_view v = mcp::NegotiateServerVersion(client_requested);      // server side
//   if (!mcp::IsSupportedVersion(server_answered)) ...                       // client side
//
// Constants only: including this header costs nothing. Thread-safety: everything is immutable.
#pragma once

#include <array>
#include <string_view>

namespace bedrock::mcp {

// --- Protocol revisions, newest first. ---
// 2026-07-28 is the first "modern" revision: no initialize handshake, no sessions; every request
// carries its revision, client info and capabilities in `_meta` (see IsModernVersion).
inline constexpr std::string_view kVersion2026_07_28 = "2026-07-28";
inline constexpr std::string_view kVersion2025_11_25 = "2025-11-25";
inline constexpr std::string_view kVersion2025_06_18 = "2025-06-18";
inline constexpr std::string_view kVersion2025_03_26 = "2025-03-26";
inline constexpr std::string_view kVersion2024_11_05 = "2024-11-05";
// The newest revision negotiated with initialize (what a legacy handshake asks for).
inline constexpr std::string_view kLatestVersion = kVersion2025_11_25;
inline constexpr std::string_view kLatestModernVersion = kVersion2026_07_28;

// The revisions negotiated with initialize.
inline constexpr std::array<std::string_view, 4> kSupportedVersions = {
    kVersion2025_11_25, kVersion2025_06_18, kVersion2025_03_26, kVersion2024_11_05};
// The revisions spoken statelessly, with per-request `_meta`.
inline constexpr std::array<std::string_view, 1> kSupportedModernVersions = {kVersion2026_07_28};

// Revisions are dates, so they compare as strings; these name the features that changed.
constexpr bool IsSupportedVersion(std::string_view version) {
  for (auto v : kSupportedVersions) {
    if (v == version) return true;
  }
  return false;
}
constexpr bool IsSupportedModernVersion(std::string_view version) {
  for (auto v : kSupportedModernVersions) {
    if (v == version) return true;
  }
  return false;
}
// Stateless revisions (2026-07-28 and later): server/discover instead of initialize, `_meta` on
// every request, multi-round-trip requests, cacheable results, subscriptions/listen.
constexpr bool IsModernVersion(std::string_view version) { return version >= kVersion2026_07_28; }
// JSON-RPC batches: added in 2025-03-26, removed again in 2025-06-18.
constexpr bool AllowsBatches(std::string_view version) { return version == kVersion2025_03_26; }
// Tool annotations, audio content, the completions capability, progress `message`.
constexpr bool Has2025_03_26Features(std::string_view version) {
  return version >= kVersion2025_03_26;
}
// `title`, outputSchema/structuredContent, resource_link content, elicitation, the
// MCP-Protocol-Version header.
constexpr bool Has2025_06_18Features(std::string_view version) {
  return version >= kVersion2025_06_18;
}
// Icons, URL elicitation, tool `execution`, sampling with tools, tasks.
constexpr bool Has2025_11_25Features(std::string_view version) {
  return version >= kVersion2025_11_25;
}

// Server side of negotiation: answer the client's revision when we support it, else our latest
// (the client then decides whether it can talk that one).
constexpr std::string_view NegotiateServerVersion(std::string_view requested) {
  return IsSupportedVersion(requested) ? requested : kLatestVersion;
}

// --- JSON-RPC. ---
inline constexpr std::string_view kJsonRpcVersion = "2.0";

// Error codes. The standard JSON-RPC 2.0 ones, then MCP's implementation-defined ones.
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kConnectionClosed = -32000;        // as the reference SDKs use it
inline constexpr int kRequestTimeout = -32001;          // as the reference SDKs use it
inline constexpr int kResourceNotFound = -32002;        // resources/read of an unknown URI
inline constexpr int kUrlElicitationRequired = -32042;  // 2025-11-25
// 2026-07-28: the range -32020..-32099 is reserved for the MCP specification.
inline constexpr int kHeaderMismatch = -32020;
inline constexpr int kMissingRequiredClientCapability = -32021;
inline constexpr int kUnsupportedProtocolVersion = -32022;
// An error only a modern (2026-07-28+) server sends: its presence identifies the server's era.
constexpr bool IsModernErrorCode(int code) { return code <= -32020 && code >= -32099; }

// --- Methods (requests). ---
namespace method {
inline constexpr std::string_view kInitialize = "initialize";
inline constexpr std::string_view kPing = "ping";
inline constexpr std::string_view kToolsList = "tools/list";
inline constexpr std::string_view kToolsCall = "tools/call";
inline constexpr std::string_view kResourcesList = "resources/list";
inline constexpr std::string_view kResourcesTemplatesList = "resources/templates/list";
inline constexpr std::string_view kResourcesRead = "resources/read";
inline constexpr std::string_view kResourcesSubscribe = "resources/subscribe";
inline constexpr std::string_view kResourcesUnsubscribe = "resources/unsubscribe";
inline constexpr std::string_view kPromptsList = "prompts/list";
inline constexpr std::string_view kPromptsGet = "prompts/get";
inline constexpr std::string_view kCompletionComplete = "completion/complete";
inline constexpr std::string_view kLoggingSetLevel = "logging/setLevel";
// Server to client.
inline constexpr std::string_view kSamplingCreateMessage = "sampling/createMessage";
inline constexpr std::string_view kElicitationCreate = "elicitation/create";
inline constexpr std::string_view kRootsList = "roots/list";
// Tasks (2025-11-25, experimental; tasks/result and tasks/list are gone from the 2026-07-28
// extension, which adds tasks/update).
inline constexpr std::string_view kTasksGet = "tasks/get";
inline constexpr std::string_view kTasksResult = "tasks/result";
inline constexpr std::string_view kTasksCancel = "tasks/cancel";
inline constexpr std::string_view kTasksList = "tasks/list";
inline constexpr std::string_view kTasksUpdate = "tasks/update";
// The skills extension (SEP-2640).
inline constexpr std::string_view kSkillsList = "skills/list";
inline constexpr std::string_view kSkillsGet = "skills/get";
inline constexpr std::string_view kResourcesDirectoryRead = "resources/directory/read";
// 2026-07-28.
inline constexpr std::string_view kServerDiscover = "server/discover";
inline constexpr std::string_view kSubscriptionsListen = "subscriptions/listen";
}  // namespace method

// --- Notifications. ---
namespace notification {
inline constexpr std::string_view kInitialized = "notifications/initialized";
inline constexpr std::string_view kCancelled = "notifications/cancelled";
inline constexpr std::string_view kProgress = "notifications/progress";
inline constexpr std::string_view kMessage = "notifications/message";
inline constexpr std::string_view kResourcesUpdated = "notifications/resources/updated";
inline constexpr std::string_view kResourcesListChanged = "notifications/resources/list_changed";
inline constexpr std::string_view kToolsListChanged = "notifications/tools/list_changed";
inline constexpr std::string_view kPromptsListChanged = "notifications/prompts/list_changed";
inline constexpr std::string_view kRootsListChanged = "notifications/roots/list_changed";
inline constexpr std::string_view kElicitationComplete = "notifications/elicitation/complete";
inline constexpr std::string_view kTasksStatus = "notifications/tasks/status";
// 2026-07-28: the first message on a subscriptions/listen stream.
inline constexpr std::string_view kSubscriptionsAcknowledged =
    "notifications/subscriptions/acknowledged";
}  // namespace notification

// --- HTTP transport headers (names compare case-insensitively). ---
namespace header {
inline constexpr std::string_view kSessionId = "Mcp-Session-Id";
inline constexpr std::string_view kProtocolVersion = "MCP-Protocol-Version";
inline constexpr std::string_view kLastEventId = "Last-Event-ID";
// 2026-07-28 (SEP-2243): body fields mirrored into headers for intermediaries.
inline constexpr std::string_view kMethod = "Mcp-Method";
inline constexpr std::string_view kName = "Mcp-Name";
inline constexpr std::string_view kParamPrefix = "Mcp-Param-";
}  // namespace header

// --- Logging levels (RFC 5424 severities), least severe first. ---
inline constexpr std::array<std::string_view, 8> kLoggingLevels = {
    "debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"};

// The level's severity index in kLoggingLevels, or -1 for an unknown name.
constexpr int LoggingLevelIndex(std::string_view level) {
  for (size_t i = 0; i < kLoggingLevels.size(); ++i) {
    if (kLoggingLevels[i] == level) return static_cast<int>(i);
  }
  return -1;
}

// The `_meta` key carrying a request's progress token.
inline constexpr std::string_view kMetaKey = "_meta";
inline constexpr std::string_view kProgressTokenKey = "progressToken";

// --- 2026-07-28: reserved `_meta` keys and result fields. ---
namespace meta {
inline constexpr std::string_view kProtocolVersion = "io.modelcontextprotocol/protocolVersion";
inline constexpr std::string_view kClientInfo = "io.modelcontextprotocol/clientInfo";
inline constexpr std::string_view kClientCapabilities =
    "io.modelcontextprotocol/clientCapabilities";
inline constexpr std::string_view kLogLevel = "io.modelcontextprotocol/logLevel";
inline constexpr std::string_view kSubscriptionId = "io.modelcontextprotocol/subscriptionId";
inline constexpr std::string_view kServerInfo = "io.modelcontextprotocol/serverInfo";
}  // namespace meta
// Result.resultType values (a missing field means complete).
inline constexpr std::string_view kResultTypeKey = "resultType";
inline constexpr std::string_view kResultComplete = "complete";
inline constexpr std::string_view kResultInputRequired = "input_required";
// Multi-round-trip requests (SEP-2322).
inline constexpr std::string_view kInputRequestsKey = "inputRequests";
inline constexpr std::string_view kInputResponsesKey = "inputResponses";
inline constexpr std::string_view kRequestStateKey = "requestState";
// The tasks extension (SEP-2663), negotiated under capabilities.extensions.
inline constexpr std::string_view kTasksExtension = "io.modelcontextprotocol/tasks";
inline constexpr std::string_view kResultTask = "task";
inline constexpr std::string_view kSkillsExtension = "io.modelcontextprotocol/skills";
// Cacheable results (SEP-2549).
inline constexpr std::string_view kTtlMsKey = "ttlMs";
inline constexpr std::string_view kCacheScopeKey = "cacheScope";

}  // namespace bedrock::mcp

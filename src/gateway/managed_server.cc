#include "gateway/managed_server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/log.h"
#include "gateway/blocking.h"
#include "gateway/policy.h"
#include "http/client.h"
#include "mcp/server_config.h"
#include "mcp/stdio_transport.h"

namespace bedrock::gateway {
namespace {

namespace asio = boost::asio;
constexpr std::string_view kComponent = "gateway";
constexpr size_t kStderrTailLines = 20;

int64_t SteadyNanos(core::Clock::SteadyTime t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::atomic<uint64_t> next_server_uid{1};

asio::awaitable<core::Result<std::shared_ptr<mcp::Client>>> ConnectStdio(
    asio::any_io_executor executor, const ServerSpec& spec, StderrSink sink,
    mcp::Implementation info, mcp::ClientOptions client_options) {
  mcp::StdioServerParams params;
  params.name = spec.mcp.name;
  params.command = spec.mcp.command;
  params.args = spec.mcp.args;
  params.env = spec.mcp.env;  // merged over the minimal inherited set, nothing else of ours
  params.cwd = spec.mcp.cwd;
  mcp::StdioOptions stdio;
  stdio.on_stderr_line = [sink = std::move(sink), name = spec.mcp.name](std::string_view line) {
    BEDROCK_LOG_DEBUG("mcp", "server stderr", {{"server", name}, {"line", line}});
    if (sink) sink(line);
  };
  auto transport = mcp::SpawnStdioServer(executor, std::move(params), std::move(stdio));
  if (!transport.ok()) co_return transport.error();
  co_return co_await mcp::Client::Connect(*transport, std::move(info), std::move(client_options));
}

}  // namespace

std::string_view ServerStateName(ServerState state) {
  switch (state) {
    case ServerState::kIdle:
      return "idle";
    case ServerState::kStarting:
      return "starting";
    case ServerState::kRunning:
      return "running";
    case ServerState::kStopping:
      return "stopping";
    case ServerState::kFailed:
      return "failed";
  }
  return "idle";
}

Connector DefaultConnector(DefaultConnectorOptions options) {
  return [options = std::move(options)](
             asio::any_io_executor executor, const ServerSpec& spec,
             ServerHooks hooks) -> asio::awaitable<core::Result<std::shared_ptr<mcp::Client>>> {
    mcp::Implementation info(options.client_name, options.client_version);
    mcp::ClientOptions client_options;
    client_options.on_tools_list_changed = std::move(hooks.tools_changed);
    StderrSink sink = std::move(hooks.stderr_line);
    client_options.initialize_timeout = spec.connect_timeout;
    client_options.request_timeout = spec.call_timeout;
    client_options.peer_name = "server '" + spec.mcp.name + "'";
    if (spec.mcp.kind == mcp::ServerTransportKind::kStdio) {
      co_return co_await ConnectStdio(executor, spec, std::move(sink), std::move(info),
                                      std::move(client_options));
    }
    http::ClientOptions http_options;
    http_options.connect_timeout = spec.connect_timeout;
    http_options.request_timeout = spec.call_timeout;
    http_options.stream_idle_timeout = std::chrono::milliseconds(0);  // GET streams may be quiet
    if (!spec.global()) {
      // A user's URL: checked again here (DNS may have changed since it was added) and the
      // connection pinned to the address that was checked.
      BEDROCK_CO_TRY(CheckServerAllowed(options.policy, spec.mcp));
      auto url = http::ParseHttpUrl(spec.mcp.url);
      if (!url.ok()) co_return url.error();
      BEDROCK_CO_TRY_ASSIGN(
          std::string address,
          co_await ResolveAllowed(executor, options.policy, *url, spec.connect_timeout));
      if (!url->host_is_ip) http_options.resolve_overrides[url->host] = address;
    }
    auto client = http::Client::Create(executor, std::move(http_options));
    if (!client.ok()) co_return client.error();
    co_return co_await mcp::ConnectMcpServer(executor, spec.mcp, std::move(*client),
                                             std::move(info), std::move(client_options));
  };
}

// A start or stop in progress. Waiters wait on the timer, which is cancelled when it ends.
struct ManagedServer::Transition {
  explicit Transition(asio::any_io_executor executor)
      : done(executor, asio::steady_timer::time_point::max()) {}
  asio::steady_timer done;
};

// --- ServerLease ---

ServerLease::ServerLease(ServerLease&& other) noexcept
    : server_(std::move(other.server_)), client_(std::move(other.client_)) {}

ServerLease& ServerLease::operator=(ServerLease&& other) noexcept {
  if (this != &other) {
    Release();
    server_ = std::move(other.server_);
    client_ = std::move(other.client_);
  }
  return *this;
}

ServerLease::~ServerLease() { Release(); }

void ServerLease::Release() {
  if (!server_) return;
  server_->Touch();
  server_->leases_.fetch_sub(1);
  server_.reset();
  client_.reset();
}

const ServerSpec& ServerLease::spec() const { return server_->spec(); }

asio::any_io_executor ServerLease::executor() const { return server_->executor(); }

asio::awaitable<core::Result<boost::json::array>> ServerLease::ListTools() const {
  server_->Touch();
  auto work = [client = client_] { return client->ListTools(); };
  co_return co_await RunOn<core::Result<boost::json::array>>(server_->executor(), std::move(work));
}

asio::awaitable<core::Result<ServerLease::SharedTools>> ServerLease::Tools() const {
  if (auto cached = server_->CachedTools(client_.get())) {
    server_->Touch();
    co_return std::move(*cached);
  }
  // Read before listing: a change announced while the list is on its way makes it stale.
  uint64_t generation = server_->tools_generation_.load();
  server_->tool_listings_.fetch_add(1);
  auto listed = co_await ListTools();
  if (!listed.ok()) co_return listed.error();
  SharedTools out;
  out.tools = std::make_shared<const boost::json::array>(std::move(listed).value());
  out.generation = generation;
  server_->StoreTools(client_.get(), generation, out.tools);
  co_return out;
}

uint64_t ServerLease::server_uid() const { return server_->uid(); }

asio::awaitable<core::Result<mcp::CallToolResult>> ServerLease::CallTool(
    std::string name, boost::json::object arguments,
    std::optional<std::chrono::milliseconds> timeout) const {
  server_->Touch();
  mcp::CallOptions options(timeout.value_or(server_->spec().call_timeout));
  auto work = [client = client_, name = std::move(name), arguments = std::move(arguments),
               options = std::move(options)] { return client->CallTool(name, arguments, options); };
  co_return co_await RunOn<core::Result<mcp::CallToolResult>>(server_->executor(), std::move(work));
}

// --- ManagedServer ---

std::shared_ptr<ManagedServer> ManagedServer::Create(ServerSpec spec,
                                                     asio::any_io_executor executor,
                                                     Connector connector, const core::Clock& clock,
                                                     std::chrono::milliseconds restart_backoff) {
  return std::shared_ptr<ManagedServer>(new ManagedServer(
      std::move(spec), std::move(executor), std::move(connector), clock, restart_backoff));
}

ManagedServer::ManagedServer(ServerSpec spec, asio::any_io_executor executor, Connector connector,
                             const core::Clock& clock, std::chrono::milliseconds restart_backoff)
    : spec_(std::move(spec)),
      executor_(std::move(executor)),
      connector_(std::move(connector)),
      clock_(clock),
      restart_backoff_(restart_backoff),
      uid_(next_server_uid.fetch_add(1)) {
  Touch();
}

ManagedServer::~ManagedServer() = default;

void ManagedServer::Touch() { last_used_ns_.store(SteadyNanos(clock_.SteadyNow())); }

core::Clock::SteadyTime ManagedServer::last_used() const {
  return core::Clock::SteadyTime(std::chrono::nanoseconds(last_used_ns_.load()));
}

ServerStatus ManagedServer::status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

void ManagedServer::SetStatus(ServerState state, std::string error) {
  std::lock_guard lock(status_mutex_);
  status_.state = state;
  if (state != ServerState::kRunning && state != ServerState::kStarting) {
    status_.error = std::move(error);
  } else if (state == ServerState::kRunning) {
    status_.error.clear();
  }
}

void ManagedServer::AddStderrLine(std::string_view line) {
  std::lock_guard lock(status_mutex_);
  stderr_tail_.emplace_back(line);
  while (stderr_tail_.size() > kStderrTailLines) stderr_tail_.pop_front();
}

asio::awaitable<core::Result<ServerLease>> ManagedServer::Acquire() {
  // Counted from the start, so the idle sweep leaves a server alone while it is being acquired.
  leases_.fetch_add(1);
  Touch();
  ServerLease lease(shared_from_this(), nullptr);
  auto work = [self = shared_from_this()] { return self->AcquireOnStrand(); };
  auto client =
      co_await RunOn<core::Result<std::shared_ptr<mcp::Client>>>(executor_, std::move(work));
  if (!client.ok()) co_return client.error();  // the lease's destructor gives the count back
  lease.client_ = std::move(*client);
  co_return lease;
}

asio::awaitable<core::Result<std::shared_ptr<mcp::Client>>> ManagedServer::AcquireOnStrand() {
  while (true) {
    if (transition_) {  // someone else is starting or stopping it: wait, then look again
      auto transition = transition_;
      co_await transition->done.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    if (state_ == ServerState::kRunning) {
      if (client_ && !client_->session().closed()) co_return client_;
      // It died since: remember why, then start it again below.
      std::string why = client_ && client_->session().close_reason()
                            ? client_->session().close_reason()->message()
                            : "the connection closed";
      BEDROCK_LOG_WARN(kComponent, "MCP server connection lost; restarting",
                       {{"server", spec_.mcp.name}, {"owner", spec_.owner}, {"error", why}});
      client_.reset();
      state_ = ServerState::kIdle;
      SetStatus(ServerState::kIdle, why);
    }
    if (state_ == ServerState::kFailed && failure_ &&
        clock_.SteadyNow() - failed_at_ < restart_backoff_) {
      co_return *failure_;
    }
    break;
  }

  // Start it; everyone else waits on the transition.
  auto transition = std::make_shared<Transition>(executor_);
  transition_ = transition;
  state_ = ServerState::kStarting;
  SetStatus(ServerState::kStarting, {});
  start_attempts_.fetch_add(1);
  {
    std::lock_guard lock(status_mutex_);
    stderr_tail_.clear();
  }
  std::weak_ptr<ManagedServer> weak = weak_from_this();
  ServerHooks hooks;
  hooks.stderr_line = [weak](std::string_view line) {
    if (auto self = weak.lock()) self->AddStderrLine(line);
  };
  hooks.tools_changed = [weak] {
    if (auto self = weak.lock()) self->tools_generation_.fetch_add(1);
  };
  tools_generation_.fetch_add(1);  // a new client: whatever was cached is another's
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer deadline(executor_, spec_.connect_timeout);
  auto outcome = co_await (connector_(executor_, spec_, std::move(hooks)) ||
                           deadline.async_wait(asio::as_tuple(asio::use_awaitable)));
  core::Result<std::shared_ptr<mcp::Client>> result =
      outcome.index() == 0
          ? std::get<0>(std::move(outcome))
          : core::Result<std::shared_ptr<mcp::Client>>(
                core::Error::DeadlineExceeded("MCP server '{}' did not start within {} ms",
                                              spec_.mcp.name, spec_.connect_timeout.count()));
  if (result.ok()) {
    client_ = *result;
    state_ = ServerState::kRunning;
    failure_.reset();
    SetStatus(ServerState::kRunning, {});
    BEDROCK_LOG_INFO(kComponent, "MCP server started",
                     {{"server", spec_.mcp.name}, {"owner", spec_.owner}});
  } else {
    std::string message = result.error().message();
    {
      std::lock_guard lock(status_mutex_);
      if (!stderr_tail_.empty() && message.find(stderr_tail_.back()) == std::string::npos) {
        message += "; stderr:";
        for (const auto& line : stderr_tail_) message += "\n" + line;
      }
    }
    failure_ = core::Error(result.error().code(), message);
    failed_at_ = clock_.SteadyNow();
    state_ = ServerState::kFailed;
    SetStatus(ServerState::kFailed, message);
    BEDROCK_LOG_WARN(kComponent, "MCP server failed to start",
                     {{"server", spec_.mcp.name}, {"owner", spec_.owner}, {"error", message}});
    result = *failure_;
  }
  transition_.reset();
  transition->done.cancel();
  co_return result;
}

asio::awaitable<void> ManagedServer::Stop() {
  auto work = [self = shared_from_this()]() -> asio::awaitable<bool> {
    co_await self->StopOnStrand();
    co_return true;
  };
  co_await RunOn<bool>(executor_, std::move(work));
}

asio::awaitable<void> ManagedServer::StopOnStrand() {
  while (transition_) {
    auto transition = transition_;
    co_await transition->done.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (!client_) {
    if (state_ != ServerState::kFailed) {
      state_ = ServerState::kIdle;
      SetStatus(ServerState::kIdle, {});
    }
    co_return;
  }
  auto transition = std::make_shared<Transition>(executor_);
  transition_ = transition;
  state_ = ServerState::kStopping;
  SetStatus(ServerState::kStopping, {});
  auto client = std::move(client_);
  co_await client->Close();
  state_ = ServerState::kIdle;
  SetStatus(ServerState::kIdle, {});
  BEDROCK_LOG_INFO(kComponent, "MCP server stopped",
                   {{"server", spec_.mcp.name}, {"owner", spec_.owner}});
  transition_.reset();
  transition->done.cancel();
}

std::optional<ServerLease::SharedTools> ManagedServer::CachedTools(
    const mcp::Client* client) const {
  uint64_t generation = tools_generation_.load();
  std::lock_guard lock(tools_mutex_);
  if (!tools_ || tools_client_ != client || tools_cached_generation_ != generation) {
    return std::nullopt;
  }
  return ServerLease::SharedTools{tools_, generation};
}

void ManagedServer::StoreTools(const mcp::Client* client, uint64_t generation,
                               std::shared_ptr<const boost::json::array> tools) {
  if (generation != tools_generation_.load()) return;  // changed while it was being listed
  std::lock_guard lock(tools_mutex_);
  tools_ = std::move(tools);
  tools_client_ = client;
  tools_cached_generation_ = generation;
}

asio::awaitable<bool> ManagedServer::StopIfIdle(core::Clock::SteadyTime cutoff) {
  auto work = [self = shared_from_this(), cutoff]() -> asio::awaitable<bool> {
    if (self->state_ != ServerState::kRunning || self->transition_ || self->leases_.load() != 0 ||
        self->last_used() >= cutoff) {
      co_return false;
    }
    co_await self->StopOnStrand();
    co_return true;
  };
  co_return co_await RunOn<bool>(executor_, std::move(work));
}

}  // namespace bedrock::gateway

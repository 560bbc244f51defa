#include "gateway/users.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/config.h"
#include "core/log.h"
#include "gateway/blocking.h"

namespace bedrock::gateway {
namespace {

namespace asio = boost::asio;
constexpr std::string_view kComponent = "gateway";

// Completes the waiters of a one-off event (all on one strand).
struct Signal {
  explicit Signal(asio::any_io_executor executor)
      : timer(executor, asio::steady_timer::time_point::max()) {}
  asio::steady_timer timer;
};

int64_t SteadyNanos(core::Clock::SteadyTime t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// A stored server's entry back into a spec, as if it were a config entry named `id`.
core::Result<ServerSpec> SpecFromStored(const store::StoredServer& stored) {
  boost::json::object wrapper;
  boost::system::error_code ec;
  auto entry = boost::json::parse(stored.config_json, ec);
  if (ec || !entry.is_object()) {
    return core::Error::DataLoss("stored server '{}' of user '{}' is not a JSON object",
                                 stored.server_id, stored.user_id);
  }
  wrapper[stored.server_id] = std::move(entry);
  auto document = core::ParseJsonDocument(boost::json::serialize(wrapper),
                                          "stored server '" + stored.server_id + "'");
  if (!document.ok()) return document.error();
  auto members = document->Root().Members();
  auto spec = BEDROCK_TRY(ParseServerSpec(members.at(0)));
  spec.per_user = false;
  spec.owner = stored.user_id;
  if (!stored.description.empty()) spec.mcp.description = stored.description;
  return spec;
}

}  // namespace

// --- UserSession ---

UserSession::UserSession(Private, UserRegistry& registry, std::string user_id)
    : registry_(registry),
      user_id_(std::move(user_id)),
      strand_(asio::make_strand(registry.options_.mcp_executor)) {
  Touch();
}

void UserSession::Touch() { last_active_ns_.store(SteadyNanos(registry_.clock_.SteadyNow())); }

core::Clock::SteadyTime UserSession::last_active() const {
  return core::Clock::SteadyTime(std::chrono::nanoseconds(last_active_ns_.load()));
}

std::shared_ptr<ManagedServer> UserSession::MakeServer(ServerSpec spec) {
  const auto& options = registry_.options_;
  return ManagedServer::Create(std::move(spec), asio::make_strand(options.mcp_executor),
                               options.connector, registry_.clock_,
                               options.config->limits.restart_backoff);
}

asio::awaitable<core::Status> UserSession::EnsureLoaded() {
  auto work = [self = shared_from_this()] { return self->LoadOnStrand(); };
  co_return co_await RunOn<core::Status>(strand_, std::move(work));
}

asio::awaitable<core::Status> UserSession::LoadOnStrand() {
  while (loading_) {  // another request of this user is loading: wait for it
    auto signal = std::static_pointer_cast<Signal>(loading_);
    co_await signal->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (loaded_) co_return core::OkStatus();
  auto signal = std::make_shared<Signal>(strand_);
  loading_ = signal;
  store::Store* store = registry_.options_.store;
  std::string user = user_id_;
  auto work = [store, user] { return store->ListServers(user); };
  auto stored = co_await RunBlocking(registry_.options_.blocking_executor, std::move(work));
  core::Status status;
  if (stored.ok()) {
    std::lock_guard lock(mutex_);
    for (const auto& entry : *stored) {
      auto spec = SpecFromStored(entry);
      if (!spec.ok()) {
        BEDROCK_LOG_WARN(
            kComponent, "skipping a stored MCP server",
            {{"user", user_id_}, {"server", entry.server_id}, {"error", spec.error().message()}});
        continue;
      }
      if (registry_.global_specs_.count(entry.server_id) != 0 || own_.count(entry.server_id)) {
        continue;  // a global server of that id was configured since: it wins, as in the demo
      }
      own_order_.push_back(entry.server_id);
      own_.emplace(entry.server_id, MakeServer(std::move(*spec)));
    }
    loaded_ = true;
  } else {
    status = stored.error().WithContext("loading the user's MCP servers");
  }
  loading_.reset();
  signal->timer.cancel();
  co_return status;
}

std::vector<ServerInfo> UserSession::ListServers() const {
  std::vector<ServerInfo> out;
  std::lock_guard lock(mutex_);
  for (const auto& spec : registry_.options_.config->servers) {
    if (!spec.mcp.enabled) continue;
    ServerInfo info;
    info.id = spec.mcp.name;
    info.name = spec.mcp.description.empty() ? spec.mcp.name : spec.mcp.description;
    info.description = spec.mcp.description;
    info.global = true;
    info.per_user = spec.per_user;
    if (spec.per_user) {
      if (auto found = private_.find(info.id); found != private_.end()) {
        info.status = found->second->status();
      }
    } else if (auto shared = registry_.SharedGlobal(info.id)) {
      info.status = shared->status();
    }
    out.push_back(std::move(info));
  }
  for (const auto& id : own_order_) {
    const auto& server = own_.at(id);
    ServerInfo info;
    info.id = id;
    info.description = server->spec().mcp.description;
    info.name = info.description.empty() || info.description == id ? "User-specific server: " + id
                                                                   : info.description;
    info.global = false;
    info.status = server->status();
    out.push_back(std::move(info));
  }
  return out;
}

std::optional<ServerSpec> UserSession::FindServer(std::string_view server_id) const {
  if (auto global = registry_.global_specs_.find(server_id);
      global != registry_.global_specs_.end()) {
    return *global->second;
  }
  std::lock_guard lock(mutex_);
  if (auto own = own_.find(server_id); own != own_.end()) return own->second->spec();
  return std::nullopt;
}

std::shared_ptr<ManagedServer> UserSession::InstanceFor(std::string_view server_id) {
  if (auto shared = registry_.SharedGlobal(server_id)) return shared;
  std::lock_guard lock(mutex_);
  if (auto own = own_.find(server_id); own != own_.end()) return own->second;
  auto global = registry_.global_specs_.find(server_id);
  if (global == registry_.global_specs_.end()) return nullptr;
  // A per_user global: this user's private instance, made on first use.
  auto& instance = private_[std::string(server_id)];
  if (!instance) {
    ServerSpec spec = *global->second;
    spec.owner = user_id_;
    instance = MakeServer(std::move(spec));
  }
  return instance;
}

std::vector<std::shared_ptr<ManagedServer>> UserSession::OwnedInstances() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<ManagedServer>> out;
  for (const auto& [id, server] : own_) out.push_back(server);
  for (const auto& [id, server] : private_) out.push_back(server);
  return out;
}

asio::awaitable<core::Result<ServerLease>> UserSession::Acquire(std::string server_id) {
  Touch();
  BEDROCK_CO_TRY(co_await EnsureLoaded());
  auto server = InstanceFor(server_id);
  if (!server) co_return core::Error::NotFound("no MCP server '{}' for this user", server_id);
  co_return co_await server->Acquire();
}

asio::awaitable<core::Result<boost::json::array>> UserSession::AddServer(ServerSpec spec,
                                                                         std::string config_json) {
  Touch();
  BEDROCK_CO_TRY(co_await EnsureLoaded());
  auto work = [self = shared_from_this(), spec = std::move(spec),
               config_json = std::move(config_json)]() mutable {
    return self->AddOnStrand(std::move(spec), std::move(config_json));
  };
  co_return co_await RunOn<core::Result<boost::json::array>>(strand_, std::move(work));
}

asio::awaitable<core::Result<boost::json::array>> UserSession::AddOnStrand(
    ServerSpec spec, std::string config_json) {
  const std::string id = spec.mcp.name;
  spec.owner = user_id_;
  spec.per_user = false;
  {
    std::lock_guard lock(mutex_);
    if (registry_.global_specs_.count(id) != 0 || own_.count(id) != 0 || adding_.count(id) != 0) {
      co_return core::Error::AlreadyExists("MCP server id exists for this user!");
    }
    size_t limit = registry_.options_.config->policy.max_servers_per_user;
    if (own_.size() + adding_.size() >= limit) {
      co_return core::Error::ResourceExhausted(
          "this user already has {} MCP servers, the most allowed; remove one first", limit);
    }
  }
  adding_.insert(id);
  auto server = MakeServer(spec);
  auto fail = [&](core::Error error) -> asio::awaitable<core::Result<boost::json::array>> {
    adding_.erase(id);
    co_await server->Stop();
    co_return error;
  };
  auto lease = co_await server->Acquire();
  if (!lease.ok()) co_return co_await fail(lease.error());
  auto tools = co_await lease->ListTools();
  if (!tools.ok()) co_return co_await fail(tools.error());
  store::StoredServer stored;
  stored.user_id = user_id_;
  stored.server_id = id;
  stored.config_json = std::move(config_json);
  stored.description = spec.mcp.description;
  store::Store* store = registry_.options_.store;
  auto work = [store, &stored] { return store->InsertServer(stored); };
  auto inserted = co_await RunBlocking(registry_.options_.blocking_executor, std::move(work));
  if (!inserted.ok()) co_return co_await fail(inserted.error().WithContext("saving the server"));
  if (!*inserted) {
    co_return co_await fail(core::Error::AlreadyExists("MCP server id exists for this user!"));
  }
  {
    std::lock_guard lock(mutex_);
    own_.emplace(id, server);
    own_order_.push_back(id);
  }
  adding_.erase(id);
  BEDROCK_LOG_INFO(kComponent, "MCP server added", {{"user", user_id_}, {"server", id}});
  co_return std::move(*tools);
}

asio::awaitable<core::Status> UserSession::RemoveServer(std::string server_id) {
  Touch();
  BEDROCK_CO_TRY(co_await EnsureLoaded());
  auto work = [self = shared_from_this(), server_id = std::move(server_id)]() mutable {
    return self->RemoveOnStrand(std::move(server_id));
  };
  co_return co_await RunOn<core::Status>(strand_, std::move(work));
}

asio::awaitable<core::Status> UserSession::RemoveOnStrand(std::string server_id) {
  if (registry_.global_specs_.count(server_id) != 0) {
    co_return core::Error::PermissionDenied(
        "MCP server '{}' is configured by the operator for every user and cannot be removed",
        server_id);
  }
  {
    std::lock_guard lock(mutex_);
    if (own_.count(server_id) == 0) {
      co_return core::Error::NotFound("MCP server not found for this user!");
    }
  }
  // The store first: if it fails, nothing changed.
  store::Store* store = registry_.options_.store;
  std::string user = user_id_;
  auto work = [&] { return store->DeleteServer(user, server_id); };
  auto deleted = co_await RunBlocking(registry_.options_.blocking_executor, std::move(work));
  if (!deleted.ok()) co_return deleted.error().WithContext("removing the server");
  std::shared_ptr<ManagedServer> server;
  {
    std::lock_guard lock(mutex_);
    auto found = own_.find(server_id);
    if (found != own_.end()) {
      server = found->second;
      own_.erase(found);
      std::erase(own_order_, server_id);
    }
  }
  if (server) co_await server->Stop();
  BEDROCK_LOG_INFO(kComponent, "MCP server removed", {{"user", user_id_}, {"server", server_id}});
  co_return core::OkStatus();
}

asio::awaitable<core::Result<store::Conversation>> UserSession::LoadHistory(
    std::string conversation_id) {
  Touch();
  store::Store* store = registry_.options_.store;
  auto work = [&] { return store->LoadHistory(user_id_, conversation_id); };
  co_return co_await RunBlocking(registry_.options_.blocking_executor, std::move(work));
}

asio::awaitable<core::Status> UserSession::SaveHistory(std::string conversation_id,
                                                       store::Conversation conversation) {
  Touch();
  store::Store* store = registry_.options_.store;
  auto work = [&] { return store->SaveHistory(user_id_, conversation_id, conversation); };
  co_return co_await RunBlocking(registry_.options_.blocking_executor, std::move(work));
}

asio::awaitable<core::Status> UserSession::AppendHistory(std::string conversation_id,
                                                         std::vector<std::string> messages) {
  Touch();
  store::Store* store = registry_.options_.store;
  auto work = [&] { return store->AppendHistory(user_id_, conversation_id, messages); };
  co_return co_await RunBlocking(registry_.options_.blocking_executor, std::move(work));
}

asio::awaitable<core::Result<int64_t>> UserSession::ClearHistory(
    std::optional<std::string> conversation_id) {
  Touch();
  store::Store* store = registry_.options_.store;
  auto work = [&] {
    return conversation_id ? store->ClearHistory(user_id_, *conversation_id)
                           : store->ClearAllHistory(user_id_);
  };
  co_return co_await RunBlocking(registry_.options_.blocking_executor, std::move(work));
}

// --- UserRegistry ---

UserRegistry::UserRegistry(UserRegistryOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : core::SystemClock::Instance()) {
  for (const auto& spec : options_.config->servers) {
    if (!spec.mcp.enabled) continue;
    global_specs_.emplace(spec.mcp.name, &spec);
    if (!spec.per_user) {
      shared_.emplace(
          spec.mcp.name,
          ManagedServer::Create(spec, asio::make_strand(options_.mcp_executor), options_.connector,
                                clock_, options_.config->limits.restart_backoff));
    }
  }
}

UserRegistry::~UserRegistry() = default;

std::shared_ptr<ManagedServer> UserRegistry::SharedGlobal(std::string_view server_id) const {
  auto found = shared_.find(server_id);
  return found == shared_.end() ? nullptr : found->second;
}

asio::awaitable<core::Result<std::shared_ptr<UserSession>>> UserRegistry::Get(std::string user_id) {
  std::shared_ptr<UserSession> session;
  {
    std::lock_guard lock(mutex_);
    auto& slot = users_[user_id];
    if (!slot) slot = std::make_shared<UserSession>(UserSession::Private{}, *this, user_id);
    session = slot;
  }
  session->Touch();
  BEDROCK_CO_TRY(co_await session->EnsureLoaded());
  co_return session;
}

void UserRegistry::StartGlobals() {
  for (const auto& [id, server] : shared_) {
    asio::co_spawn(
        options_.mcp_executor,
        [server = server]() -> asio::awaitable<void> { (void)co_await server->Acquire(); },
        asio::detached);
  }
}

size_t UserRegistry::user_count() const {
  std::lock_guard lock(mutex_);
  return users_.size();
}

asio::awaitable<size_t> UserRegistry::SweepIdle() {
  const auto cutoff = clock_.SteadyNow() - options_.config->limits.inactive_time;
  std::vector<std::shared_ptr<UserSession>> users;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, user] : users_) users.push_back(user);
  }
  size_t stopped = 0;
  for (const auto& user : users) {
    for (const auto& server : user->OwnedInstances()) {
      if (co_await server->StopIfIdle(cutoff)) ++stopped;
    }
  }
  users.clear();
  std::lock_guard lock(mutex_);
  for (auto it = users_.begin(); it != users_.end();) {
    const auto& user = it->second;
    bool idle = user.use_count() == 1 && user->last_active() < cutoff;
    for (const auto& server :
         idle ? user->OwnedInstances() : std::vector<std::shared_ptr<ManagedServer>>{}) {
      auto state = server->status().state;
      if (server->leases() != 0 || (state != ServerState::kIdle && state != ServerState::kFailed)) {
        idle = false;
      }
    }
    it = idle ? users_.erase(it) : std::next(it);
  }
  co_return stopped;
}

asio::awaitable<void> UserRegistry::StopAll() {
  for (const auto& [id, server] : shared_) co_await server->Stop();
  std::vector<std::shared_ptr<UserSession>> users;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, user] : users_) users.push_back(user);
  }
  for (const auto& user : users) {
    for (const auto& server : user->OwnedInstances()) co_await server->Stop();
  }
}

}  // namespace bedrock::gateway

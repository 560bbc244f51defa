// The gateway's composition: configuration, store, authenticator, users and their MCP servers,
// the threads they run on, and the HTTP routes. `bedrock-mcp serve` makes one.
//
//   gateway::GatewayOptions options(std::move(config));      // opens config.store
//   auto gateway = gateway::Gateway::Create(std::move(options));
//   (*gateway)->Start();
//   http::Router router;
//   (*gateway)->AddRoutes(router);                            // the non-chat endpoints
//   router.Post("/v1/chat/completions", (*gateway)->api().WithUser(chat_handler));
//   ... serve ...
//   server.Stop(grace);                                       // no more requests
//   (*gateway)->Shutdown(grace);                              // MCP sessions closed, children
//   reaped
//
// Threads: MCP clients live on the gateway's own io_context (mcp_threads threads, one strand per
// server), store calls run on a small blocking pool (store.blocking_threads), and a sweeper on the
// MCP io_context stops idle per-user servers every limits.idle_sweep_interval. HTTP handlers only
// co_await into these; they never block.
//
// Thread-safety: Start and Shutdown from one thread (not a server thread); everything else from
// any thread.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "gateway/api.h"
#include "gateway/auth.h"
#include "gateway/config.h"
#include "gateway/managed_server.h"
#include "gateway/users.h"
#include "http/router.h"
#include "store/store.h"

namespace bedrock::gateway {

// Not an aggregate (movable into Create).
struct GatewayOptions {
  GatewayOptions() {}
  explicit GatewayOptions(GatewayConfig gateway_config) : config(std::move(gateway_config)) {}

  GatewayConfig config;
  std::unique_ptr<store::Store> store;  // null: opened from config.store
  Connector connector;                  // null: DefaultConnector with config.policy
  const core::Clock* clock = nullptr;   // null: the system clock; must outlive the gateway
  int mcp_threads = 1;
  std::string version = "0.0.0";  // clientInfo.version sent to MCP servers
};

class Gateway {
 public:
  // Opens the store (creating and migrating it). Errors name the database.
  static core::Result<std::unique_ptr<Gateway>> Create(GatewayOptions options);
  // Shuts down (with no grace) if Shutdown was not called.
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Starts the threads and the idle sweeper, and starts the shared global servers in the
  // background.
  void Start();
  // Registers the non-chat endpoints and the CORS preflight.
  void AddRoutes(http::Router& router) const { api_->AddRoutes(router); }
  // Stops the sweeper, closes every MCP session (reaping child processes; each gets its transport's
  // own grace period), waits up to `grace` for that, then stops and joins the threads. Blocking;
  // call after the HTTP server stopped. Idempotent.
  void Shutdown(std::chrono::milliseconds grace);

  const GatewayConfig& config() const { return config_; }
  const Authenticator& authenticator() const { return *authenticator_; }
  const Api& api() const { return *api_; }
  UserRegistry& users() { return *users_; }
  store::Store& store() { return *store_; }

 private:
  struct Threads;
  Gateway(GatewayOptions options, std::unique_ptr<store::Store> store);

  const GatewayConfig config_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Threads> threads_;
  std::unique_ptr<Authenticator> authenticator_;
  std::unique_ptr<UserRegistry> users_;
  std::unique_ptr<Api> api_;
  bool started_ = false;
  bool shut_down_ = false;
};

}  // namespace bedrock::gateway

#include "gateway/gateway.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <future>
#include <thread>
#include <vector>

#include "core/log.h"

namespace bedrock::gateway {
namespace {
namespace asio = boost::asio;
constexpr std::string_view kComponent = "gateway";
}  // namespace

struct Gateway::Threads {
  Threads(int mcp_threads, int blocking_threads)
      : mcp_thread_count(std::max(1, mcp_threads)),
        work(asio::make_work_guard(mcp)),
        blocking(size_t(std::max(1, blocking_threads))),
        sweep_timer(mcp) {}

  int mcp_thread_count;
  asio::io_context mcp;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  asio::thread_pool blocking;
  asio::steady_timer sweep_timer;  // used on the mcp context only
  bool sweeping = true;            // mcp context only
  std::vector<std::thread> mcp_threads;
};

core::Result<std::unique_ptr<Gateway>> Gateway::Create(GatewayOptions options) {
  std::unique_ptr<store::Store> store = std::move(options.store);
  if (!store) {
    store::StoreOptions store_options(options.config.store.url);
    store_options.busy_timeout = options.config.store.busy_timeout;
    auto opened = store::OpenStore(store_options);
    if (!opened.ok()) return opened.error();
    store = std::move(*opened);
  }
  return std::unique_ptr<Gateway>(new Gateway(std::move(options), std::move(store)));
}

Gateway::Gateway(GatewayOptions options, std::unique_ptr<store::Store> store)
    : config_(std::move(options.config)),
      store_(std::move(store)),
      threads_(std::make_unique<Threads>(options.mcp_threads, config_.store.blocking_threads)) {
  authenticator_ = std::make_unique<Authenticator>(config_.auth);
  Connector connector = options.connector;
  if (!connector) {
    DefaultConnectorOptions connector_options;
    connector_options.policy = config_.policy;
    connector_options.client_version = options.version;
    connector = DefaultConnector(std::move(connector_options));
  }
  UserRegistryOptions users;
  users.config = &config_;
  users.store = store_.get();
  users.mcp_executor = threads_->mcp.get_executor();
  users.blocking_executor = threads_->blocking.get_executor();
  users.connector = std::move(connector);
  users.clock = options.clock;
  users_ = std::make_unique<UserRegistry>(std::move(users));
  api_ = std::make_unique<Api>(config_, *authenticator_, *users_);
  if (authenticator_->open()) {
    BEDROCK_LOG_WARN(kComponent,
                     "no API keys and auth.allow_unauthenticated is true: anyone who can reach "
                     "this port can use every user's servers");
  } else if (config_.auth.keys.empty()) {
    BEDROCK_LOG_WARN(kComponent,
                     "no API keys configured (auth.api_keys or API_KEY): every request will be "
                     "refused");
  }
}

Gateway::~Gateway() { Shutdown(std::chrono::milliseconds(0)); }

void Gateway::Start() {
  if (started_) return;
  started_ = true;
  for (int i = 0; i < threads_->mcp_thread_count; ++i) {
    threads_->mcp_threads.emplace_back([this] { threads_->mcp.run(); });
  }
  users_->StartGlobals();
  // The idle sweeper.
  asio::co_spawn(
      threads_->mcp,
      [this]() -> asio::awaitable<void> {
        while (threads_->sweeping) {
          threads_->sweep_timer.expires_after(config_.limits.idle_sweep_interval);
          co_await threads_->sweep_timer.async_wait(asio::as_tuple(asio::use_awaitable));
          if (!threads_->sweeping) break;
          size_t stopped = co_await users_->SweepIdle();
          if (stopped > 0) {
            BEDROCK_LOG_INFO(kComponent, "stopped idle MCP servers",
                             {{"count", static_cast<int64_t>(stopped)}});
          }
        }
      },
      asio::detached);
}

void Gateway::Shutdown(std::chrono::milliseconds grace) {
  if (shut_down_) return;
  shut_down_ = true;
  if (started_) {
    std::promise<void> stopped;
    auto done = stopped.get_future();
    asio::co_spawn(
        threads_->mcp,
        [this]() -> asio::awaitable<void> {
          threads_->sweeping = false;
          threads_->sweep_timer.cancel();
          co_await users_->StopAll();
        },
        [&stopped](std::exception_ptr) { stopped.set_value(); });
    // Each stdio transport has its own grace (stdin closed, SIGTERM, SIGKILL); `grace` bounds the
    // whole, plus time for those steps.
    if (done.wait_for(grace + std::chrono::seconds(5)) != std::future_status::ready) {
      BEDROCK_LOG_WARN(kComponent, "MCP servers still closing at the shutdown deadline");
    }
    threads_->work.reset();
    threads_->mcp.stop();
    for (auto& thread : threads_->mcp_threads) thread.join();
    threads_->mcp_threads.clear();
  }
  threads_->blocking.join();
  BEDROCK_LOG_INFO(kComponent, "gateway stopped");
}

}  // namespace bedrock::gateway

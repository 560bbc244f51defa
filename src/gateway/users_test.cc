#include "gateway/users.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <thread>

#include "gateway/testing/fake_mcp.h"
#include "store/store.h"

namespace bedrock::gateway {
namespace {

namespace asio = boost::asio;
using ::testing::HasSubstr;
using testing::RunSync;

// Counts the calls that set a user up.
class CountingStore final : public store::Store {
 public:
  explicit CountingStore(std::unique_ptr<store::Store> inner) : inner_(std::move(inner)) {}
  std::atomic<int> list_calls{0};

  core::Result<std::vector<store::StoredServer>> ListServers(std::string_view user) override {
    ++list_calls;
    return inner_->ListServers(user);
  }
  core::Result<bool> InsertServer(const store::StoredServer& s) override {
    return inner_->InsertServer(s);
  }
  core::Status PutServer(const store::StoredServer& s) override { return inner_->PutServer(s); }
  core::Result<bool> DeleteServer(std::string_view u, std::string_view s) override {
    return inner_->DeleteServer(u, s);
  }
  core::Result<store::Conversation> LoadHistory(std::string_view u, std::string_view c) override {
    return inner_->LoadHistory(u, c);
  }
  core::Status SaveHistory(std::string_view u, std::string_view c,
                           const store::Conversation& v) override {
    return inner_->SaveHistory(u, c, v);
  }
  core::Status AppendHistory(std::string_view u, std::string_view c,
                             const std::vector<std::string>& m) override {
    return inner_->AppendHistory(u, c, m);
  }
  core::Result<int64_t> ClearHistory(std::string_view u, std::string_view c) override {
    return inner_->ClearHistory(u, c);
  }
  core::Result<int64_t> ClearAllHistory(std::string_view u) override {
    return inner_->ClearAllHistory(u);
  }
  int schema_version() const override { return inner_->schema_version(); }

 private:
  std::unique_ptr<store::Store> inner_;
};

ServerSpec Spec(std::string name, std::string command = "npx", bool per_user = false) {
  ServerSpec spec;
  spec.mcp.name = std::move(name);
  spec.mcp.command = std::move(command);
  spec.mcp.description = "desc of " + spec.mcp.name;
  spec.per_user = per_user;
  spec.connect_timeout = std::chrono::seconds(10);
  return spec;
}

class UserRegistryTest : public ::testing::Test {
 protected:
  UserRegistryTest() : work_(asio::make_work_guard(io_)) {
    db_path_ = std::filesystem::temp_directory_path() /
               ("bedrock_users_test_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    std::filesystem::remove(db_path_);
    config_.servers.push_back(Spec("shared"));
    config_.servers.push_back(Spec("private", "npx", /*per_user=*/true));
    config_.servers.push_back(Spec("broken", "fail"));
    auto disabled = Spec("disabled");
    disabled.mcp.enabled = false;
    config_.servers.push_back(disabled);
    config_.limits.inactive_time = std::chrono::minutes(10);
    thread_ = std::thread([this] { io_.run(); });
    MakeRegistry();
  }
  ~UserRegistryTest() override {
    if (users_) RunSync(io_.get_executor(), users_->StopAll());
    users_.reset();
    work_.reset();
    thread_.join();
    blocking_.join();
    std::filesystem::remove(db_path_);
    std::filesystem::remove(db_path_.string() + "-wal");
    std::filesystem::remove(db_path_.string() + "-shm");
  }

  void MakeRegistry() {
    if (users_) RunSync(io_.get_executor(), users_->StopAll());
    users_.reset();
    store_.reset();
    auto opened = store::OpenStore(store::StoreOptions("sqlite:" + db_path_.string()));
    ASSERT_TRUE(opened.ok()) << opened.error();
    store_ = std::make_unique<CountingStore>(std::move(*opened));
    UserRegistryOptions options;
    options.config = &config_;
    options.store = store_.get();
    options.mcp_executor = io_.get_executor();
    options.blocking_executor = blocking_.get_executor();
    options.connector = fake_.connector();
    options.clock = &clock_;
    users_ = std::make_unique<UserRegistry>(std::move(options));
  }

  std::shared_ptr<UserSession> User(const std::string& id) {
    auto user = RunSync(io_.get_executor(), users_->Get(id));
    EXPECT_TRUE(user.ok());
    return user.ok() ? *user : nullptr;
  }

  core::Result<ServerLease> Acquire(const std::shared_ptr<UserSession>& user, std::string id) {
    return RunSync(io_.get_executor(), user->Acquire(std::move(id)));
  }

  core::Result<boost::json::array> Add(const std::shared_ptr<UserSession>& user, std::string id,
                                       std::string command = "npx") {
    auto spec = Spec(id, command);
    return RunSync(io_.get_executor(),
                   user->AddServer(std::move(spec), R"({"command":")" + command + R"("})"));
  }

  std::string CallWhoAmI(const ServerLease& lease) {
    auto result = RunSync(io_.get_executor(), lease.CallTool("who-am-i", {}));
    EXPECT_TRUE(result.ok());
    if (!result.ok() || result->content.empty()) return {};
    return std::string(result->content[0].as_object().at("text").as_string());
  }

  static std::vector<std::string> Ids(const std::vector<ServerInfo>& servers) {
    std::vector<std::string> out;
    for (const auto& s : servers) out.push_back(s.id);
    return out;
  }

  GatewayConfig config_;
  core::FakeClock clock_;
  testing::FakeConnector fake_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::thread_pool blocking_{2};
  std::thread thread_;
  std::filesystem::path db_path_;
  std::unique_ptr<CountingStore> store_;
  std::unique_ptr<UserRegistry> users_;
};

TEST_F(UserRegistryTest, ConcurrentFirstRequestsSetTheUserUpOnce) {
  asio::thread_pool callers(4);
  std::vector<std::future<std::optional<core::Result<std::shared_ptr<UserSession>>>>> gets;
  std::vector<std::future<std::optional<core::Result<ServerLease>>>> acquires;
  for (int i = 0; i < 16; ++i) {
    auto ex = asio::make_strand(callers.get_executor());
    gets.push_back(testing::Spawn(ex, users_->Get("newbie")));
    // Parameters, not captures: the closure is a temporary, the coroutine frame is not.
    acquires.push_back(
        testing::Spawn(ex, [](UserRegistry* users) -> asio::awaitable<core::Result<ServerLease>> {
          auto user = co_await users->Get("newbie");
          if (!user.ok()) co_return user.error();
          co_return co_await (*user)->Acquire("private");
        }(users_.get())));
  }
  std::set<UserSession*> sessions;
  for (auto& get : gets) sessions.insert(get.get()->value().get());
  for (auto& acquire : acquires) EXPECT_TRUE(acquire.get()->ok());
  callers.join();
  EXPECT_EQ(sessions.size(), 1u);
  EXPECT_EQ(store_->list_calls.load(), 1);
  EXPECT_EQ(fake_.connects("private", "newbie"), 1);
  EXPECT_EQ(users_->user_count(), 1u);
}

TEST_F(UserRegistryTest, GlobalServerRunsOnceForAllUsers) {
  auto alice = User("alice");
  auto bob = User("bob");
  auto a = Acquire(alice, "shared");
  auto b = Acquire(bob, "shared");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->client(), b->client());
  EXPECT_EQ(fake_.connects("shared"), 1);
}

TEST_F(UserRegistryTest, PerUserGlobalGetsAPrivateProcessPerUser) {
  auto alice = User("alice");
  auto bob = User("bob");
  auto a = Acquire(alice, "private");
  auto b = Acquire(bob, "private");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->client(), b->client());
  EXPECT_EQ(fake_.connects("private", "alice"), 1);
  EXPECT_EQ(fake_.connects("private", "bob"), 1);
  EXPECT_EQ(a->spec().owner, "alice");
}

TEST_F(UserRegistryTest, DisabledGlobalIsNeitherListedNorUsable) {
  auto alice = User("alice");
  EXPECT_THAT(Ids(alice->ListServers()), ::testing::ElementsAre("shared", "private", "broken"));
  EXPECT_EQ(Acquire(alice, "disabled").error().code(), core::ErrorCode::kNotFound);
}

TEST_F(UserRegistryTest, AddedServerIsInvisibleToOtherUsers) {
  auto alice = User("alice");
  auto bob = User("bob");
  auto tools = Add(alice, "mine");
  ASSERT_TRUE(tools.ok()) << tools.error();
  EXPECT_EQ(tools->size(), 2u);
  EXPECT_THAT(Ids(alice->ListServers()), ::testing::Contains("mine"));
  EXPECT_THAT(Ids(bob->ListServers()), ::testing::Not(::testing::Contains("mine")));
  EXPECT_EQ(Acquire(bob, "mine").error().code(), core::ErrorCode::kNotFound);
  EXPECT_FALSE(bob->FindServer("mine").has_value());
  auto removed = RunSync(io_.get_executor(), bob->RemoveServer("mine"));
  EXPECT_EQ(removed.error().code(), core::ErrorCode::kNotFound);
  auto lease = Acquire(alice, "mine");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(CallWhoAmI(*lease), "mine");
}

TEST_F(UserRegistryTest, TwoUsersMayUseTheSameIdSeparately) {
  auto alice = User("alice");
  auto bob = User("bob");
  ASSERT_TRUE(Add(alice, "tool").ok());
  ASSERT_TRUE(Add(bob, "tool").ok());
  EXPECT_EQ(fake_.connects("tool", "alice"), 1);
  EXPECT_EQ(fake_.connects("tool", "bob"), 1);
  ASSERT_TRUE(RunSync(io_.get_executor(), bob->RemoveServer("tool")).ok());
  EXPECT_TRUE(Acquire(alice, "tool").ok());
}

TEST_F(UserRegistryTest, AddedServerIsRestoredAfterRestart) {
  {
    auto alice = User("alice");
    ASSERT_TRUE(Add(alice, "mine").ok());
  }
  MakeRegistry();
  auto alice = User("alice");
  EXPECT_THAT(Ids(alice->ListServers()), ::testing::Contains("mine"));
  auto lease = Acquire(alice, "mine");
  ASSERT_TRUE(lease.ok()) << lease.error();
  EXPECT_EQ(fake_.connects("mine", "alice"), 2);
  EXPECT_EQ(alice->FindServer("mine")->mcp.description, "desc of mine");
}

TEST_F(UserRegistryTest, RemovedServerStaysRemovedAfterRestart) {
  {
    auto alice = User("alice");
    ASSERT_TRUE(Add(alice, "mine").ok());
    ASSERT_TRUE(RunSync(io_.get_executor(), alice->RemoveServer("mine")).ok());
  }
  MakeRegistry();
  EXPECT_THAT(Ids(User("alice")->ListServers()), ::testing::Not(::testing::Contains("mine")));
}

TEST_F(UserRegistryTest, DuplicateIdIsRefused) {
  auto alice = User("alice");
  ASSERT_TRUE(Add(alice, "mine").ok());
  EXPECT_EQ(Add(alice, "mine").error().code(), core::ErrorCode::kAlreadyExists);
  EXPECT_EQ(Add(alice, "shared").error().code(), core::ErrorCode::kAlreadyExists);
  EXPECT_EQ(fake_.connects("mine", "alice"), 1);
}

TEST_F(UserRegistryTest, ConcurrentAddsOfOneIdAddItOnce) {
  auto alice = User("alice");
  std::vector<std::future<std::optional<core::Result<boost::json::array>>>> adds;
  asio::thread_pool callers(4);
  for (int i = 0; i < 8; ++i) {
    ServerSpec spec = Spec("race");
    adds.push_back(testing::Spawn(callers.get_executor(),
                                  alice->AddServer(std::move(spec), R"({"command":"npx"})")));
  }
  int ok = 0;
  for (auto& add : adds) ok += add.get()->ok() ? 1 : 0;
  callers.join();
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(store_->ListServers("alice")->size(), 1u);
}

TEST_F(UserRegistryTest, TooManyServersIsRefused) {
  config_.policy.max_servers_per_user = 1;
  auto alice = User("alice");
  ASSERT_TRUE(Add(alice, "one").ok());
  EXPECT_EQ(Add(alice, "two").error().code(), core::ErrorCode::kResourceExhausted);
}

TEST_F(UserRegistryTest, GlobalServerCannotBeRemovedByAUser) {
  auto alice = User("alice");
  auto removed = RunSync(io_.get_executor(), alice->RemoveServer("shared"));
  EXPECT_EQ(removed.error().code(), core::ErrorCode::kPermissionDenied);
}

TEST_F(UserRegistryTest, FailedStartKeepsItsErrorAndBacksOff) {
  auto alice = User("alice");
  auto first = Acquire(alice, "broken");
  ASSERT_FALSE(first.ok());
  EXPECT_THAT(first.error().message(), HasSubstr("exited with code 1"));
  EXPECT_THAT(first.error().message(), HasSubstr("cannot find module"));  // the stderr tail
  EXPECT_FALSE(Acquire(alice, "broken").ok());
  EXPECT_EQ(fake_.connects("broken"), 1);  // within the backoff: no second attempt
  auto listed = alice->ListServers();
  auto broken = std::find_if(listed.begin(), listed.end(),
                             [](const ServerInfo& s) { return s.id == "broken"; });
  ASSERT_NE(broken, listed.end());
  EXPECT_EQ(broken->status.state, ServerState::kFailed);
  EXPECT_THAT(broken->status.error, HasSubstr("cannot find module"));
  clock_.Advance(config_.limits.restart_backoff + std::chrono::seconds(1));
  EXPECT_FALSE(Acquire(alice, "broken").ok());
  EXPECT_EQ(fake_.connects("broken"), 2);
}

TEST_F(UserRegistryTest, FailedAddIsNotStored) {
  auto alice = User("alice");
  auto added = Add(alice, "bad", "fail");
  ASSERT_FALSE(added.ok());
  EXPECT_TRUE(store_->ListServers("alice")->empty());
  EXPECT_THAT(Ids(alice->ListServers()), ::testing::Not(::testing::Contains("bad")));
  EXPECT_TRUE(Add(alice, "bad").ok());  // the id is free again
}

TEST_F(UserRegistryTest, IdlePerUserServerStopsAfterInactiveTime) {
  auto alice = User("alice");
  {
    auto lease = Acquire(alice, "private");
    ASSERT_TRUE(lease.ok());
  }
  clock_.Advance(std::chrono::minutes(9));
  EXPECT_EQ(RunSync(io_.get_executor(), users_->SweepIdle()), 0u);
  clock_.Advance(std::chrono::minutes(2));
  EXPECT_EQ(RunSync(io_.get_executor(), users_->SweepIdle()), 1u);
  auto lease = Acquire(alice, "private");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(fake_.connects("private", "alice"), 2);
  EXPECT_EQ(CallWhoAmI(*lease), "private");
}

TEST_F(UserRegistryTest, ServerInUseIsNotStoppedWhenIdle) {
  auto alice = User("alice");
  auto lease = Acquire(alice, "private");
  ASSERT_TRUE(lease.ok());
  clock_.Advance(std::chrono::hours(2));
  EXPECT_EQ(RunSync(io_.get_executor(), users_->SweepIdle()), 0u);
  EXPECT_EQ(CallWhoAmI(*lease), "private");
}

TEST_F(UserRegistryTest, SharedGlobalIsNotStoppedWhenIdle) {
  auto alice = User("alice");
  { ASSERT_TRUE(Acquire(alice, "shared").ok()); }
  clock_.Advance(std::chrono::hours(2));
  EXPECT_EQ(RunSync(io_.get_executor(), users_->SweepIdle()), 0u);
  EXPECT_EQ(users_->SharedGlobal("shared")->status().state, ServerState::kRunning);
}

TEST_F(UserRegistryTest, IdleUserIsForgottenButKeepsStoredServers) {
  {
    auto alice = User("alice");
    ASSERT_TRUE(Add(alice, "mine").ok());
  }
  clock_.Advance(std::chrono::hours(1));
  RunSync(io_.get_executor(), users_->SweepIdle());  // stops "mine"
  RunSync(io_.get_executor(), users_->SweepIdle());  // forgets alice
  EXPECT_EQ(users_->user_count(), 0u);
  EXPECT_THAT(Ids(User("alice")->ListServers()), ::testing::Contains("mine"));
}

TEST_F(UserRegistryTest, HistoryIsPerUser) {
  auto alice = User("alice");
  auto bob = User("bob");
  ASSERT_TRUE(RunSync(io_.get_executor(), alice->AppendHistory("", {"a1", "a2"})).ok());
  EXPECT_TRUE(RunSync(io_.get_executor(), bob->LoadHistory(""))->messages.empty());
  EXPECT_EQ(*RunSync(io_.get_executor(), bob->ClearHistory(std::nullopt)), 0);
  EXPECT_EQ(RunSync(io_.get_executor(), alice->LoadHistory(""))->messages.size(), 2u);
  EXPECT_EQ(*RunSync(io_.get_executor(), alice->ClearHistory(std::string(""))), 2);
}

TEST_F(UserRegistryTest, ListTwoToolsThroughLease) {
  auto alice = User("alice");
  auto lease = Acquire(alice, "shared");
  ASSERT_TRUE(lease.ok());
  auto tools = RunSync(io_.get_executor(), lease->ListTools());
  ASSERT_TRUE(tools.ok());
  EXPECT_EQ(tools->size(), 2u);
}

}  // namespace
}  // namespace bedrock::gateway

// The Store contract, run against every backend: the same test bodies for SQLite (a temp file) and
// PostgreSQL (a fresh database on a private throwaway server, see testing/postgres_cluster.h).
// Backend-specific behaviour is tested in sqlite_store_test.cc and postgres_store_test.cc.
#include "store/store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "store/internal/sqlite.h"
#include "store/testing/postgres_cluster.h"

namespace bedrock::store {
namespace {

enum class Backend { kSqlite, kPostgres };

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    if (GetParam() == Backend::kPostgres) {
      if (testing::PostgresTestsDisabled()) GTEST_SKIP() << "BEDROCK_TEST_POSTGRES=off";
      auto url = testing::FreshPostgresDatabase(test->name());
      ASSERT_TRUE(url.ok()) << url.error();
      url_ = *url;
      database_ = url_.substr(url_.find("@/") + 2, url_.find('?') - url_.find("@/") - 2);
      return;
    }
    std::string name = test->name();
    std::replace(name.begin(), name.end(), '/', '_');
    dir_ = std::filesystem::temp_directory_path() /
           ("bedrock_store_test_" + std::to_string(::getpid()) + "_" + name);
    std::filesystem::remove_all(dir_);
    path_ = (dir_ / "db" / "store.db").string();
    url_ = "sqlite:" + path_;
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<Store> Open() {
    auto store = OpenStore(StoreOptions(url_));
    EXPECT_TRUE(store.ok()) << (store.ok() ? core::Error::Internal("") : store.error());
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Constant SQL straight into the database, as another program (or build) would write it.
  void ExecuteRaw(std::string_view sql) {
    if (GetParam() == Backend::kPostgres) {
      auto cluster = testing::SharedPostgresCluster();
      ASSERT_TRUE(cluster.ok());
      ASSERT_TRUE((*cluster)->Execute(database_, sql).ok());
      return;
    }
    auto db = internal::Database::Open(path_, 1000);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec(sql).ok());
  }

  static StoredServer Server(std::string user, std::string id) {
    StoredServer server;
    server.user_id = std::move(user);
    server.server_id = std::move(id);
    server.config_json = R"({"command":"npx","args":["-y","x"]})";
    server.description = "desc";
    return server;
  }

  std::string url_;
  std::string database_;       // PostgreSQL
  std::filesystem::path dir_;  // SQLite
  std::string path_;
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

TEST_P(StoreTest, ServersSurviveReopen) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    EXPECT_TRUE(*store->InsertServer(Server("alice", "exa")));
    EXPECT_TRUE(*store->InsertServer(Server("alice", "fs")));
  }
  auto store = Open();
  auto servers = store->ListServers("alice");
  ASSERT_TRUE(servers.ok());
  ASSERT_EQ(servers->size(), 2u);
  EXPECT_EQ((*servers)[0].server_id, "exa");
  EXPECT_EQ((*servers)[0].config_json, R"({"command":"npx","args":["-y","x"]})");
  EXPECT_EQ((*servers)[0].description, "desc");
  EXPECT_GT((*servers)[0].created_at_ms, 0);
}

TEST_P(StoreTest, InsertServerRefusesDuplicateId) {
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_TRUE(*store->InsertServer(Server("alice", "exa")));
  EXPECT_FALSE(*store->InsertServer(Server("alice", "exa")));
  EXPECT_TRUE(*store->InsertServer(Server("bob", "exa")));  // another user's namespace
}

TEST_P(StoreTest, PutServerReplaces) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->PutServer(Server("alice", "exa")).ok());
  auto changed = Server("alice", "exa");
  changed.description = "new";
  ASSERT_TRUE(store->PutServer(changed).ok());
  auto servers = *store->ListServers("alice");
  ASSERT_EQ(servers.size(), 1u);
  EXPECT_EQ(servers[0].description, "new");
}

TEST_P(StoreTest, UsersDoNotSeeEachOthersServers) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(*store->InsertServer(Server("alice", "exa")));
  EXPECT_TRUE(store->ListServers("bob")->empty());
  EXPECT_FALSE(*store->DeleteServer("bob", "exa"));
  EXPECT_EQ(store->ListServers("alice")->size(), 1u);
  EXPECT_TRUE(*store->DeleteServer("alice", "exa"));
  EXPECT_TRUE(store->ListServers("alice")->empty());
}

TEST_P(StoreTest, HistorySurvivesReopen) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    Conversation conversation;
    conversation.system_json = R"([{"text":"be brief"}])";
    conversation.messages = {R"({"role":"user","content":[{"text":"hi"}]})",
                             R"({"role":"assistant","content":[{"text":"hello"}]})"};
    ASSERT_TRUE(store->SaveHistory("alice", "", conversation).ok());
    ASSERT_TRUE(store->AppendHistory("alice", "", {R"({"role":"user"})"}).ok());
  }
  auto store = Open();
  auto loaded = store->LoadHistory("alice", "");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->system_json, R"([{"text":"be brief"}])");
  ASSERT_EQ(loaded->messages.size(), 3u);
  EXPECT_EQ(loaded->messages[2], R"({"role":"user"})");
  EXPECT_GT(loaded->updated_at_ms, 0);
}

TEST_P(StoreTest, SaveHistoryReplacesMessages) {
  auto store = Open();
  ASSERT_TRUE(store);
  Conversation first;
  first.messages = {"1", "2", "3"};
  ASSERT_TRUE(store->SaveHistory("alice", "c", first).ok());
  Conversation second;
  second.messages = {"4"};
  ASSERT_TRUE(store->SaveHistory("alice", "c", second).ok());
  EXPECT_EQ(store->LoadHistory("alice", "c")->messages, std::vector<std::string>{"4"});
}

TEST_P(StoreTest, AppendKeepsSystemPrompt) {
  auto store = Open();
  ASSERT_TRUE(store);
  Conversation conversation;
  conversation.system_json = "\"sys\"";
  ASSERT_TRUE(store->SaveHistory("alice", "", conversation).ok());
  ASSERT_TRUE(store->AppendHistory("alice", "", {"m"}).ok());
  EXPECT_EQ(store->LoadHistory("alice", "")->system_json, "\"sys\"");
}

TEST_P(StoreTest, ConversationsAndUsersAreSeparate) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->AppendHistory("alice", "", {"a0"}).ok());
  ASSERT_TRUE(store->AppendHistory("alice", "work", {"a1"}).ok());
  ASSERT_TRUE(store->AppendHistory("bob", "", {"b0"}).ok());
  EXPECT_EQ(store->LoadHistory("alice", "")->messages, std::vector<std::string>{"a0"});
  EXPECT_EQ(store->LoadHistory("alice", "work")->messages, std::vector<std::string>{"a1"});
  EXPECT_EQ(store->LoadHistory("bob", "")->messages, std::vector<std::string>{"b0"});
  EXPECT_TRUE(store->LoadHistory("bob", "work")->messages.empty());
}

TEST_P(StoreTest, ClearHistoryCountsRemovedMessages) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->AppendHistory("alice", "", {"1", "2"}).ok());
  ASSERT_TRUE(store->AppendHistory("alice", "x", {"3"}).ok());
  EXPECT_EQ(*store->ClearHistory("alice", ""), 2);
  EXPECT_EQ(*store->ClearHistory("alice", ""), 0);
  EXPECT_EQ(store->LoadHistory("alice", "")->updated_at_ms, 0);
  EXPECT_EQ(*store->ClearAllHistory("alice"), 1);
  EXPECT_EQ(*store->ClearAllHistory("nobody"), 0);
}

TEST_P(StoreTest, StringsRoundTripExactly) {
  auto store = Open();
  ASSERT_TRUE(store);
  std::string odd = std::string("a\0b", 3) + "\xE2\x82\xAC 'quote' \"dq\" \n";
  ASSERT_TRUE(store->AppendHistory("user 'x'", "", {odd}).ok());
  EXPECT_EQ(store->LoadHistory("user 'x'", "")->messages[0], odd);
}

TEST_P(StoreTest, EmptyStringsAreValuesNotNulls) {
  auto store = Open();
  ASSERT_TRUE(store);
  auto server = Server("", "");
  server.description = "";
  ASSERT_TRUE(*store->InsertServer(server));
  ASSERT_TRUE(store->AppendHistory("", "", {""}).ok());
  EXPECT_EQ(store->ListServers("")->at(0).description, "");
  EXPECT_EQ(store->LoadHistory("", "")->messages, std::vector<std::string>{""});
}

TEST_P(StoreTest, RefusesDatabaseFromNewerVersion) {
  { ASSERT_TRUE(Open()); }
  ExecuteRaw("INSERT INTO schema_migrations VALUES (999, 0)");
  auto store = OpenStore(StoreOptions(url_));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), core::ErrorCode::kFailedPrecondition);
  EXPECT_NE(store.error().message().find("999"), std::string::npos);
}

// Two Store instances are two connections, as two processes (or replicas) would have.
TEST_P(StoreTest, ConcurrentWritersFromTwoConnectionsLoseNothing) {
  auto first = Open();
  auto second = Open();
  ASSERT_TRUE(first && second);
  constexpr int kThreads = 4;
  constexpr int kWrites = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Store& store = t % 2 == 0 ? *first : *second;
      std::string user = "user" + std::to_string(t % 2);
      for (int i = 0; i < kWrites; ++i) {
        if (!store.AppendHistory(user, "", {std::to_string(t) + ":" + std::to_string(i)}).ok()) {
          ++failures;
        }
        if (!store.PutServer(Server(user, "s" + std::to_string(t))).ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  size_t total = first->LoadHistory("user0", "")->messages.size() +
                 first->LoadHistory("user1", "")->messages.size();
  EXPECT_EQ(total, size_t(kThreads * kWrites));
}

// Writers of one conversation on two instances interleave without losing or reordering any
// message of either writer.
TEST_P(StoreTest, ConcurrentAppendsToOneConversationKeepEachWritersOrder) {
  auto first = Open();
  auto second = Open();
  ASSERT_TRUE(first && second);
  constexpr int kWrites = 40;
  std::atomic<int> failures{0};
  auto writer = [&](Store& store, std::string tag) {
    for (int i = 0; i < kWrites; ++i) {
      if (!store.AppendHistory("alice", "", {tag + std::to_string(i)}).ok()) ++failures;
    }
  };
  std::thread a(writer, std::ref(*first), "a");
  std::thread b(writer, std::ref(*second), "b");
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
  auto messages = first->LoadHistory("alice", "")->messages;
  ASSERT_EQ(messages.size(), size_t(2 * kWrites));
  int next_a = 0;
  int next_b = 0;
  for (const auto& message : messages) {
    int& next = message[0] == 'a' ? next_a : next_b;
    EXPECT_EQ(message.substr(1), std::to_string(next));
    ++next;
  }
}

}  // namespace
}  // namespace bedrock::store

#include "store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "store/internal/sqlite.h"
#include "store/store.h"

namespace bedrock::store {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("bedrock_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    path_ = (dir_ / "db" / "store.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Store> Open(int target_version = 0) {
    StoreOptions options("sqlite:" + path_);
    options.target_schema_version = target_version;
    auto store = OpenStore(options);
    EXPECT_TRUE(store.ok()) << (store.ok() ? core::Error::Internal("") : store.error());
    return store.ok() ? std::move(*store) : nullptr;
  }

  static StoredServer Server(std::string user, std::string id) {
    StoredServer server;
    server.user_id = std::move(user);
    server.server_id = std::move(id);
    server.config_json = R"({"command":"npx","args":["-y","x"]})";
    server.description = "desc";
    return server;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(SqliteStoreTest, ServersSurviveReopen) {
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

TEST_F(SqliteStoreTest, InsertServerRefusesDuplicateId) {
  auto store = Open();
  EXPECT_TRUE(*store->InsertServer(Server("alice", "exa")));
  EXPECT_FALSE(*store->InsertServer(Server("alice", "exa")));
  EXPECT_TRUE(*store->InsertServer(Server("bob", "exa")));  // another user's namespace
}

TEST_F(SqliteStoreTest, PutServerReplaces) {
  auto store = Open();
  ASSERT_TRUE(store->PutServer(Server("alice", "exa")).ok());
  auto changed = Server("alice", "exa");
  changed.description = "new";
  ASSERT_TRUE(store->PutServer(changed).ok());
  auto servers = *store->ListServers("alice");
  ASSERT_EQ(servers.size(), 1u);
  EXPECT_EQ(servers[0].description, "new");
}

TEST_F(SqliteStoreTest, UsersDoNotSeeEachOthersServers) {
  auto store = Open();
  ASSERT_TRUE(*store->InsertServer(Server("alice", "exa")));
  EXPECT_TRUE(store->ListServers("bob")->empty());
  EXPECT_FALSE(*store->DeleteServer("bob", "exa"));
  EXPECT_EQ(store->ListServers("alice")->size(), 1u);
  EXPECT_TRUE(*store->DeleteServer("alice", "exa"));
  EXPECT_TRUE(store->ListServers("alice")->empty());
}

TEST_F(SqliteStoreTest, HistorySurvivesReopen) {
  {
    auto store = Open();
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

TEST_F(SqliteStoreTest, SaveHistoryReplacesMessages) {
  auto store = Open();
  Conversation first;
  first.messages = {"1", "2", "3"};
  ASSERT_TRUE(store->SaveHistory("alice", "c", first).ok());
  Conversation second;
  second.messages = {"4"};
  ASSERT_TRUE(store->SaveHistory("alice", "c", second).ok());
  EXPECT_EQ(store->LoadHistory("alice", "c")->messages, std::vector<std::string>{"4"});
}

TEST_F(SqliteStoreTest, AppendKeepsSystemPrompt) {
  auto store = Open();
  Conversation conversation;
  conversation.system_json = "\"sys\"";
  ASSERT_TRUE(store->SaveHistory("alice", "", conversation).ok());
  ASSERT_TRUE(store->AppendHistory("alice", "", {"m"}).ok());
  EXPECT_EQ(store->LoadHistory("alice", "")->system_json, "\"sys\"");
}

TEST_F(SqliteStoreTest, ConversationsAndUsersAreSeparate) {
  auto store = Open();
  ASSERT_TRUE(store->AppendHistory("alice", "", {"a0"}).ok());
  ASSERT_TRUE(store->AppendHistory("alice", "work", {"a1"}).ok());
  ASSERT_TRUE(store->AppendHistory("bob", "", {"b0"}).ok());
  EXPECT_EQ(store->LoadHistory("alice", "")->messages, std::vector<std::string>{"a0"});
  EXPECT_EQ(store->LoadHistory("alice", "work")->messages, std::vector<std::string>{"a1"});
  EXPECT_EQ(store->LoadHistory("bob", "")->messages, std::vector<std::string>{"b0"});
  EXPECT_TRUE(store->LoadHistory("bob", "work")->messages.empty());
}

TEST_F(SqliteStoreTest, ClearHistoryCountsRemovedMessages) {
  auto store = Open();
  ASSERT_TRUE(store->AppendHistory("alice", "", {"1", "2"}).ok());
  ASSERT_TRUE(store->AppendHistory("alice", "x", {"3"}).ok());
  EXPECT_EQ(*store->ClearHistory("alice", ""), 2);
  EXPECT_EQ(*store->ClearHistory("alice", ""), 0);
  EXPECT_EQ(store->LoadHistory("alice", "")->updated_at_ms, 0);
  EXPECT_EQ(*store->ClearAllHistory("alice"), 1);
  EXPECT_EQ(*store->ClearAllHistory("nobody"), 0);
}

TEST_F(SqliteStoreTest, StringsRoundTripExactly) {
  auto store = Open();
  std::string odd = std::string("a\0b", 3) + "\xE2\x82\xAC 'quote' \"dq\" \n";
  ASSERT_TRUE(store->AppendHistory("user 'x'", "", {odd}).ok());
  EXPECT_EQ(store->LoadHistory("user 'x'", "")->messages[0], odd);
}

TEST_F(SqliteStoreTest, FileIsOwnerOnly) {
  auto store = Open();
  struct stat info {};
  ASSERT_EQ(::stat(path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0077, 0u);
}

TEST_F(SqliteStoreTest, UsesWalJournal) {
  auto store = Open();
  auto db = internal::Database::Open(path_, 1000);
  ASSERT_TRUE(db.ok());
  auto stmt = (*db)->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(stmt.ok());
  ASSERT_TRUE(*stmt->Step());
  EXPECT_EQ(stmt->ColumnText(0), "wal");
}

TEST_F(SqliteStoreTest, MigratesHistoryFromVersionOne) {
  {
    auto old = Open(1);
    ASSERT_TRUE(old);
    EXPECT_EQ(old->schema_version(), 1);
  }
  {
    // Data written by a version-1 build, straight into its tables.
    auto db = internal::Database::Open(path_, 1000);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec(R"sql(
        INSERT INTO user_servers VALUES ('alice', 'exa', '{"command":"npx"}', 'Exa', 1, 1);
        INSERT INTO history_meta VALUES ('alice', '"sys"', 5);
        INSERT INTO history VALUES ('alice', 1, 'm1'), ('alice', 2, 'm2'), ('bob', 1, 'b1');
      )sql")
                    .ok());
  }
  auto store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->schema_version(), SqliteStore::LatestSchemaVersion());
  auto alice = *store->LoadHistory("alice", "");
  EXPECT_EQ(alice.system_json, "\"sys\"");
  EXPECT_EQ(alice.messages, (std::vector<std::string>{"m1", "m2"}));
  EXPECT_EQ(store->LoadHistory("bob", "")->messages, std::vector<std::string>{"b1"});
  EXPECT_EQ(store->ListServers("alice")->at(0).description, "Exa");
  ASSERT_TRUE(store->AppendHistory("alice", "", {"m3"}).ok());
  EXPECT_EQ(store->LoadHistory("alice", "")->messages.back(), "m3");
}

TEST_F(SqliteStoreTest, RefusesDatabaseFromNewerVersion) {
  { ASSERT_TRUE(Open()); }
  {
    auto db = internal::Database::Open(path_, 1000);
    ASSERT_TRUE((*db)->Exec("INSERT INTO schema_migrations VALUES (999, 0)").ok());
  }
  auto store = OpenStore(StoreOptions("sqlite:" + path_));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), core::ErrorCode::kFailedPrecondition);
  EXPECT_NE(store.error().message().find("999"), std::string::npos);
}

TEST_F(SqliteStoreTest, ConcurrentWritersFromTwoConnectionsLoseNothing) {
  auto first = Open();
  auto second = Open();  // a second connection, as a second process would have
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

TEST_F(SqliteStoreTest, InMemoryStoreWorks) {
  auto store = OpenStore(StoreOptions("sqlite::memory:"));
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->AppendHistory("a", "", {"x"}).ok());
  EXPECT_EQ((*store)->LoadHistory("a", "")->messages.size(), 1u);
}

TEST(OpenStoreTest, PostgresIsRecognisedButNotBuilt) {
  auto store = OpenStore(StoreOptions("postgres://user:secret@db/bedrock"));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), core::ErrorCode::kUnimplemented);
  EXPECT_EQ(store.error().message().find("secret"), std::string::npos);
}

TEST(OpenStoreTest, UnknownSchemeIsInvalid) {
  auto store = OpenStore(StoreOptions("mysql://db/x"));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(OpenStoreTest, EmptyUrlIsInvalid) {
  EXPECT_EQ(OpenStore(StoreOptions("")).error().code(), core::ErrorCode::kInvalidArgument);
}

TEST(SqliteErrorTest, BusyIsUnavailableAndCorruptIsDataLoss) {
  EXPECT_EQ(internal::ErrorCodeFromSqlite(5), core::ErrorCode::kUnavailable);  // SQLITE_BUSY
  EXPECT_EQ(internal::ErrorCodeFromSqlite(11), core::ErrorCode::kDataLoss);    // SQLITE_CORRUPT
  EXPECT_EQ(internal::ErrorCodeFromSqlite(19), core::ErrorCode::kAlreadyExists);
}

TEST_F(SqliteStoreTest, NotADatabaseIsDataLoss) {
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  {
    FILE* f = std::fopen(path_.c_str(), "w");
    std::fputs("this is not a database file, just some text that is long enough.....", f);
    std::fclose(f);
  }
  auto store = OpenStore(StoreOptions(path_));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), core::ErrorCode::kDataLoss);
}

}  // namespace
}  // namespace bedrock::store

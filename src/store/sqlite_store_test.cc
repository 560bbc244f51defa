// SQLite-specific behaviour; the Store contract itself is tested for every backend in
// store_test.cc.
#include "store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

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

  std::filesystem::path dir_;
  std::string path_;
};

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

TEST_F(SqliteStoreTest, InMemoryStoreWorks) {
  auto store = OpenStore(StoreOptions("sqlite::memory:"));
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->AppendHistory("a", "", {"x"}).ok());
  EXPECT_EQ((*store)->LoadHistory("a", "")->messages.size(), 1u);
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

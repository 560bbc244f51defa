// PostgreSQL-specific behaviour: replicas sharing a database, concurrent migration, a server
// restarted or a connection killed under an open store, lock timeouts, the connection bound, and
// errors that name the database but never the password. The Store contract itself runs against
// this backend in store_test.cc. Tests that need a server start a private one (see
// testing/postgres_cluster.h); without server binaries they fail unless BEDROCK_TEST_POSTGRES=off.
#include "store/postgres_store.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "store/internal/postgres.h"
#include "store/testing/postgres_cluster.h"

namespace bedrock::store {
namespace {

using testing::PostgresCluster;

std::string EncodedPassword() {
  // As PostgresCluster::Url writes it.
  return "s3cr%3At%40p%2Fw%20d%25";
}

void ExpectNoPassword(const core::Error& error, std::string_view password = "") {
  const std::string& message = error.message();
  EXPECT_EQ(message.find(PostgresCluster::kPassword), std::string::npos) << message;
  EXPECT_EQ(message.find(EncodedPassword()), std::string::npos) << message;
  if (!password.empty()) {
    EXPECT_EQ(message.find(password), std::string::npos) << message;
  }
}

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::PostgresTestsDisabled()) GTEST_SKIP() << "BEDROCK_TEST_POSTGRES=off";
    auto cluster = testing::SharedPostgresCluster();
    ASSERT_TRUE(cluster.ok()) << cluster.error();
    cluster_ = *cluster;
    ASSERT_TRUE(cluster_->Resume().ok());  // a test before may have left it stopped
    database_ =
        "db_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
    for (auto& c : database_)
      c = std::isalnum(static_cast<unsigned char>(c)) ? char(std::tolower(c)) : '_';
    database_ = database_.substr(0, 60);
    auto created = cluster_->CreateDatabase(database_);
    ASSERT_TRUE(created.ok()) << created.error();
    url_ = cluster_->Url(database_);
  }

  std::unique_ptr<Store> Open(StoreOptions options) {
    auto store = OpenStore(options);
    EXPECT_TRUE(store.ok()) << (store.ok() ? core::Error::Internal("") : store.error());
    return store.ok() ? std::move(*store) : nullptr;
  }
  std::unique_ptr<Store> Open() { return Open(StoreOptions(url_)); }

  // A libpq connection of our own, beside the store's (for locks and pg_stat_activity).
  std::unique_ptr<internal::Connection> RawConnection() {
    auto parsed = internal::ParseConnectionSettings(url_, std::chrono::seconds(5));
    EXPECT_TRUE(parsed.ok());
    settings_ = std::make_unique<internal::ConnectionSettings>(*parsed);
    auto connection = internal::Connection::Open(*settings_);
    EXPECT_TRUE(connection.ok()) << (connection.ok() ? core::Error::Internal("")
                                                     : connection.error());
    return connection.ok() ? std::move(*connection) : nullptr;
  }

  // The store's backends in this database: how many, and how many wait on a lock.
  int64_t StoreBackends(internal::Connection& raw, bool waiting_on_lock) {
    auto rows = raw.Exec(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND ($1 = 0 OR wait_event_type = 'Lock')",
        internal::Params().Int(waiting_on_lock ? 1 : 0));
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? rows->Int(0, 0) : -1;
  }

  PostgresCluster* cluster_ = nullptr;
  std::string database_;
  std::string url_;
  std::unique_ptr<internal::ConnectionSettings> settings_;  // outlives RawConnection()s
};

// --- Replicas ---

TEST_F(PostgresStoreTest, TwoReplicasSeeEachOthersWrites) {
  auto first = Open();
  auto second = Open();
  ASSERT_TRUE(first && second);
  StoredServer server;
  server.user_id = "alice";
  server.server_id = "exa";
  server.config_json = R"({"url":"https://example.com/mcp"})";
  ASSERT_TRUE(*first->InsertServer(server));
  EXPECT_FALSE(*second->InsertServer(server));  // the id is taken, whichever replica asks
  auto listed = second->ListServers("alice");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->at(0).config_json, server.config_json);

  ASSERT_TRUE(first->AppendHistory("alice", "", {"q1", "a1"}).ok());
  ASSERT_TRUE(second->AppendHistory("alice", "", {"q2"}).ok());
  EXPECT_EQ(first->LoadHistory("alice", "")->messages,
            (std::vector<std::string>{"q1", "a1", "q2"}));
  EXPECT_TRUE(*second->DeleteServer("alice", "exa"));
  EXPECT_TRUE(first->ListServers("alice")->empty());
}

TEST_F(PostgresStoreTest, InstancesOpeningAtOnceMigrateOnce) {
  constexpr int kInstances = 6;
  std::vector<std::future<core::Result<std::unique_ptr<Store>>>> opening;
  std::promise<void> go;
  std::shared_future<void> start = go.get_future().share();
  for (int i = 0; i < kInstances; ++i) {
    opening.push_back(std::async(std::launch::async, [&, start] {
      start.wait();
      return OpenStore(StoreOptions(url_));
    }));
  }
  go.set_value();
  for (auto& future : opening) {
    auto store = future.get();
    ASSERT_TRUE(store.ok()) << store.error();
    EXPECT_EQ((*store)->schema_version(), PostgresStore::LatestSchemaVersion());
  }
  auto raw = RawConnection();
  ASSERT_TRUE(raw);
  auto rows = raw->Exec("SELECT count(*), count(DISTINCT version) FROM schema_migrations");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->Int(0, 0), PostgresStore::LatestSchemaVersion());
  EXPECT_EQ(rows->Int(0, 1), PostgresStore::LatestSchemaVersion());
}

// --- Server restarts and broken connections ---

TEST_F(PostgresStoreTest, ServerDownFailsTheCallCleanlyAndTheNextCallReconnects) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->AppendHistory("alice", "", {"before"}).ok());

  ASSERT_TRUE(cluster_->Stop().ok());
  auto down = store->LoadHistory("alice", "");
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code(), core::ErrorCode::kUnavailable) << down.error();
  EXPECT_NE(down.error().message().find(database_), std::string::npos) << down.error();
  ExpectNoPassword(down.error());

  ASSERT_TRUE(cluster_->Resume().ok());
  auto back = store->LoadHistory("alice", "");
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back->messages, std::vector<std::string>{"before"});
}

TEST_F(PostgresStoreTest, IdleConnectionsClosedByARestartAreReplacedWithoutFailingACall) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->AppendHistory("alice", "", {"before"}).ok());
  ASSERT_TRUE(cluster_->Stop().ok());
  ASSERT_TRUE(cluster_->Resume().ok());
  auto after = store->LoadHistory("alice", "");
  ASSERT_TRUE(after.ok()) << after.error();
  EXPECT_EQ(after->messages, std::vector<std::string>{"before"});
}

TEST_F(PostgresStoreTest, ConnectionKilledMidCallFailsThatCallOnly) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->AppendHistory("alice", "", {"m1"}).ok());
  auto holder = RawConnection();
  auto killer = RawConnection();
  ASSERT_TRUE(holder && killer);
  // Hold the conversation's row lock so the store's next append waits on it mid-transaction.
  ASSERT_TRUE(holder->Command("BEGIN").ok());
  ASSERT_TRUE(holder
                  ->Run("SELECT 1 FROM conversations WHERE user_id = $1 FOR UPDATE",
                        internal::Params().Bytes("alice"))
                  .ok());
  auto append =
      std::async(std::launch::async, [&] { return store->AppendHistory("alice", "", {"m2"}); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  while (StoreBackends(*killer, true) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling pg_stat_activity
  }
  ASSERT_EQ(StoreBackends(*killer, true), 1);
  ASSERT_TRUE(killer
                  ->Run("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'")
                  .ok());
  auto failed = append.get();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code(), core::ErrorCode::kUnavailable) << failed.error();
  ExpectNoPassword(failed.error());
  ASSERT_TRUE(holder->Command("ROLLBACK").ok());

  auto next = store->LoadHistory("alice", "");
  ASSERT_TRUE(next.ok()) << next.error();
  EXPECT_EQ(next->messages, std::vector<std::string>{"m1"});  // the killed append left nothing
}

// --- Locks and the pool ---

TEST_F(PostgresStoreTest, LockHeldLongerThanBusyTimeoutIsUnavailable) {
  StoreOptions options(url_);
  options.busy_timeout = std::chrono::milliseconds(200);
  auto store = Open(options);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->AppendHistory("alice", "", {"m1"}).ok());
  auto holder = RawConnection();
  ASSERT_TRUE(holder);
  ASSERT_TRUE(holder->Command("BEGIN").ok());
  ASSERT_TRUE(holder
                  ->Run("SELECT 1 FROM conversations WHERE user_id = $1 FOR UPDATE",
                        internal::Params().Bytes("alice"))
                  .ok());
  auto blocked = store->AppendHistory("alice", "", {"m2"});
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().code(), core::ErrorCode::kUnavailable) << blocked.error();
  EXPECT_NE(blocked.error().message().find("55P03"), std::string::npos) << blocked.error();
  ASSERT_TRUE(holder->Command("ROLLBACK").ok());
  EXPECT_TRUE(store->AppendHistory("alice", "", {"m2"}).ok());  // the connection was reusable
}

TEST_F(PostgresStoreTest, ConnectionsStayWithinTheBound) {
  StoreOptions options(url_);
  options.max_connections = 2;
  auto store = Open(options);
  ASSERT_TRUE(store);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        if (!store->AppendHistory("u" + std::to_string(t), "", {"m"}).ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  auto raw = RawConnection();
  ASSERT_TRUE(raw);
  EXPECT_LE(StoreBackends(*raw, false), 2);
}

// --- Connection errors: named database, never the password ---

TEST_F(PostgresStoreTest, WrongPasswordIsUnauthenticatedAndNeverQuoted) {
  std::string wrong = "wr0ng:p@ss";
  auto store = OpenStore(StoreOptions(cluster_->UrlWithPassword(database_, wrong)));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), core::ErrorCode::kUnauthenticated) << store.error();
  EXPECT_NE(store.error().message().find(database_), std::string::npos) << store.error();
  ExpectNoPassword(store.error(), wrong);
  ExpectNoPassword(store.error(), "wr0ng%3Ap%40ss");
}

TEST_F(PostgresStoreTest, PasswordFromPgpasswordIsUsedAndNeverQuoted) {
  std::string url = "postgresql://bedrock@/" + database_ + "?host=" + cluster_->directory() +
                    "&port=" + std::to_string(cluster_->port());
  const char* saved = std::getenv("PGPASSWORD");
  std::string restore = saved != nullptr ? saved : "";
  ::setenv("PGPASSWORD", std::string(PostgresCluster::kPassword).c_str(), 1);
  auto good = OpenStore(StoreOptions(url));
  ::setenv("PGPASSWORD", "env-secret-xyz", 1);
  auto bad = OpenStore(StoreOptions(url));
  if (saved != nullptr) {
    ::setenv("PGPASSWORD", restore.c_str(), 1);
  } else {
    ::unsetenv("PGPASSWORD");
  }
  EXPECT_TRUE(good.ok()) << good.error();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), core::ErrorCode::kUnauthenticated) << bad.error();
  ExpectNoPassword(bad.error(), "env-secret-xyz");
}

TEST_F(PostgresStoreTest, UnknownDatabaseIsNotFound) {
  auto store = OpenStore(StoreOptions(cluster_->Url("no_such_database")));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), core::ErrorCode::kNotFound) << store.error();
  EXPECT_NE(store.error().message().find("no_such_database"), std::string::npos);
  ExpectNoPassword(store.error());
}

TEST(PostgresConnectTest, UnreachableServerIsUnavailableAndNamesIt) {
  // A loopback port nobody listens on: bound, then closed.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  int port = ntohs(address.sin_port);
  ::close(fd);
  std::string url = "postgresql://bedrock:hunter2secret@127.0.0.1:" + std::to_string(port) + "/app";
  auto store = OpenStore(StoreOptions(url));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), core::ErrorCode::kUnavailable) << store.error();
  EXPECT_NE(store.error().message().find("bedrock@127.0.0.1:" + std::to_string(port) + "/app"),
            std::string::npos)
      << store.error();
  ExpectNoPassword(store.error(), "hunter2secret");
}

TEST(PostgresConnectTest, MissingSocketDirectoryIsUnavailable) {
  auto store = OpenStore(
      StoreOptions("postgres://bedrock:hunter2secret@/app?host=/nonexistent/bedrock-socket-dir"));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), core::ErrorCode::kUnavailable) << store.error();
  ExpectNoPassword(store.error(), "hunter2secret");
}

// --- Bad URLs: each its own case ---

TEST(PostgresUrlTest, UnknownQueryParameterIsInvalid) {
  auto store = OpenStore(StoreOptions("postgresql://u:hunter2secret@db/app?no_such_option=1"));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), core::ErrorCode::kInvalidArgument) << store.error();
  EXPECT_NE(store.error().message().find("no_such_option"), std::string::npos);
  ExpectNoPassword(store.error(), "hunter2secret");
}

TEST(PostgresUrlTest, MalformedPercentEncodingInPasswordIsInvalidAndRedacted) {
  auto store = OpenStore(StoreOptions("postgresql://u:hunter%zz2secret@db/app"));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), core::ErrorCode::kInvalidArgument) << store.error();
  ExpectNoPassword(store.error(), "hunter%zz2secret");
  ExpectNoPassword(store.error(), "hunter");
}

TEST(PostgresUrlTest, NonNumericPortIsInvalid) {
  auto store = OpenStore(StoreOptions("postgres://u:hunter2secret@db:five/app"));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), core::ErrorCode::kInvalidArgument) << store.error();
  ExpectNoPassword(store.error(), "hunter2secret");
}

TEST(PostgresUrlTest, PasswordQueryParameterIsRedactedInErrors) {
  auto store = OpenStore(StoreOptions("postgresql://u@db/app?password=hunter2secret&bogus=1"));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), core::ErrorCode::kInvalidArgument) << store.error();
  ExpectNoPassword(store.error(), "hunter2secret");
}

TEST(PostgresUrlTest, RedactsUserInfoPassword) {
  EXPECT_EQ(internal::RedactPostgresUrl("postgresql://alice:s%40cret@db:5432/app?sslmode=require"),
            "postgresql://alice:[REDACTED]@db:5432/app?sslmode=require");
}

TEST(PostgresUrlTest, RedactsPasswordQueryParameterWhateverItsSpelling) {
  EXPECT_EQ(internal::RedactPostgresUrl("postgres:///app?host=/tmp&password=x1&Passw%6Frd=x2"),
            "postgres:///app?host=/tmp&password=[REDACTED]&Passw%6Frd=[REDACTED]");
}

TEST(PostgresUrlTest, KeepsUrlsWithoutPassword) {
  EXPECT_EQ(internal::RedactPostgresUrl("postgresql://alice@db/app"), "postgresql://alice@db/app");
  EXPECT_EQ(internal::RedactPostgresUrl("postgresql://db:5432"), "postgresql://db:5432");
}

TEST(PostgresUrlTest, LabelUsesUrlFieldsWithoutPassword) {
  auto settings = internal::ParseConnectionSettings(
      "postgresql://alice:pw123456@db.internal:6543/app", std::chrono::seconds(1));
  ASSERT_TRUE(settings.ok());
  EXPECT_EQ(settings->label, "alice@db.internal:6543/app");
}

TEST(PostgresErrorTest, SqlStatesMapToCodes) {
  using core::ErrorCode;
  EXPECT_EQ(internal::ErrorCodeFromSqlState("23505"), ErrorCode::kAlreadyExists);
  EXPECT_EQ(internal::ErrorCodeFromSqlState("55P03"), ErrorCode::kUnavailable);
  EXPECT_EQ(internal::ErrorCodeFromSqlState("57P01"), ErrorCode::kUnavailable);
  EXPECT_EQ(internal::ErrorCodeFromSqlState("08006"), ErrorCode::kUnavailable);
  EXPECT_EQ(internal::ErrorCodeFromSqlState(""), ErrorCode::kUnavailable);
  EXPECT_EQ(internal::ErrorCodeFromSqlState("57014"), ErrorCode::kDeadlineExceeded);
  EXPECT_EQ(internal::ErrorCodeFromSqlState("40001"), ErrorCode::kAborted);
  EXPECT_EQ(internal::ErrorCodeFromSqlState("28P01"), ErrorCode::kUnauthenticated);
  EXPECT_EQ(internal::ErrorCodeFromSqlState("42501"), ErrorCode::kPermissionDenied);
  EXPECT_EQ(internal::ErrorCodeFromSqlState("3D000"), ErrorCode::kNotFound);
  EXPECT_EQ(internal::ErrorCodeFromSqlState("53100"), ErrorCode::kResourceExhausted);
  EXPECT_EQ(internal::ErrorCodeFromSqlState("XX001"), ErrorCode::kDataLoss);
  EXPECT_EQ(internal::ErrorCodeFromSqlState("42P01"), ErrorCode::kInternal);
}

}  // namespace
}  // namespace bedrock::store

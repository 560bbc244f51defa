// A private, throwaway PostgreSQL server for tests: a cluster in a fresh temp directory (in
// /dev/shm when it has room, else /tmp), listening
// only on a Unix socket in that directory (no TCP port), password authentication (scram-sha-256)
// for one superuser, torn down (server stopped, directory removed) when destroyed.
//
//   auto cluster = BEDROCK_TRY(store::testing::PostgresCluster::Start());
//   BEDROCK_TRY(cluster->CreateDatabase("t1"));
//   auto store = store::OpenStore(store::StoreOptions(cluster->Url("t1")));
//
// The server binaries come from $BEDROCK_POSTGRES_BINDIR, `pg_config --bindir`, or the newest
// /usr/lib/postgresql/*/bin; none found is kNotFound (tests FAIL on it unless
// BEDROCK_TEST_POSTGRES=off, see PostgresTestsDisabled). `initdb` runs once per machine and
// server version into a cached template (/tmp/bedrock-pg-template-*) that each cluster copies,
// since initdb costs a second or more and every test case runs in its own process. Run as root
// (initdb and postgres refuse it), the server runs as the `postgres` user (else `nobody`).
//
// The server is this process's child and dies with it (PR_SET_PDEATHSIG) should a test crash.
// That signal follows the forking thread: call Start/Stop/Resume from the main (test) thread.
//
// Thread-safety: none; one test thread drives it. Url() may be read from any thread.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace bedrock::store::testing {

// Whether BEDROCK_TEST_POSTGRES=off asks to skip the PostgreSQL tests.
bool PostgresTestsDisabled();

class PostgresCluster {
 public:
  // The superuser's name and password (characters a URL must percent-encode, on purpose).
  static constexpr std::string_view kUser = "bedrock";
  static constexpr std::string_view kPassword = "s3cr:t@p/w d%";

  static core::Result<std::unique_ptr<PostgresCluster>> Start();
  ~PostgresCluster();
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  // postgresql://bedrock:<password, percent-encoded>@/<database>?host=<socket dir>&port=<port>
  std::string Url(std::string_view database) const;
  // The same with a different password (for authentication failures).
  std::string UrlWithPassword(std::string_view database, std::string_view password) const;
  // CREATE DATABASE `name` (letters, digits and '_' only).
  core::Status CreateDatabase(std::string_view name);
  // Runs constant SQL in `database` as the superuser.
  core::Status Execute(std::string_view database, std::string_view sql);

  // Fast shutdown (clients are disconnected), waiting for the server to exit.
  core::Status Stop();
  // Starts the stopped server again on the same socket, waiting until it accepts connections.
  core::Status Resume();

  const std::string& directory() const { return directory_; }
  int port() const { return port_; }

 private:
  PostgresCluster() = default;
  core::Status StartServer();

  std::string bindir_;
  std::string directory_;  // socket directory, data in <directory>/data
  int port_ = 5432;
  uid_t uid_ = 0;  // the server's user when run as root (0: ourselves)
  gid_t gid_ = 0;
  pid_t server_ = -1;
};

// The test process's cluster: started on first use, stopped and removed at exit. Call from the
// main thread (see above).
core::Result<PostgresCluster*> SharedPostgresCluster();

// A new empty database on the shared cluster, named after `hint` (made unique); returns its URL.
core::Result<std::string> FreshPostgresDatabase(std::string_view hint);

}  // namespace bedrock::store::testing

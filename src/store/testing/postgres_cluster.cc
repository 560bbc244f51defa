#include "store/testing/postgres_cluster.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <glob.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace bedrock::store::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr auto kReadyTimeout = std::chrono::seconds(60);

bool IsServerBindir(const std::string& dir) {
  return !dir.empty() && ::access((dir + "/postgres").c_str(), X_OK) == 0 &&
         ::access((dir + "/initdb").c_str(), X_OK) == 0;
}

std::string FindBindir() {
  if (const char* env = std::getenv("BEDROCK_POSTGRES_BINDIR"); env != nullptr) {
    return IsServerBindir(env) ? env : "";
  }
  if (FILE* pipe = ::popen("pg_config --bindir 2>/dev/null", "r"); pipe != nullptr) {
    char line[4096] = {};
    std::string dir = std::fgets(line, sizeof line, pipe) != nullptr ? line : "";
    ::pclose(pipe);
    while (!dir.empty() && (dir.back() == '\n' || dir.back() == ' ')) dir.pop_back();
    if (IsServerBindir(dir)) return dir;
  }
  glob_t found{};
  std::vector<std::string> dirs;
  if (::glob("/usr/lib/postgresql/*/bin", 0, nullptr, &found) == 0) {
    for (size_t i = 0; i < found.gl_pathc; ++i) dirs.emplace_back(found.gl_pathv[i]);
  }
  ::globfree(&found);
  // Newest major version first ("15" > "9.6" numerically).
  std::sort(dirs.begin(), dirs.end(), [](const std::string& a, const std::string& b) {
    return std::atof(a.c_str() + 19) > std::atof(b.c_str() + 19);
  });
  for (const auto& dir : dirs) {
    if (IsServerBindir(dir)) return dir;
  }
  return "";
}

std::string ReadTail(const std::string& path, size_t limit = 2000) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  return all.size() > limit ? all.substr(all.size() - limit) : all;
}

std::string PercentEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(char(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// fork + exec of argv[0] with stdout/stderr appended to `log`, as (uid, gid) when both are
// non-zero. With `tie_to_parent`, the child gets SIGQUIT (PostgreSQL's immediate shutdown) when
// the forking thread dies. Everything the child needs is built before fork (async-signal-safety).
core::Result<pid_t> Spawn(const std::vector<std::string>& args, const std::string& log, uid_t uid,
                          gid_t gid, bool tie_to_parent) {
  std::vector<char*> argv;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) return core::Error::Unavailable("cannot open {}", log);
  if (uid != 0) (void)::fchown(out, uid, gid);
  int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(null, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    if (uid != 0) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) ::_exit(126);
    }
    // Set after setuid, which clears it.
    if (tie_to_parent) ::prctl(PR_SET_PDEATHSIG, SIGQUIT);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out);
  ::close(null);
  if (pid < 0) return core::Error::Unavailable("fork failed");
  return pid;
}

core::Status Run(const std::vector<std::string>& args, const std::string& log, uid_t uid,
                 gid_t gid) {
  auto pid = BEDROCK_TRY(Spawn(args, log, uid, gid, false));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return core::OkStatus();
  return core::Error::Internal("{} failed (status {}): {}", args[0], status, ReadTail(log));
}

// The initdb'ed template for this server version and user, made once under a file lock.
core::Result<std::string> Template(const std::string& bindir, const std::string& scratch, uid_t uid,
                                   gid_t gid) {
  std::string version = fs::path(bindir).parent_path().filename().string();
  std::string dir = fmt::format("/tmp/bedrock-pg-template-v1-{}-{}-{}", version, ::geteuid(), uid);
  int lock = ::open((dir + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0) return core::Error::Unavailable("cannot open {}.lock", dir);
  while (::flock(lock, LOCK_EX) != 0 && errno == EINTR) {
  }
  core::Status made = core::OkStatus();
  std::error_code ec;
  if (!fs::exists(dir + "/PG_VERSION", ec)) {
    std::string building = fmt::format("{}.tmp{}", dir, ::getpid());
    fs::remove_all(building, ec);
    std::string password_file = scratch + "/password";
    {
      std::ofstream out(password_file);
      out << PostgresCluster::kPassword << "\n";
    }
    if (uid != 0) (void)::chown(password_file.c_str(), uid, gid);
    made = Run({bindir + "/initdb", "-D", building, "-U", std::string(PostgresCluster::kUser),
                "--auth=scram-sha-256", "--pwfile=" + password_file, "-E", "UTF8", "--no-locale",
                "--no-sync", "--wal-segsize=1"},
               scratch + "/initdb.log", uid, gid);
    fs::remove(password_file, ec);
    if (made.ok()) fs::rename(building, dir, ec);
    if (made.ok() && ec)
      made = core::Error::Internal("cannot rename {}: {}", building, ec.message());
  }
  ::close(lock);  // releases the lock
  if (!made.ok()) return made.error();
  return dir;
}

// Where clusters live: memory (/dev/shm) when it has room, since copying and running a cluster on
// a busy disk costs seconds per test; else /tmp. The template stays on disk (/tmp).
std::string WorkBase() {
  struct statvfs info {};
  if (::statvfs("/dev/shm", &info) == 0 &&
      uint64_t(info.f_bavail) * info.f_frsize >= (uint64_t(512) << 20)) {
    return "/dev/shm";
  }
  return "/tmp";
}

}  // namespace

bool PostgresTestsDisabled() {
  const char* value = std::getenv("BEDROCK_TEST_POSTGRES");
  return value != nullptr && std::string_view(value) == "off";
}

core::Result<std::unique_ptr<PostgresCluster>> PostgresCluster::Start() {
  std::unique_ptr<PostgresCluster> cluster(new PostgresCluster());
  cluster->bindir_ = FindBindir();
  if (cluster->bindir_.empty()) {
    return core::Error::NotFound(
        "no PostgreSQL server binaries (initdb, postgres): install the `postgresql` package "
        "(scripts/install-deps does), set BEDROCK_POSTGRES_BINDIR, or set "
        "BEDROCK_TEST_POSTGRES=off to skip the PostgreSQL tests");
  }
  if (::geteuid() == 0) {
    const passwd* user = ::getpwnam("postgres");
    if (user == nullptr) user = ::getpwnam("nobody");
    if (user == nullptr) return core::Error::NotFound("running as root, but no postgres user");
    cluster->uid_ = user->pw_uid;
    cluster->gid_ = user->pw_gid;
  }
  std::string pattern = WorkBase() + "/bedrock-pg-XXXXXX";  // short: socket paths are ~100 bytes
  if (::mkdtemp(pattern.data()) == nullptr) return core::Error::Unavailable("mkdtemp failed");
  cluster->directory_ = pattern;
  if (cluster->uid_ != 0) (void)::chown(pattern.c_str(), cluster->uid_, cluster->gid_);
  auto source =
      BEDROCK_TRY(Template(cluster->bindir_, cluster->directory_, cluster->uid_, cluster->gid_));
  BEDROCK_TRY(Run({"/bin/cp", "-a", source, cluster->directory_ + "/data"},
                  cluster->directory_ + "/cp.log", cluster->uid_, cluster->gid_));
  BEDROCK_TRY(cluster->StartServer());
  return cluster;
}

PostgresCluster::~PostgresCluster() {
  (void)Stop();
  std::error_code ec;
  if (!directory_.empty()) fs::remove_all(directory_, ec);
}

core::Status PostgresCluster::StartServer() {
  std::string log = directory_ + "/postgres.log";
  server_ = BEDROCK_TRY(
      Spawn({bindir_ + "/postgres", "-D", directory_ + "/data", "-k", directory_, "-p",
             std::to_string(port_), "-c", "listen_addresses=", "-c", "fsync=off", "-c",
             "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=60"},
            log, uid_, gid_, true));
  std::string conninfo = fmt::format("host={} port={} dbname=postgres user={} connect_timeout=5",
                                     directory_, port_, kUser);
  auto deadline = Clock::now() + kReadyTimeout;
  while (Clock::now() < deadline) {
    if (PQping(conninfo.c_str()) == PQPING_OK) return core::OkStatus();
    int status = 0;
    if (::waitpid(server_, &status, WNOHANG) == server_) {
      server_ = -1;
      return core::Error::Unavailable("postgres exited (status {}): {}", status, ReadTail(log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a real signal
  }
  return core::Error::DeadlineExceeded("postgres not ready after 60 s: {}", ReadTail(log));
}

core::Status PostgresCluster::Stop() {
  if (server_ < 0) return core::OkStatus();
  ::kill(server_, SIGINT);  // fast shutdown
  auto deadline = Clock::now() + std::chrono::seconds(30);
  int status = 0;
  for (;;) {
    pid_t done = ::waitpid(server_, &status, WNOHANG);
    if (done == server_ || (done < 0 && errno != EINTR)) break;
    if (Clock::now() > deadline) {
      ::kill(server_, SIGQUIT);  // immediate shutdown
      ::waitpid(server_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling the child's exit
  }
  server_ = -1;
  return core::OkStatus();
}

core::Status PostgresCluster::Resume() {
  if (server_ >= 0) return core::OkStatus();
  return StartServer();
}

std::string PostgresCluster::Url(std::string_view database) const {
  return UrlWithPassword(database, kPassword);
}

std::string PostgresCluster::UrlWithPassword(std::string_view database,
                                             std::string_view password) const {
  return fmt::format("postgresql://{}:{}@/{}?host={}&port={}", kUser, PercentEncode(password),
                     database, directory_, port_);
}

core::Status PostgresCluster::Execute(std::string_view database, std::string_view sql) {
  std::string password(kPassword);
  std::string db(database);
  std::string host = directory_;
  std::string port = std::to_string(port_);
  std::string user(kUser);
  const char* keys[] = {"host", "port", "dbname", "user", "password", nullptr};
  const char* values[] = {host.c_str(), port.c_str(),     db.c_str(),
                          user.c_str(), password.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 0);
  core::Status status = core::OkStatus();
  if (PQstatus(conn) != CONNECTION_OK) {
    status = core::Error::Unavailable("connect: {}", PQerrorMessage(conn));
  } else {
    PGresult* result = PQexec(conn, std::string(sql).c_str());
    ExecStatusType code = PQresultStatus(result);
    if (code != PGRES_COMMAND_OK && code != PGRES_TUPLES_OK) {
      status = core::Error::Internal("{}: {}", sql, PQresultErrorMessage(result));
    }
    PQclear(result);
  }
  PQfinish(conn);
  return status;
}

core::Status PostgresCluster::CreateDatabase(std::string_view name) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
      })) {
    return core::Error::InvalidArgument("bad database name {}", name);
  }
  return Execute("postgres", fmt::format("CREATE DATABASE \"{}\"", name));
}

core::Result<PostgresCluster*> SharedPostgresCluster() {
  static std::unique_ptr<PostgresCluster> cluster;  // destroyed at exit: the server stops
  if (cluster == nullptr) cluster = BEDROCK_TRY(PostgresCluster::Start());
  return cluster.get();
}

core::Result<std::string> FreshPostgresDatabase(std::string_view hint) {
  static int counter = 0;
  PostgresCluster* cluster = BEDROCK_TRY(SharedPostgresCluster());
  std::string name = "t" + std::to_string(++counter) + "_";
  for (char c : hint) {
    if (name.size() >= 60) break;
    name.push_back(std::isalnum(static_cast<unsigned char>(c)) ? char(std::tolower(c)) : '_');
  }
  BEDROCK_TRY(cluster->CreateDatabase(name));
  return cluster->Url(name);
}

}  // namespace bedrock::store::testing

#include "store/internal/postgres.h"

#include <endian.h>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "core/redact.h"

namespace bedrock::store::internal {
namespace {

constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kByteaArrayOid = 1001;

// statement_timeout is busy_timeout plus this: a statement that waits on no lock still ends.
constexpr std::chrono::milliseconds kStatementGrace{30'000};

bool StartsWith(std::string_view text, std::string_view prefix) { return text.starts_with(prefix); }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding for comparing query keys; malformed escapes are kept as they are.
std::string PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int high = HexValue(text[i + 1]);
      int low = HexValue(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(char(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

// The [begin, end) spans of `url` that hold a password: the user info's after its first ':', and
// the value of every `password=` query parameter (the key compared after percent-decoding, as
// libpq does).
std::vector<std::pair<size_t, size_t>> PasswordSpans(std::string_view url) {
  std::vector<std::pair<size_t, size_t>> spans;
  size_t scheme = url.find("://");
  size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
  size_t authority_end = url.find_first_of("/?#", start);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  std::string_view authority = url.substr(start, authority_end - start);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    if (size_t colon = authority.substr(0, at).find(':'); colon != std::string_view::npos) {
      spans.emplace_back(start + colon + 1, start + at);
    }
  }
  size_t query = url.find('?', start);
  if (query == std::string_view::npos) return spans;
  size_t query_end = url.find('#', query);
  if (query_end == std::string_view::npos) query_end = url.size();
  size_t pos = query + 1;
  while (pos < query_end) {
    size_t next = url.find('&', pos);
    if (next == std::string_view::npos || next > query_end) next = query_end;
    std::string_view pair = url.substr(pos, next - pos);
    if (size_t eq = pair.find('='); eq != std::string_view::npos) {
      std::string key = PercentDecode(pair.substr(0, eq));
      std::transform(key.begin(), key.end(), key.begin(),
                     [](unsigned char c) { return char(std::tolower(c)); });
      if (key == "password") spans.emplace_back(pos + eq + 1, next);
    }
    pos = next + 1;
  }
  return spans;
}

// `text` with every secret replaced by core::kRedacted, newlines folded, trailing space trimmed.
std::string Scrub(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
      text.replace(at, secret.size(), core::kRedacted);
    }
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  for (size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at)) {
    size_t end = at + 1;
    while (end < text.size() && (text[end] == '\t' || text[end] == ' ')) ++end;
    text.replace(at, end - at, "; ");
  }
  return text;
}

bool IsPort(std::string_view ports) {
  // libpq accepts one port, or one per host, comma-separated.
  size_t pos = 0;
  while (pos <= ports.size()) {
    size_t next = ports.find(',', pos);
    if (next == std::string_view::npos) next = ports.size();
    std::string_view port = ports.substr(pos, next - pos);
    if (!port.empty()) {
      if (port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit)) return false;
      if (std::atoi(std::string(port).c_str()) > 65535) return false;
    }
    pos = next + 1;
  }
  return true;
}

std::string OneLine(std::string_view sql) {
  std::string out;
  for (char c : sql) {
    bool space = std::isspace(static_cast<unsigned char>(c));
    if (space && (out.empty() || out.back() == ' ')) continue;
    out.push_back(space ? ' ' : c);
    if (out.size() >= 60) break;
  }
  return out;
}

void IgnoreNotice(void*, const char*) {}

}  // namespace

core::ErrorCode ErrorCodeFromSqlState(std::string_view sqlstate) {
  using core::ErrorCode;
  if (sqlstate.empty()) return ErrorCode::kUnavailable;          // no answer: the connection broke
  if (sqlstate == "57014") return ErrorCode::kDeadlineExceeded;  // statement_timeout
  if (sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03" || sqlstate == "55P03" ||
      sqlstate == "53300" || sqlstate == "25006") {
    return ErrorCode::kUnavailable;  // shutdown, lock_timeout, too many connections, standby
  }
  if (sqlstate == "40001" || sqlstate == "40P01") return ErrorCode::kAborted;
  if (sqlstate == "23505") return ErrorCode::kAlreadyExists;
  if (sqlstate == "42501") return ErrorCode::kPermissionDenied;
  if (sqlstate == "3D000") return ErrorCode::kNotFound;
  if (sqlstate == "XX001" || sqlstate == "XX002") return ErrorCode::kDataLoss;
  if (StartsWith(sqlstate, "08")) return ErrorCode::kUnavailable;
  if (StartsWith(sqlstate, "23")) return ErrorCode::kFailedPrecondition;
  if (StartsWith(sqlstate, "28")) return ErrorCode::kUnauthenticated;
  if (StartsWith(sqlstate, "53")) return ErrorCode::kResourceExhausted;
  if (StartsWith(sqlstate, "54")) return ErrorCode::kPayloadTooLarge;
  if (StartsWith(sqlstate, "22")) return ErrorCode::kInvalidArgument;
  return ErrorCode::kInternal;
}

std::string RedactPostgresUrl(std::string_view url) {
  std::string out(url);
  auto spans = PasswordSpans(url);
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
    out.replace(it->first, it->second - it->first, core::kRedacted);
  }
  return out;
}

core::Result<ConnectionSettings> ParseConnectionSettings(std::string_view url,
                                                         std::chrono::milliseconds busy_timeout) {
  ConnectionSettings settings;
  settings.url = std::string(url);
  settings.busy_timeout = busy_timeout;
  for (auto [begin, end] : PasswordSpans(url)) {
    settings.secrets.emplace_back(url.substr(begin, end - begin));
  }
  if (const char* env = std::getenv("PGPASSWORD"); env != nullptr && *env != '\0') {
    settings.secrets.emplace_back(env);
  }
  auto invalid = [&](std::string_view why) {
    return core::Error::InvalidArgument("store: malformed PostgreSQL URL \"{}\": {}",
                                        RedactPostgresUrl(url),
                                        Scrub(std::string(why), settings.secrets));
  };

  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(settings.url.c_str(), &error);
  if (parsed == nullptr) {
    std::string why = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    return invalid(why);
  }
  std::map<std::string, std::string> given;
  for (PQconninfoOption* option = parsed; option->keyword != nullptr; ++option) {
    if (option->val != nullptr && *option->val != '\0') given[option->keyword] = option->val;
  }
  PQconninfoFree(parsed);
  if (auto password = given.find("password"); password != given.end()) {
    settings.secrets.push_back(password->second);
  }
  if (auto port = given.find("port"); port != given.end() && !IsPort(port->second)) {
    return invalid(fmt::format("port \"{}\" is not a number", port->second));
  }

  // The label: what was given, else libpq's defaults (PGHOST, PGUSER, ... and built-ins).
  std::map<std::string, std::string> defaults;
  if (PQconninfoOption* builtin = PQconndefaults(); builtin != nullptr) {
    for (PQconninfoOption* option = builtin; option->keyword != nullptr; ++option) {
      if (option->val != nullptr && *option->val != '\0') defaults[option->keyword] = option->val;
    }
    PQconninfoFree(builtin);
  }
  auto value = [&](const std::string& key) -> std::string {
    if (auto found = given.find(key); found != given.end()) return found->second;
    if (auto found = defaults.find(key); found != defaults.end()) return found->second;
    return "";
  };
  std::string host = value("host");
  if (host.empty()) host = value("hostaddr");
  if (host.empty()) host = "(default socket)";
  std::string user = value("user");
  std::string dbname = value("dbname");
  if (dbname.empty()) dbname = user;
  std::string port = value("port");
  settings.label = fmt::format("{}{}{}{}/{}", user, user.empty() ? "" : "@", host,
                               port.empty() ? "" : ":" + port, dbname);
  settings.label = Scrub(settings.label, settings.secrets);
  return settings;
}

// --- Params ---

Params& Params::Bytes(std::string_view value) {
  params_.push_back(Param{kByteaOid, {}, value, false});
  return *this;
}

Params& Params::Int(int64_t value) {
  uint64_t big = htobe64(static_cast<uint64_t>(value));
  params_.push_back(Param{kInt8Oid, std::string(reinterpret_cast<const char*>(&big), 8), {}, true});
  return *this;
}

Params& Params::BytesArray(const std::vector<std::string>& values) {
  // The binary array format: ndim, has-nulls flag, element type, (size, lower bound) per
  // dimension, then (length, bytes) per element; all integers big-endian int32.
  std::string out;
  auto put = [&out](uint32_t v) {
    uint32_t big = htobe32(v);
    out.append(reinterpret_cast<const char*>(&big), 4);
  };
  put(values.empty() ? 0 : 1);
  put(0);
  put(kByteaOid);
  if (!values.empty()) {
    put(uint32_t(values.size()));
    put(1);
  }
  for (const auto& value : values) {
    put(uint32_t(value.size()));
    out.append(value);
  }
  params_.push_back(Param{kByteaArrayOid, std::move(out), {}, true});
  return *this;
}

// --- Rows ---

Rows::Rows(Rows&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}

Rows& Rows::operator=(Rows&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}

Rows::~Rows() {
  if (result_ != nullptr) PQclear(result_);
}

int Rows::size() const { return PQntuples(result_); }

bool Rows::IsNull(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }

std::string Rows::Bytes(int row, int column) const {
  return std::string(PQgetvalue(result_, row, column), size_t(PQgetlength(result_, row, column)));
}

int64_t Rows::Int(int row, int column) const {
  const char* value = PQgetvalue(result_, row, column);
  int length = PQgetlength(result_, row, column);
  if (length == 8) {
    uint64_t big;
    std::memcpy(&big, value, 8);
    return int64_t(be64toh(big));
  }
  if (length == 4) {
    uint32_t big;
    std::memcpy(&big, value, 4);
    return int32_t(be32toh(big));
  }
  return 0;
}

int64_t Rows::affected() const {
  const char* count = PQcmdTuples(result_);
  return count == nullptr || *count == '\0' ? 0 : std::strtoll(count, nullptr, 10);
}

// --- Connection ---

core::Result<std::unique_ptr<Connection>> Connection::Open(const ConnectionSettings& settings) {
  int64_t busy_ms = settings.busy_timeout.count();
  // libpq counts whole seconds and treats 1 as 2; an explicit URL value or PGCONNECT_TIMEOUT wins.
  std::string connect_timeout = std::to_string(std::max<int64_t>(2, (busy_ms + 999) / 1000));
  std::vector<const char*> keys;
  std::vector<const char*> values;
  if (std::getenv("PGCONNECT_TIMEOUT") == nullptr) {
    keys.push_back("connect_timeout");
    values.push_back(connect_timeout.c_str());
  }
  keys.push_back("fallback_application_name");
  values.push_back("bedrock-mcp");
  keys.push_back("dbname");  // expanded: the URL's own fields override the entries before it
  values.push_back(settings.url.c_str());
  keys.push_back(nullptr);
  values.push_back(nullptr);

  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 1);
  if (conn == nullptr) return core::Error::ResourceExhausted("postgres: out of memory");
  PQsetNoticeProcessor(conn, IgnoreNotice, nullptr);  // libpq would print notices to stderr
  std::unique_ptr<Connection> connection(new Connection(conn, &settings));
  if (PQstatus(conn) != CONNECTION_OK) {
    // libpq keeps no SQLSTATE for a failed start-up: the few cases worth telling apart are
    // recognised by libpq's own flag and the server's (English) message.
    std::string message = Scrub(PQerrorMessage(conn), settings.secrets);
    core::ErrorCode code = core::ErrorCode::kUnavailable;
    if (PQconnectionNeedsPassword(conn) ||
        message.find("authentication failed") != std::string::npos) {
      code = core::ErrorCode::kUnauthenticated;
    } else if (message.find("database \"") != std::string::npos &&
               message.find("does not exist") != std::string::npos) {
      code = core::ErrorCode::kNotFound;
    }
    return core::Error(code,
                       fmt::format("postgres: cannot connect to {}: {}", settings.label, message));
  }
  // 0 would disable lock_timeout in PostgreSQL; "do not wait" is the closest meaning of 0 here.
  Params timeouts;
  timeouts.Int(std::max<int64_t>(1, busy_ms)).Int(busy_ms + kStatementGrace.count());
  BEDROCK_TRY(
      connection->Exec("SELECT set_config('lock_timeout', $1::text, false), "
                       "set_config('statement_timeout', $2::text, false)",
                       timeouts));
  return connection;
}

Connection::~Connection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

core::Error Connection::ErrorFrom(pg_result* result, std::string_view what) const {
  std::string sqlstate;
  std::string message;
  if (result != nullptr) {
    if (const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE)) sqlstate = state;
    if (const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY)) {
      message = primary;
    } else {
      message = PQresultErrorMessage(result);
    }
  }
  if (message.empty()) message = PQerrorMessage(conn_);
  if (message.empty()) message = "unknown error";
  return core::Error(ErrorCodeFromSqlState(sqlstate),
                     fmt::format("postgres: {}: {} (SQLSTATE {}; {})", OneLine(what),
                                 Scrub(std::move(message), settings_->secrets),
                                 sqlstate.empty() ? "none" : sqlstate, settings_->label));
}

core::Result<Rows> Connection::Exec(std::string_view sql, const Params& params) {
  const auto& list = params.params_;
  auto found = prepared_.find(sql);
  if (found == prepared_.end()) {
    std::string name = fmt::format("bedrock_{}", prepared_.size() + 1);
    std::vector<Oid> types;
    for (const auto& param : list) types.push_back(param.type);
    Rows prepared(
        PQprepare(conn_, name.c_str(), std::string(sql).c_str(), int(list.size()), types.data()));
    if (prepared.result_ == nullptr || PQresultStatus(prepared.result_) != PGRES_COMMAND_OK) {
      return ErrorFrom(prepared.result_, sql);
    }
    found = prepared_.emplace(std::string(sql), std::move(name)).first;
  }
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats(list.size(), 1);
  for (const auto& param : list) {
    std::string_view bytes = param.use_owned ? std::string_view(param.owned) : param.view;
    // A null pointer would mean SQL NULL: an empty value needs a real (empty) buffer.
    values.push_back(bytes.data() != nullptr ? bytes.data() : "");
    lengths.push_back(int(bytes.size()));
  }
  Rows rows(PQexecPrepared(conn_, found->second.c_str(), int(list.size()), values.data(),
                           lengths.data(), formats.data(), 1));
  ExecStatusType status =
      rows.result_ == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(rows.result_);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) return ErrorFrom(rows.result_, sql);
  return rows;
}

core::Status Connection::Run(std::string_view sql, const Params& params) {
  BEDROCK_TRY(Exec(sql, params));
  return core::OkStatus();
}

core::Status Connection::Command(std::string_view sql) {
  Rows result(PQexec(conn_, std::string(sql).c_str()));
  ExecStatusType status =
      result.result_ == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(result.result_);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return ErrorFrom(result.result_, sql);
  }
  return core::OkStatus();
}

bool Connection::Reusable() const {
  return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
}

bool Connection::IdleAndAlive() {
  if (!Reusable()) return false;
  // An idle connection is sent nothing (the store never LISTENs): anything readable is a
  // shutdown notice or the end of the stream.
  pollfd poll_fd{PQsocket(conn_), POLLIN, 0};
  int ready = ::poll(&poll_fd, 1, 0);
  return ready == 0 || (ready < 0 && errno == EINTR);
}

// --- ConnectionPool ---

ConnectionPool::ConnectionPool(ConnectionSettings settings, size_t max_connections)
    : settings_(std::move(settings)), max_connections_(std::max<size_t>(1, max_connections)) {}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::Lease::~Lease() {
  if (connection_ != nullptr) pool_->Release(std::move(connection_));
}

size_t ConnectionPool::open_connections() const {
  std::lock_guard lock(mutex_);
  return open_;
}

core::Result<ConnectionPool::Lease> ConnectionPool::Acquire() {
  auto deadline = std::chrono::steady_clock::now() + settings_.busy_timeout;
  std::vector<std::unique_ptr<Connection>> dead;  // closed outside the lock
  std::unique_lock lock(mutex_);
  for (;;) {
    while (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      if (connection->IdleAndAlive()) return Lease(this, std::move(connection));
      dead.push_back(std::move(connection));
      --open_;
    }
    if (open_ < max_connections_) {
      ++open_;
      lock.unlock();
      dead.clear();
      auto opened = Connection::Open(settings_);
      if (!opened.ok()) {
        lock.lock();
        --open_;
        returned_.notify_one();
        return opened.error();
      }
      return Lease(this, std::move(*opened));
    }
    if (returned_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= max_connections_) {
      return core::Error::Unavailable("postgres: all {} connections to {} stayed busy for {} ms",
                                      max_connections_, settings_.label,
                                      settings_.busy_timeout.count());
    }
  }
}

void ConnectionPool::Release(std::unique_ptr<Connection> connection) {
  std::vector<std::unique_ptr<Connection>> dropped;  // closed outside the lock
  {
    std::lock_guard lock(mutex_);
    if (connection->Reusable()) {
      idle_.push_back(std::move(connection));
    } else {
      // Broken (or stuck in a transaction): whatever broke it (a server restart, a network
      // failure) has most likely broken the idle ones too.
      dropped.push_back(std::move(connection));
      for (auto& idle : idle_) dropped.push_back(std::move(idle));
      idle_.clear();
      open_ -= dropped.size();
    }
  }
  returned_.notify_all();
}

}  // namespace bedrock::store::internal

#include "mcp/internal/task_store.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "mcp/internal/random_id.h"

namespace bedrock::mcp::internal {

// The work of a task waiting for input: woken (on its executor) by cancelling the timer once
// `ready` is set, or by the task's cancellation, which leaves `ready` false.
struct InputWaiter {
  explicit InputWaiter(boost::asio::any_io_executor executor)
      : timer(executor, boost::asio::steady_timer::time_point::max()) {}
  boost::asio::steady_timer timer;
  bool ready = false;  // written under the store's mutex, read after waking
};

namespace {

namespace asio = boost::asio;
namespace json = boost::json;

int64_t UnixMillis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// 2026-11-22T12:00:00.123Z
std::string Iso8601(int64_t unix_ms) {
  std::chrono::sys_time<std::chrono::milliseconds> t{std::chrono::milliseconds(unix_ms)};
  auto seconds = std::chrono::floor<std::chrono::seconds>(t);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", seconds,
                     static_cast<int>((t - seconds).count()));
}

// 16 random bytes as 32 hex digits: unguessable, so a task id is no capability another caller
// could enumerate (and Find checks the principal besides).
std::string NewTaskId() { return RandomHexId(16); }

}  // namespace

std::string_view TaskStatusName(TaskStatus status) {
  switch (status) {
    case TaskStatus::kWorking:
      return "working";
    case TaskStatus::kInputRequired:
      return "input_required";
    case TaskStatus::kCompleted:
      return "completed";
    case TaskStatus::kFailed:
      return "failed";
    case TaskStatus::kCancelled:
      return "cancelled";
  }
  return "working";
}

bool IsTerminal(TaskStatus status) {
  return status == TaskStatus::kCompleted || status == TaskStatus::kFailed ||
         status == TaskStatus::kCancelled;
}

json::object TaskSnapshot::ToJson(bool detailed) const {
  json::object o;
  o["taskId"] = id;
  o["status"] = TaskStatusName(status);
  o["createdAt"] = Iso8601(created_at_ms);
  o["lastUpdatedAt"] = Iso8601(updated_at_ms);
  o["ttlMs"] = ttl_ms;
  o["pollIntervalMs"] = poll_interval_ms;
  if (detailed) {
    if (status == TaskStatus::kInputRequired) o["inputRequests"] = input_requests;
    if (result) o["result"] = *result;
    if (error) {
      json::object e;
      e["code"] = error->code;
      e["message"] = error->message;
      if (!error->data.is_null()) e["data"] = error->data;
      o["error"] = std::move(e);
    }
  }
  return o;
}

TaskStore::TaskStore(Options options) : options_(std::move(options)) {}

std::chrono::system_clock::time_point TaskStore::Now() const {
  return options_.clock ? options_.clock() : std::chrono::system_clock::now();
}

void TaskStore::DropExpired(std::chrono::system_clock::time_point now) {
  std::erase_if(tasks_, [now](const auto& entry) {
    // A task still running is never dropped: its work would finish into nothing.
    return IsTerminal(entry.second.snapshot.status) && entry.second.expires <= now;
  });
}

void TaskStore::Touch(Task& task, std::chrono::system_clock::time_point now) {
  task.snapshot.updated_at_ms = UnixMillis(now);
  task.expires = now + options_.ttl;
}

core::Result<TaskSnapshot> TaskStore::Create(std::string principal, asio::any_io_executor executor,
                                             std::function<void()> on_cancel) {
  auto now = Now();
  std::lock_guard lock(mutex_);
  if (tasks_.size() >= options_.max_tasks) DropExpired(now);
  if (tasks_.size() >= options_.max_tasks) {
    return core::Error::ResourceExhausted("too many tasks ({}); try again later",
                                          options_.max_tasks);
  }
  Task task;
  task.snapshot.id = NewTaskId();
  task.snapshot.created_at_ms = UnixMillis(now);
  task.snapshot.ttl_ms = options_.ttl.count();
  task.snapshot.poll_interval_ms = options_.poll_interval.count();
  task.principal = std::move(principal);
  task.executor = std::move(executor);
  task.signal = std::make_shared<asio::cancellation_signal>();
  task.on_cancel = std::move(on_cancel);
  Touch(task, now);
  TaskSnapshot snapshot = task.snapshot;
  tasks_.emplace(snapshot.id, std::move(task));
  return snapshot;
}

std::optional<TaskSnapshot> TaskStore::Find(std::string_view id, std::string_view principal) {
  auto now = Now();
  std::lock_guard lock(mutex_);
  auto it = tasks_.find(std::string(id));
  if (it == tasks_.end() || it->second.principal != principal) return std::nullopt;
  if (IsTerminal(it->second.snapshot.status) && it->second.expires <= now) {
    tasks_.erase(it);
    return std::nullopt;
  }
  return it->second.snapshot;
}

void TaskStore::Complete(std::string_view id, json::object result) {
  auto now = Now();
  std::lock_guard lock(mutex_);
  auto it = tasks_.find(std::string(id));
  if (it == tasks_.end() || IsTerminal(it->second.snapshot.status)) return;
  it->second.snapshot.status = TaskStatus::kCompleted;
  it->second.snapshot.result = std::move(result);
  Touch(it->second, now);
}

void TaskStore::Fail(std::string_view id, RpcError error) {
  auto now = Now();
  std::lock_guard lock(mutex_);
  auto it = tasks_.find(std::string(id));
  if (it == tasks_.end() || IsTerminal(it->second.snapshot.status)) return;
  it->second.snapshot.status = TaskStatus::kFailed;
  it->second.snapshot.error = std::move(error);
  Touch(it->second, now);
}

bool TaskStore::Cancel(std::string_view id, std::string_view principal) {
  auto now = Now();
  std::shared_ptr<asio::cancellation_signal> signal;
  asio::any_io_executor executor;
  std::function<void()> on_cancel;
  {
    std::lock_guard lock(mutex_);
    auto it = tasks_.find(std::string(id));
    if (it == tasks_.end() || it->second.principal != principal) return false;
    if (IsTerminal(it->second.snapshot.status)) return true;
    it->second.snapshot.status = TaskStatus::kCancelled;
    Touch(it->second, now);
    signal = it->second.signal;
    executor = it->second.executor;
    on_cancel = std::move(it->second.on_cancel);
  }
  // The work runs on `executor`; its cancellation slot may only be emitted there.
  asio::dispatch(executor, [signal, on_cancel = std::move(on_cancel)] {
    if (on_cancel) on_cancel();
    signal->emit(asio::cancellation_type::terminal);
  });
  return true;
}

Awaitable<core::Result<json::object>> TaskStore::WaitForInput(std::string id,
                                                              json::object requests) {
  auto waiter = std::make_shared<InputWaiter>(co_await asio::this_coro::executor);
  {
    auto now = Now();
    std::lock_guard lock(mutex_);
    auto it = tasks_.find(id);
    if (it == tasks_.end() || IsTerminal(it->second.snapshot.status)) {
      co_return core::Error::Cancelled("task {} ended", id);
    }
    Task& task = it->second;
    task.snapshot.status = TaskStatus::kInputRequired;
    task.snapshot.input_requests = std::move(requests);
    task.answers = json::object();
    task.waiter = waiter;
    Touch(task, now);
  }
  co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  auto now = Now();
  std::lock_guard lock(mutex_);
  auto it = tasks_.find(id);
  if (it == tasks_.end()) co_return core::Error::Cancelled("task {} ended", id);
  Task& task = it->second;
  task.waiter.reset();
  if (!waiter->ready) {
    co_return core::Error::Cancelled("task {} was cancelled while waiting for input", id);
  }
  task.snapshot.status = TaskStatus::kWorking;
  task.snapshot.input_requests = json::object();
  Touch(task, now);
  co_return std::move(task.answers);
}

bool TaskStore::ProvideInput(std::string_view id, std::string_view principal,
                             const json::object& responses) {
  auto now = Now();
  std::shared_ptr<InputWaiter> wake;
  {
    std::lock_guard lock(mutex_);
    auto it = tasks_.find(std::string(id));
    if (it == tasks_.end() || it->second.principal != principal) return false;
    Task& task = it->second;
    if (task.snapshot.status != TaskStatus::kInputRequired || !task.waiter) return true;
    for (const auto& [key, answer] : responses) {
      if (task.snapshot.input_requests.erase(key) > 0) task.answers[key] = answer;
    }
    Touch(task, now);
    if (task.snapshot.input_requests.empty() && !task.waiter->ready) {
      task.waiter->ready = true;
      wake = task.waiter;
    }
  }
  if (wake) {
    asio::any_io_executor executor = wake->timer.get_executor();
    // Expiring (rather than cancelling) the timer wakes a wait that has not begun yet too.
    asio::dispatch(executor,
                   [wake] { wake->timer.expires_at(asio::steady_timer::time_point::min()); });
  }
  return true;
}

std::shared_ptr<asio::cancellation_signal> TaskStore::Signal(std::string_view id) {
  std::lock_guard lock(mutex_);
  auto it = tasks_.find(std::string(id));
  if (it == tasks_.end()) return nullptr;
  return it->second.signal;
}

size_t TaskStore::size() {
  std::lock_guard lock(mutex_);
  return tasks_.size();
}

}  // namespace bedrock::mcp::internal

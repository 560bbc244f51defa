// The tasks of the tasks extension (SEP-2663) a Server is running or keeps results of: created by
// tools/call, read by tasks/get, cancelled by tasks/cancel, forgotten ttl after their last change.
// Internal to the mcp module (Server owns one).
//
// A task belongs to the principal that created it (the transport's authenticated caller, "" when
// the transport has none): another principal gets "unknown task", exactly as for an id that never
// existed, so task ids reveal nothing across callers.
//
// Thread-safety: every member may be called from any thread; a task's fields are read and written
// under the store's mutex only (Snapshot copies them out).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/result.h"
#include "mcp/jsonrpc.h"
#include "mcp/transport.h"

namespace bedrock::mcp::internal {

struct InputWaiter;  // task_store.cc

enum class TaskStatus { kWorking, kInputRequired, kCompleted, kFailed, kCancelled };
std::string_view TaskStatusName(TaskStatus status);
bool IsTerminal(TaskStatus status);

// What tasks/get reports of a task, copied out of the store.
struct TaskSnapshot {
  std::string id;
  TaskStatus status = TaskStatus::kWorking;
  int64_t created_at_ms = 0;  // Unix milliseconds
  int64_t updated_at_ms = 0;
  int64_t ttl_ms = 0;
  int64_t poll_interval_ms = 0;
  std::optional<boost::json::object> result;  // completed
  std::optional<RpcError> error;              // failed
  boost::json::object input_requests;         // input_required: key -> {method, params}

  // The Task fields every task envelope carries: taskId, status, createdAt, lastUpdatedAt (ISO
  // 8601), ttlMs, pollIntervalMs. With `detailed`, also the inlined result or error (tasks/get).
  boost::json::object ToJson(bool detailed) const;
};

class TaskStore {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  struct Options {
    Options() {}
    std::chrono::milliseconds ttl{std::chrono::hours(1)};
    std::chrono::milliseconds poll_interval{500};
    size_t max_tasks = 10'000;  // live and finished, all principals together
    Clock clock;                // empty: system_clock::now
  };

  explicit TaskStore(Options options = Options());

  // A new working task of `principal`; its cancellation (`on_cancel`, then the signal) happens on
  // `executor`, where the task runs. kResourceExhausted when max_tasks tasks exist even after
  // dropping expired ones.
  core::Result<TaskSnapshot> Create(std::string principal, boost::asio::any_io_executor executor,
                                    std::function<void()> on_cancel = nullptr);
  // The task, when it exists, has not expired and belongs to `principal`.
  std::optional<TaskSnapshot> Find(std::string_view id, std::string_view principal);
  // Ends a working task with its result or protocol error; a task already ended (cancelled)
  // keeps its state.
  void Complete(std::string_view id, boost::json::object result);
  void Fail(std::string_view id, RpcError error);
  // Marks the task cancelled (unless it has ended) and cancels its work; false for an unknown
  // task (or another principal's). Cancelling an ended task changes nothing and returns true.
  bool Cancel(std::string_view id, std::string_view principal);
  // Called by the task's work (on its executor): parks the task in input_required with
  // `requests` (key -> {method, params}) until tasks/update has answered every key, then returns
  // the answers by key. kCancelled when the task is cancelled first.
  Awaitable<core::Result<boost::json::object>> WaitForInput(std::string id,
                                                            boost::json::object requests);
  // tasks/update: records the answers to keys the task waits for (others are ignored) and wakes
  // the work once none is left. False for an unknown task (or another principal's).
  bool ProvideInput(std::string_view id, std::string_view principal,
                    const boost::json::object& responses);
  // The signal the task's work is bound to (emitted on the task's executor by Cancel). The work
  // keeps it alive while it runs, since an ended task may be forgotten first.
  std::shared_ptr<boost::asio::cancellation_signal> Signal(std::string_view id);
  size_t size();

 private:
  struct Task {
    TaskSnapshot snapshot;
    std::string principal;
    boost::asio::any_io_executor executor;
    // Emitted on `executor` only; shared so a posted emit outlives the task's removal.
    std::shared_ptr<boost::asio::cancellation_signal> signal;
    std::function<void()> on_cancel;
    std::shared_ptr<InputWaiter> waiter;  // set while the work waits for input
    boost::json::object answers;          // answers gathered for the waiter
    std::chrono::system_clock::time_point expires;
  };
  std::chrono::system_clock::time_point Now() const;
  void DropExpired(std::chrono::system_clock::time_point now);        // mutex held
  void Touch(Task& task, std::chrono::system_clock::time_point now);  // mutex held

  Options options_;
  std::mutex mutex_;
  std::unordered_map<std::string, Task> tasks_;
};

}  // namespace bedrock::mcp::internal

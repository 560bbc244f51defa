// The tasks extension's task store: ownership by principal, expiry, the bound, cancellation, and
// input waits answered (in part, in full) or cancelled.
#include "mcp/internal/task_store.h"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "mcp/testing/test_util.h"

namespace bedrock::mcp::internal {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using testing::RunCoroutine;

// A store whose clock the test moves.
struct FakeClockStore {
  explicit FakeClockStore(size_t max_tasks = 100) {
    TaskStore::Options options;
    options.ttl = std::chrono::seconds(60);
    options.max_tasks = max_tasks;
    options.clock = [this] { return now; };
    store = std::make_unique<TaskStore>(options);
  }
  std::chrono::system_clock::time_point now{std::chrono::seconds(1'800'000'000)};
  std::unique_ptr<TaskStore> store;
};

json::object Elicitation(std::string_view message) {
  return json::object{{"method", "elicitation/create"},
                      {"params", json::object{{"message", message}}}};
}

TEST(TaskStoreTest, NewTaskIsWorkingAndCarriesTheEnvelopeFields) {
  asio::io_context io;
  FakeClockStore f;
  auto task = f.store->Create("alice", io.get_executor());
  ASSERT_TRUE(task.ok());
  EXPECT_EQ(task->id.size(), 32u);
  json::object envelope = task->ToJson(/*detailed=*/true);
  EXPECT_EQ(envelope.at("status"), "working");
  EXPECT_EQ(envelope.at("ttlMs"), 60'000);
  EXPECT_EQ(envelope.at("createdAt"), "2027-01-15T08:00:00.000Z");
  EXPECT_EQ(envelope.at("lastUpdatedAt"), envelope.at("createdAt"));
  EXPECT_FALSE(envelope.contains("result"));
  EXPECT_FALSE(envelope.contains("error"));
  EXPECT_FALSE(envelope.contains("inputRequests"));
}

TEST(TaskStoreTest, UnknownTaskIsNotFound) {
  FakeClockStore f;
  EXPECT_FALSE(f.store->Find("0123456789abcdef0123456789abcdef", "alice").has_value());
  EXPECT_FALSE(f.store->Cancel("0123456789abcdef0123456789abcdef", "alice"));
  EXPECT_FALSE(f.store->ProvideInput("nope", "alice", json::object{}));
}

TEST(TaskStoreTest, AnotherPrincipalCannotReadCancelOrAnswerATask) {
  asio::io_context io;
  FakeClockStore f;
  auto task = f.store->Create("alice", io.get_executor());
  ASSERT_TRUE(task.ok());
  EXPECT_FALSE(f.store->Find(task->id, "mallory").has_value());
  EXPECT_FALSE(f.store->Find(task->id, "").has_value());
  EXPECT_FALSE(f.store->Cancel(task->id, "mallory"));
  EXPECT_FALSE(f.store->ProvideInput(task->id, "mallory", json::object{{"k", 1}}));
  EXPECT_EQ(f.store->Find(task->id, "alice")->status, TaskStatus::kWorking);
}

TEST(TaskStoreTest, CompletedTaskKeepsItsResultUntilTheTtlThenIsForgotten) {
  asio::io_context io;
  FakeClockStore f;
  auto task = f.store->Create("", io.get_executor());
  ASSERT_TRUE(task.ok());
  f.now += std::chrono::seconds(5);
  f.store->Complete(task->id, json::object{{"content", json::array{}}});
  f.now += std::chrono::seconds(59);
  auto found = f.store->Find(task->id, "");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->status, TaskStatus::kCompleted);
  EXPECT_TRUE(found->ToJson(true).contains("result"));
  f.now += std::chrono::seconds(2);
  EXPECT_FALSE(f.store->Find(task->id, "").has_value());
}

TEST(TaskStoreTest, RunningTaskIsNeverExpired) {
  asio::io_context io;
  FakeClockStore f;
  auto task = f.store->Create("", io.get_executor());
  ASSERT_TRUE(task.ok());
  f.now += std::chrono::hours(5);
  EXPECT_TRUE(f.store->Find(task->id, "").has_value());
}

TEST(TaskStoreTest, FailedTaskCarriesItsErrorAndNoResult) {
  asio::io_context io;
  FakeClockStore f;
  auto task = f.store->Create("", io.get_executor());
  ASSERT_TRUE(task.ok());
  f.store->Fail(task->id, RpcError{-32603, "worker crashed", nullptr});
  json::object detailed = f.store->Find(task->id, "")->ToJson(true);
  EXPECT_EQ(detailed.at("status"), "failed");
  EXPECT_EQ(detailed.at("error").at("code"), -32603);
  EXPECT_FALSE(detailed.contains("result"));
}

TEST(TaskStoreTest, CancellingAnEndedTaskChangesNothing) {
  asio::io_context io;
  FakeClockStore f;
  auto task = f.store->Create("", io.get_executor());
  ASSERT_TRUE(task.ok());
  f.store->Complete(task->id, json::object{{"content", json::array{}}});
  EXPECT_TRUE(f.store->Cancel(task->id, ""));
  EXPECT_EQ(f.store->Find(task->id, "")->status, TaskStatus::kCompleted);
}

TEST(TaskStoreTest, WorkFinishingAfterCancelKeepsTheCancelledStatus) {
  asio::io_context io;
  FakeClockStore f;
  bool on_cancel_ran = false;
  auto task = f.store->Create("", io.get_executor(), [&] { on_cancel_ran = true; });
  ASSERT_TRUE(task.ok());
  EXPECT_TRUE(f.store->Cancel(task->id, ""));
  io.poll();  // the cancellation runs on the task's executor
  EXPECT_TRUE(on_cancel_ran);
  f.store->Complete(task->id, json::object{{"content", json::array{}}});
  auto found = f.store->Find(task->id, "");
  EXPECT_EQ(found->status, TaskStatus::kCancelled);
  EXPECT_FALSE(found->result.has_value());
}

TEST(TaskStoreTest, FullStoreRefusesNewTasksUntilEndedOnesExpire) {
  asio::io_context io;
  FakeClockStore f(/*max_tasks=*/2);
  auto first = f.store->Create("", io.get_executor());
  auto second = f.store->Create("", io.get_executor());
  ASSERT_TRUE(first.ok() && second.ok());
  auto third = f.store->Create("", io.get_executor());
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code(), core::ErrorCode::kResourceExhausted);
  f.store->Complete(first->id, json::object{});
  f.now += std::chrono::seconds(61);
  EXPECT_TRUE(f.store->Create("", io.get_executor()).ok());
}

// Waits for `requests` of task `id` and stores what came back.
Awaitable<void> WaitInto(TaskStore& store, std::string id, json::object requests,
                         std::optional<core::Result<json::object>>& out) {
  out = co_await store.WaitForInput(std::move(id), std::move(requests));
}

TEST(TaskStoreTest, PartialAnswersKeepTheTaskWaitingWithOnlyThePendingKeys) {
  FakeClockStore f;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto task = f.store->Create("", ex);
    MCP_CO_ASSERT_OK(task);
    std::string id = task->id;
    std::optional<core::Result<json::object>> answers;
    json::object requests;
    requests["a"] = Elicitation("A?");
    requests["b"] = Elicitation("B?");
    asio::co_spawn(ex, WaitInto(*f.store, id, std::move(requests), answers), asio::detached);
    // The waiter parks at once (it runs before this coroutine resumes from the post below).
    co_await asio::post(ex, asio::use_awaitable);
    auto waiting = f.store->Find(id, "");
    EXPECT_EQ(waiting->status, TaskStatus::kInputRequired);
    EXPECT_EQ(waiting->input_requests.size(), 2u);
    EXPECT_TRUE(f.store->ProvideInput(id, "", json::object{{"a", "answer a"}, {"zzz", 1}}));
    co_await asio::post(ex, asio::use_awaitable);
    EXPECT_FALSE(answers.has_value());
    auto partial = f.store->Find(id, "");
    EXPECT_EQ(partial->status, TaskStatus::kInputRequired);
    EXPECT_FALSE(partial->input_requests.contains("a"));
    EXPECT_TRUE(partial->input_requests.contains("b"));
    EXPECT_TRUE(f.store->ProvideInput(id, "", json::object{{"b", "answer b"}}));
    for (int i = 0; i < 10 && !answers; ++i) co_await asio::post(ex, asio::use_awaitable);
    if (!answers.has_value()) {
      ADD_FAILURE() << "the wait did not end";
      co_return;
    }
    MCP_CO_ASSERT_OK(*answers);
    EXPECT_EQ((**answers).at("a"), "answer a");
    EXPECT_EQ((**answers).at("b"), "answer b");
    EXPECT_FALSE((**answers).contains("zzz"));
    EXPECT_EQ(f.store->Find(id, "")->status, TaskStatus::kWorking);
  });
}

TEST(TaskStoreTest, CancelWakesWorkWaitingForInputWithCancelled) {
  FakeClockStore f;
  RunCoroutine([&](asio::any_io_executor ex) -> Awaitable<void> {
    auto task = f.store->Create("", ex);
    MCP_CO_ASSERT_OK(task);
    std::string id = task->id;
    auto signal = f.store->Signal(id);
    std::optional<core::Result<json::object>> answers;
    json::object requests;
    requests["a"] = Elicitation("A?");
    asio::co_spawn(ex, WaitInto(*f.store, id, std::move(requests), answers),
                   asio::bind_cancellation_slot(signal->slot(), asio::detached));
    co_await asio::post(ex, asio::use_awaitable);
    EXPECT_TRUE(f.store->Cancel(id, ""));
    for (int i = 0; i < 10 && !answers; ++i) co_await asio::post(ex, asio::use_awaitable);
    if (!answers.has_value() || answers->ok()) {
      ADD_FAILURE() << "the wait did not end with an error";
      co_return;
    }
    EXPECT_EQ(answers->error().code(), core::ErrorCode::kCancelled);
    EXPECT_EQ(f.store->Find(id, "")->status, TaskStatus::kCancelled);
  });
}

}  // namespace
}  // namespace bedrock::mcp::internal

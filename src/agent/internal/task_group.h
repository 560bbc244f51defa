// Runs coroutines concurrently and hands their results back one by one, in completion order; can
// cancel all of them. Internal to the agent module.
//
//   internal::TaskGroup<Outcome> group(executor);
//   for (size_t i = 0; i < n; ++i) group.Spawn(i, RunOne(i));
//   while (auto done = co_await group.Next()) Use(done->first, std::move(done->second));
//
// The owner must drain the group (Next() until nullopt) before destroying it: that is what
// guarantees no task outlives the state it references. Results and signals live in shared state
// that the tasks' completion handlers keep alive, so even an early destruction is memory-safe.
//
// Thread-safety: one executor (or strand); every task runs on it.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <utility>

namespace bedrock::agent::internal {

template <typename T>
class TaskGroup {
 public:
  explicit TaskGroup(boost::asio::any_io_executor executor)
      : state_(std::make_shared<State>(executor)) {}
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

  // Starts `task` at once (it runs when the caller next suspends); `index` tags its result.
  void Spawn(size_t index, boost::asio::awaitable<T> task) {
    auto state = state_;
    boost::asio::cancellation_signal& signal = state->signals.emplace_back();
    ++state->running;
    boost::asio::co_spawn(state->executor, std::move(task),
                          boost::asio::bind_cancellation_slot(
                              signal.slot(), [state, index](std::exception_ptr error, T value) {
                                --state->running;
                                if (error && !state->error) state->error = error;
                                if (!error) state->done.emplace_back(index, std::move(value));
                                state->wakeup.cancel();
                              }));
  }

  // Asks every running task to stop (asio terminal cancellation); their results still arrive.
  void CancelAll() {
    for (auto& signal : state_->signals) signal.emit(boost::asio::cancellation_type::terminal);
  }

  size_t running() const { return state_->running; }

  // The next finished task, or nullopt once every spawned task has been collected. Rethrows the
  // first exception a task threw (after the others finished), since that is a bug.
  boost::asio::awaitable<std::optional<std::pair<size_t, T>>> Next() {
    auto state = state_;
    while (state->done.empty() && state->running > 0) {
      state->wakeup.expires_at(boost::asio::steady_timer::time_point::max());
      (void)co_await state->wakeup.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
    if (state->done.empty()) {
      if (state->error) std::rethrow_exception(state->error);
      co_return std::nullopt;
    }
    std::pair<size_t, T> item = std::move(state->done.front());
    state->done.pop_front();
    co_return item;
  }

 private:
  struct State {
    explicit State(boost::asio::any_io_executor ex) : executor(ex), wakeup(ex) {}
    boost::asio::any_io_executor executor;
    boost::asio::steady_timer wakeup;
    std::deque<boost::asio::cancellation_signal> signals;  // stable addresses
    std::deque<std::pair<size_t, T>> done;
    size_t running = 0;
    std::exception_ptr error;
  };
  std::shared_ptr<State> state_;
};

}  // namespace bedrock::agent::internal

// A way for the caller of an agent run to stop it from anywhere: the gateway's stop-stream
// endpoint, an SSE writer that noticed the client went away, Ctrl-C in `bedrock-mcp chat`.
//
//   auto cancel = std::make_shared<agent::CancelToken>();
//   inputs.cancel = cancel;                  // the run watches it
//   ...
//   cancel->Cancel("client disconnected");   // any thread, any time, idempotent
//
// The run reacts at once: the model stream is closed, in-flight MCP calls are cancelled (their
// servers are sent notifications/cancelled), pending approvals are abandoned; the run then returns
// with FinishReason::kCancelled and a consistent history.
//
// Thread-safety: every member may be called from any thread. Callbacks run on the executor they
// were registered with, never after their Registration is destroyed (destroy it on that executor).
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace bedrock::agent {

class CancelToken {
 public:
  // Keeps a callback registered; unregisters it when destroyed.
  class [[nodiscard]] Registration {
   public:
    Registration() = default;
    Registration(Registration&& other) noexcept;
    Registration& operator=(Registration&& other) noexcept;
    ~Registration();

   private:
    friend class CancelToken;
    struct Callback;
    Registration(CancelToken* token, uint64_t id, std::shared_ptr<Callback> callback)
        : token_(token), id_(id), callback_(std::move(callback)) {}
    void Reset();
    CancelToken* token_ = nullptr;
    uint64_t id_ = 0;
    std::shared_ptr<Callback> callback_;
  };

  CancelToken() = default;
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;
  // Registrations must not outlive the token.
  ~CancelToken() = default;

  // Requests the stop. The first call's reason is kept; later calls do nothing.
  void Cancel(std::string reason = "cancelled by the caller");
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  // The first Cancel's reason; empty before.
  std::string reason() const;

  // Runs `callback` once on `executor` when Cancel is called (posted at once when it already was).
  Registration OnCancel(boost::asio::any_io_executor executor, std::function<void()> callback);

 private:
  void Remove(uint64_t id);

  mutable std::mutex mutex_;
  std::atomic<bool> cancelled_{false};
  std::string reason_;                                                     // guarded by mutex_
  uint64_t next_id_ = 1;                                                   // guarded by mutex_
  std::map<uint64_t, std::shared_ptr<Registration::Callback>> callbacks_;  // guarded by mutex_
};

}  // namespace bedrock::agent

// The running chat streams, by the id sent to the client in X-Stream-ID, so that
// POST /v1/stop/stream/{stream_id} can stop one (../shared/reference/demo-api.md §4).
//
//   gateway::StreamRegistry streams;
//   std::shared_ptr<gateway::ChatStreamHandle> handle = streams.Register("alice");
//   response.headers.Set("X-Stream-ID", handle->id());      // "stream_alice_1718000000123456789"
//   request.cancel = handle->cancel_token();                 // the agent run watches it
//   ...
//   streams.Stop("alice", id);       // kStopping: the run is cancelled now (any thread)
//   // when the handle is destroyed (the response ended) the id is forgotten
//
// Ids have the demo's form `stream_<user>_<nanoseconds>` (unique: the nanoseconds are bumped when
// two streams start in the same one). Only the user who started a stream can stop it; for a
// stream of another user the reply is the demo's "Not authorized" (errno -1). As in the demo, an
// unknown id of the caller's own form is acknowledged (the stream may just have ended); an unknown
// id of another user's form is refused like a live one, so ids reveal nothing.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "agent/cancel.h"

namespace bedrock::gateway {

class StreamRegistry;

// One running stream. Owned by the response producing it; the registry holds it weakly.
class ChatStreamHandle {
 public:
  ~ChatStreamHandle();
  ChatStreamHandle(const ChatStreamHandle&) = delete;
  ChatStreamHandle& operator=(const ChatStreamHandle&) = delete;

  const std::string& id() const { return id_; }
  const std::string& user_id() const { return user_id_; }
  const std::shared_ptr<agent::CancelToken>& cancel_token() const { return cancel_; }
  // Whether the user asked to stop it (as opposed to the client going away).
  bool stop_requested() const { return stop_requested_.load(std::memory_order_acquire); }

 private:
  friend class StreamRegistry;
  struct Private {};

 public:
  ChatStreamHandle(Private, std::weak_ptr<StreamRegistry*> registry, std::string id,
                   std::string user_id);

 private:
  std::weak_ptr<StreamRegistry*> registry_;  // expires with the registry
  const std::string id_;
  const std::string user_id_;
  const std::shared_ptr<agent::CancelToken> cancel_ = std::make_shared<agent::CancelToken>();
  std::atomic<bool> stop_requested_{false};
};

class StreamRegistry {
 public:
  enum class StopResult {
    kStopping,       // the caller's stream (running, or an id of the caller's form)
    kNotAuthorized,  // another user's stream, or an id of another user's form
  };

  // `now_ns`: nanoseconds for ids; null: the system clock.
  explicit StreamRegistry(std::function<int64_t()> now_ns = nullptr);
  ~StreamRegistry();
  StreamRegistry(const StreamRegistry&) = delete;
  StreamRegistry& operator=(const StreamRegistry&) = delete;

  // A new stream of `user_id`, registered until the handle is destroyed.
  std::shared_ptr<ChatStreamHandle> Register(std::string user_id);

  // Asks the stream to stop: cancels its run (reason "stop requested") at once.
  StopResult Stop(std::string_view user_id, std::string_view stream_id);

  // Stops every stream (gateway shutdown).
  void StopAll(std::string_view reason);

  size_t size() const;

 private:
  friend class ChatStreamHandle;
  void Remove(const std::string& id);

  std::function<int64_t()> now_ns_;
  // Handles hold this weakly: a handle outliving the registry does not touch it.
  std::shared_ptr<StreamRegistry*> self_;
  mutable std::mutex mutex_;
  int64_t last_ns_ = 0;                                          // guarded by mutex_
  std::map<std::string, std::weak_ptr<ChatStreamHandle>> live_;  // guarded by mutex_
};

}  // namespace bedrock::gateway

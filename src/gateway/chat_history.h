// Server-side chat history (keep_session): the conversation as the store keeps it, and the lock
// that keeps one user's concurrent requests on one conversation from interleaving.
//
//   std::vector<std::string> rows = gateway::EncodeHistory(result.messages);   // for the store
//   std::vector<llm::Message> messages = gateway::DecodeHistory(rows);
//
//   gateway::ConversationLocks locks;
//   auto guard = co_await locks.Acquire("alice\n", cancel_token);   // waits for the previous run
//   if (!guard.ok()) ...;                                           // cancelled while waiting
//
// Messages are stored as Bedrock Converse message JSON (llm/bedrock_converse.h: blobs base64),
// the system prompt as a Converse "system" array, so that what is stored is exactly what the model
// saw and can be read back without loss (tool uses and results, signed reasoning, images).
//
// Thread-safety: the functions are pure; ConversationLocks may be used from any thread and
// executor.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "agent/cancel.h"
#include "core/result.h"
#include "llm/model.h"

namespace bedrock::gateway {

std::vector<std::string> EncodeHistory(const std::vector<llm::Message>& messages);
// Rows that cannot be read (written by a future version, damaged) are skipped; the agent then
// repairs the sequence (agent::NormalizeHistory).
std::vector<llm::Message> DecodeHistory(const std::vector<std::string>& rows);

// "" for no system prompt.
std::string EncodeSystem(const std::vector<llm::SystemBlock>& system);
std::vector<llm::SystemBlock> DecodeSystem(std::string_view text);

// An asynchronous mutex per key: requests on the same key run one after the other, in arrival
// order; requests on other keys are not held up.
class ConversationLocks {
 public:
  class [[nodiscard]] Guard {
   public:
    Guard() = default;
    Guard(Guard&& other) noexcept;
    Guard& operator=(Guard&& other) noexcept;
    ~Guard();

   private:
    friend class ConversationLocks;
    Guard(ConversationLocks* locks, std::string key) : locks_(locks), key_(std::move(key)) {}
    ConversationLocks* locks_ = nullptr;
    std::string key_;
  };

  ConversationLocks() = default;
  ConversationLocks(const ConversationLocks&) = delete;
  ConversationLocks& operator=(const ConversationLocks&) = delete;
  // Guards must not outlive the locks.
  ~ConversationLocks() = default;

  // Waits for the key; fails with kCancelled when `cancel` (may be null) fires first.
  boost::asio::awaitable<core::Result<Guard>> Acquire(std::string key,
                                                      std::shared_ptr<agent::CancelToken> cancel);

  // Keys currently held (for tests).
  size_t held() const;

 private:
  struct Waiter;
  struct Slot {
    std::deque<std::shared_ptr<Waiter>> queue;  // waiting, in arrival order
  };
  void Release(const std::string& key);

  mutable std::mutex mutex_;
  std::map<std::string, Slot> slots_;  // guarded by mutex_; present while the key is held
};

}  // namespace bedrock::gateway

#include "gateway/chat_history.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/log.h"
#include "llm/bedrock_converse.h"

namespace bedrock::gateway {
namespace {
namespace asio = boost::asio;
namespace json = boost::json;
constexpr std::string_view kComponent = "chat";
}  // namespace

std::vector<std::string> EncodeHistory(const std::vector<llm::Message>& messages) {
  std::vector<std::string> rows;
  rows.reserve(messages.size());
  for (const llm::Message& message : messages) {
    llm::ChatRequest one;
    one.messages.push_back(message);
    auto encoded = llm::bedrock_converse::ConverseRequestToJson(one);
    if (!encoded.ok()) continue;  // only a non-object additionalModelRequestFields fails
    const json::value* row = encoded->as_object().if_contains("messages");
    if (row == nullptr || !row->is_array() || row->as_array().empty()) continue;
    rows.push_back(json::serialize(row->as_array().front()));
  }
  return rows;
}

std::vector<llm::Message> DecodeHistory(const std::vector<std::string>& rows) {
  std::vector<llm::Message> messages;
  messages.reserve(rows.size());
  for (const std::string& row : rows) {
    std::string body = "{\"messages\":[" + row + "]}";
    auto decoded = llm::bedrock_converse::DecodeConverseRequest(body);
    if (!decoded.ok() || decoded->messages.size() != 1) {
      BEDROCK_LOG_WARN(
          kComponent, "skipping a stored history message that cannot be read",
          {{"error", decoded.ok() ? std::string("not one message") : decoded.error().message()}});
      continue;
    }
    messages.push_back(std::move(decoded->messages.front()));
  }
  return messages;
}

std::string EncodeSystem(const std::vector<llm::SystemBlock>& system) {
  if (system.empty()) return "";
  llm::ChatRequest one;
  one.system = system;
  auto encoded = llm::bedrock_converse::ConverseRequestToJson(one);
  if (!encoded.ok()) return "";
  const json::value* blocks = encoded->as_object().if_contains("system");
  return blocks != nullptr ? json::serialize(*blocks) : "";
}

std::vector<llm::SystemBlock> DecodeSystem(std::string_view text) {
  if (text.empty()) return {};
  std::string body = "{\"system\":" + std::string(text) + "}";
  auto decoded = llm::bedrock_converse::DecodeConverseRequest(body);
  if (!decoded.ok()) return {};
  return std::move(decoded->system);
}

// --- ConversationLocks ---

// `granted` is guarded by the locks' mutex; `timer` is used on `executor` only.
struct ConversationLocks::Waiter {
  explicit Waiter(asio::any_io_executor ex)
      : executor(ex), timer(ex, asio::steady_timer::time_point::max()) {}
  asio::any_io_executor executor;
  asio::steady_timer timer;
  bool granted = false;
};

ConversationLocks::Guard::Guard(Guard&& other) noexcept
    : locks_(std::exchange(other.locks_, nullptr)), key_(std::move(other.key_)) {}

ConversationLocks::Guard& ConversationLocks::Guard::operator=(Guard&& other) noexcept {
  if (this != &other) {
    if (locks_ != nullptr) locks_->Release(key_);
    locks_ = std::exchange(other.locks_, nullptr);
    key_ = std::move(other.key_);
  }
  return *this;
}

ConversationLocks::Guard::~Guard() {
  if (locks_ != nullptr) locks_->Release(key_);
}

asio::awaitable<core::Result<ConversationLocks::Guard>> ConversationLocks::Acquire(
    std::string key, std::shared_ptr<agent::CancelToken> cancel) {
  asio::any_io_executor executor = co_await asio::this_coro::executor;
  std::shared_ptr<Waiter> waiter;
  {
    std::lock_guard lock(mutex_);
    auto [it, inserted] = slots_.try_emplace(key);
    if (inserted) co_return Guard(this, std::move(key));
    waiter = std::make_shared<Waiter>(executor);
    it->second.queue.push_back(waiter);
  }
  agent::CancelToken::Registration registration;
  if (cancel) {
    registration = cancel->OnCancel(executor, [waiter] { waiter->timer.cancel(); });
  }
  while (true) {
    (void)co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    std::lock_guard lock(mutex_);
    if (waiter->granted) co_return Guard(this, std::move(key));
    if (cancel && cancel->cancelled()) {
      auto& queue = slots_[key].queue;
      std::erase(queue, waiter);
      co_return core::Error::Cancelled(
          "cancelled while waiting for the previous request on this "
          "conversation: {}",
          cancel->reason());
    }
  }
}

void ConversationLocks::Release(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = slots_.find(key);
  if (it == slots_.end()) return;
  if (it->second.queue.empty()) {
    slots_.erase(it);
    return;
  }
  std::shared_ptr<Waiter> next = std::move(it->second.queue.front());
  it->second.queue.pop_front();
  next->granted = true;
  asio::post(next->executor, [next] { next->timer.cancel(); });
}

size_t ConversationLocks::held() const {
  std::lock_guard lock(mutex_);
  return slots_.size();
}

}  // namespace bedrock::gateway

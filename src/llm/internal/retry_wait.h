// The pause between two attempts of a model call, shared by the Bedrock and OpenAI providers.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>

#include "core/result.h"

namespace bedrock::llm::internal {

// Waits `delay` on the awaiting coroutine's executor; kCancelled when the coroutine is cancelled
// first.
boost::asio::awaitable<core::Status> WaitBeforeRetry(std::chrono::milliseconds delay);

}  // namespace bedrock::llm::internal

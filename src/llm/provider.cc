#include "llm/provider.h"

#include <fmt/format.h>

namespace bedrock::llm {

boost::asio::awaitable<core::Result<ChatResponse>> CollectStream(ChatStream& stream) {
  StreamAssembler assembler;
  while (true) {
    BEDROCK_CO_TRY_ASSIGN(auto event, co_await stream.Next());
    if (!event) break;
    BEDROCK_CO_TRY(assembler.Add(*event));
  }
  co_return assembler.Finish();
}

core::Error ProviderError(std::string_view provider, const core::Error& error) {
  return error.WithContext(fmt::format("model provider {}", provider));
}

}  // namespace bedrock::llm

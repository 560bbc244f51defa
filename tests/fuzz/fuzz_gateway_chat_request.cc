// Fuzzes the chat endpoint's request parsing (gateway/chat_request.h) with untrusted bodies: the
// input whole and cut at several points (truncated bodies). Whatever parses must survive the way
// to the store and back (gateway/chat_history.h: decode(encode(messages)) == messages), and the
// approval body parser must never crash either.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gateway/approvals.h"
#include "gateway/chat.h"
#include "gateway/chat_history.h"
#include "gateway/chat_request.h"

namespace {

void ParseOne(std::string_view body) {
  using namespace bedrock::gateway;
  ChatDefaults defaults;
  defaults.max_request_bytes = 1 << 20;
  auto parsed = ParseChatRequest(body, defaults);
  (void)ParseApprovalBody(body);
  if (!parsed.ok()) return;
  if (DecodeHistory(EncodeHistory(parsed->messages)) != parsed->messages) std::abort();
  if (DecodeSystem(EncodeSystem(parsed->system)) != parsed->system) std::abort();
  ModelConfig model;
  model.id = parsed->model;
  (void)BuildAgentRequest(*parsed, model, ChatConfig());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  ParseOne(body);
  for (size_t cut : {size / 3, size / 2, size - size / 4}) {
    if (cut > 0 && cut < size) ParseOne(body.substr(0, cut));
  }
  return 0;
}

// The conversation rules Bedrock's Converse enforces beyond the request shape, with the
// service's own ValidationException messages: the first message is from the user, roles
// alternate, no block or text is empty, toolConfig is present whenever the history holds tool
// uses or results, every tool use of an assistant turn is answered by the next user turn (and
// only those), tool names match [a-zA-Z0-9_-]{1,64}, temperature and topP are within 0..1.
//
//   if (auto problem = emulator::ValidateConverseRequest(request, raw_has_tool_config)) {
//     return ErrorResponse(ServiceError::Validation(*problem), request_id);
//   }
//
// Thread-safety: pure function.
#pragma once

#include <optional>
#include <string>

#include "llm/model.h"

namespace bedrock::emulator {

// nullopt when valid, else the message Bedrock answers with.
std::optional<std::string> ValidateConverseRequest(const llm::ChatRequest& request);

}  // namespace bedrock::emulator

// Turns a complete model answer into the stream of events a streaming API sends for it, as real
// Bedrock does: messageStart; per block, in order, reasoning text deltas then a signature delta,
// text deltas (neither with a contentBlockStart), or a toolUse contentBlockStart followed by the
// input JSON in several string fragments; contentBlockStop after each; messageStop; metadata
// (usage and latency) last. Text is cut into several deltas (emulator::SplitForStreaming).
//
//   for (const llm::StreamEvent& e : emulator::ToStreamEvents(response, 16)) Send(e);
//
// Thread-safety: pure function.
#pragma once

#include <cstddef>
#include <vector>

#include "llm/model.h"

namespace bedrock::emulator {

std::vector<llm::StreamEvent> ToStreamEvents(const llm::ChatResponse& response, size_t piece_bytes);

}  // namespace bedrock::emulator

// Keeping a conversation within the model's context window, and well-formed for Bedrock.
//
//   agent::TruncateToolResult(block, 50'000);          // cut with a visible marker
//   agent::PruneImages(messages, 3);                   // only the 3 newest tool-result images
//   agent::CompactToolResults(messages, 10, 1'000);    // older tool results: a head and a marker
//   agent::TrimHistory(messages, 400'000);             // drop the oldest turns to fit
//
// Sizes are counted in characters (bytes of UTF-8 text and JSON), a stand-in for tokens that
// needs no tokenizer; an image or document counts as kAttachmentCost characters whatever its size,
// since models bill them by pixels, not bytes.
//
// Thread-safety: pure functions over the caller's values.
#pragma once

#include <cstddef>
#include <vector>

#include "llm/model.h"

namespace bedrock::agent {

inline constexpr size_t kAttachmentCost = 4'000;

// Cuts the text of a tool result (text blocks, and JSON blocks counted serialised) to at most
// `max_chars` in total, on a UTF-8 boundary, ending the cut block with a marker the model and the
// user can see: "\n[... truncated: 1234 of 56789 characters shown]". Blocks after the cut are
// dropped (images and documents are kept). 0 means no limit. Returns whether anything was cut.
bool TruncateToolResult(llm::ToolResultBlock& result, size_t max_chars);

// Keeps only the `keep` newest images inside tool results (the demo's only_n_most_recent_images);
// older ones become the text "[image removed to save context]". 0 disables pruning. Returns how
// many were removed.
size_t PruneImages(std::vector<llm::Message>& messages, size_t keep);

// Compacts older tool results, as the demo does for long loops: the `keep_whole` newest tool
// results (counted across messages, newest first) are left alone; each older one whose text
// (text and JSON blocks) is longer than `head_chars` becomes one text block of its first
// `head_chars` characters (on a UTF-8 boundary) followed by the marker
// "\n[... older tool result compacted: 1000 of 56789 characters kept]". Images and documents stay
// (PruneImages handles images); the block, its tool_use_id and status stay, so every call keeps
// its result. A compacted result is not compacted again. head_chars 0 disables compaction.
// Returns how many results were compacted.
size_t CompactToolResults(std::vector<llm::Message>& messages, size_t keep_whole,
                          size_t head_chars);

// The size estimate of one message, as described above.
size_t EstimateSize(const llm::Message& message);

// Drops the oldest messages until the rest fits in `budget_chars`, cutting only before a user
// message that carries no tool result, so a tool call is never separated from its result and the
// history still starts with a user turn. The newest such user message is never dropped, even when
// what remains is over budget. 0 disables trimming. Returns how many messages were dropped.
size_t TrimHistory(std::vector<llm::Message>& messages, size_t budget_chars);

// Makes a history acceptable to the model: merges consecutive messages of the same role (e.g. a
// new user message after a run that was cancelled before the model answered), drops leading
// assistant messages, and drops tool uses without a result (and results without their use), so
// that a stored history never poisons the next request.
void NormalizeHistory(std::vector<llm::Message>& messages);

// Replaces tool-use and tool-result blocks by nothing and drops reasoning blocks, for a request
// that offers no tools (Bedrock rejects tool blocks without a tool configuration). Messages left
// empty are removed, then the history is normalised.
void StripToolBlocks(std::vector<llm::Message>& messages);

}  // namespace bedrock::agent

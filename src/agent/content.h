// MCP tool results as Bedrock tool-result blocks.
//
//   llm::ToolResultBlock block = agent::ToToolResult("tooluse_1", std::move(call_result));
//
// Every MCP content type has a faithful counterpart:
//   text                        -> text block
//   image (png/jpeg/gif/webp)   -> image block (bytes decoded); other image types -> a text note
//   audio                       -> a text note (the model cannot hear it)
//   resource (embedded), text   -> text block "[resource <uri> (<mime>)]\n<text>"
//   resource (embedded), blob   -> image block (image mime types), document block (pdf, csv, doc,
//                                  docx, xls, xlsx, html, txt, md), else a text note
//   resource_link               -> text block naming the link
//   anything else               -> a text note naming the type
//   structuredContent           -> a JSON block (skipped when a text block already carries the
//                                  same JSON, as the spec asks servers to do)
//   isError                     -> status error (otherwise success)
// An empty result gets one text block, since Bedrock refuses empty tool results.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "llm/model.h"
#include "mcp/types.h"

namespace bedrock::agent {

llm::ToolResultBlock ToToolResult(std::string tool_use_id, mcp::CallToolResult result);

// The Bedrock image format ("png", "jpeg", "gif", "webp") for a MIME type; empty when Bedrock has
// none.
std::string_view ImageFormatForMime(std::string_view mime_type);
// The Bedrock document format ("pdf", "csv", "txt", ...) for a MIME type; empty when none.
std::string_view DocumentFormatForMime(std::string_view mime_type);

// A Bedrock-acceptable document name derived from `hint` (a URI or file name): 1..200 characters
// of [a-zA-Z0-9 ()[]-], no consecutive spaces.
std::string DocumentName(std::string_view hint);

}  // namespace bedrock::agent

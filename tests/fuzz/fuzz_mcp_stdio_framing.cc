// Fuzzes the stdio transport's framing (mcp/internal/line_framer.h) and the JSON-RPC parsing of
// each framed line, as a child process's stdout would feed them: the input whole, then cut into
// chunks at several split points and sizes. The framed output must not depend on the chunking, no
// line may hold a newline or exceed the limit, and the framer must never buffer much more than
// one line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mcp/internal/line_framer.h"
#include "mcp/jsonrpc.h"

namespace {

constexpr size_t kLimit = 256;

std::vector<std::string> Frame(std::string_view bytes, const std::vector<size_t>& cuts) {
  bedrock::mcp::internal::LineFramer framer(kLimit);
  std::vector<std::string> out;
  auto on_line = [&](std::string_view line) {
    if (line.size() > kLimit || line.find('\n') != std::string_view::npos) std::abort();
    out.emplace_back(line);
  };
  auto on_oversize = [&] { out.emplace_back("\n<oversize>"); };
  size_t at = 0;
  for (size_t cut : cuts) {
    if (cut <= at || cut >= bytes.size()) continue;
    framer.Feed(bytes.substr(at, cut - at), on_line, on_oversize);
    if (framer.buffered() > kLimit + 1) std::abort();
    at = cut;
  }
  framer.Feed(bytes.substr(at), on_line, on_oversize);
  if (framer.buffered() > kLimit + 1) std::abort();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::vector<std::string> whole = Frame(bytes, {});
  for (size_t split : {size_t{1}, size / 3, size / 2, size - size / 4}) {
    if (Frame(bytes, {split}) != whole) std::abort();
  }
  for (size_t step : {size_t{1}, size_t{7}, size_t{64}}) {
    std::vector<size_t> cuts;
    for (size_t at = step; at < size; at += step) cuts.push_back(at);
    if (Frame(bytes, cuts) != whole) std::abort();
  }
  bedrock::mcp::ParseLimits limits;
  limits.max_bytes = kLimit;
  limits.max_depth = 32;
  for (const auto& line : whole) {
    if (line == "\n<oversize>") continue;
    (void)bedrock::mcp::ParsePayload(line, limits, /*allow_batch=*/false);
  }
  return 0;
}

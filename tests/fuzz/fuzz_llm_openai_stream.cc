// Chat-completions SSE bytes -> http::SseParser -> llm::openai_chat::StreamMapper ->
// llm::StreamAssembler, as the OpenAI-compatible provider reads a stream. The input is fed whole
// and split at points derived from its first bytes: every split must yield the same events and
// outcome; the events are then assembled as the agent loop would.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/sse.h"
#include "llm/model.h"
#include "llm/openai_chat.h"

namespace {

namespace openai = bedrock::llm::openai_chat;
using bedrock::llm::StreamEvent;

struct Outcome {
  std::vector<StreamEvent> events;
  bool failed = false;
};

Outcome Map(std::string_view input, const std::vector<size_t>& cuts) {
  bedrock::http::SseParser parser(bedrock::http::SseParserLimits{4096, 1 << 16});
  openai::StreamMapper mapper;
  Outcome out;
  auto feed = [&](std::string_view piece) {
    if (out.failed) return;
    auto events = parser.Feed(piece);
    if (!events.ok()) {
      out.failed = true;
      return;
    }
    for (const auto& e : *events) {
      if (!mapper.OnData(e.data, out.events).ok()) {
        out.failed = true;
        return;
      }
    }
  };
  size_t start = 0;
  for (size_t cut : cuts) {
    feed(input.substr(start, cut - start));
    start = cut;
  }
  feed(input.substr(start));
  if (!out.failed && !mapper.OnEnd(out.events).ok()) out.failed = true;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Outcome whole = Map(input, {});
  std::vector<size_t> cuts;
  for (size_t i = 0; i < std::min<size_t>(size, 4); ++i) cuts.push_back(data[i] % (size + 1));
  std::sort(cuts.begin(), cuts.end());
  for (const auto& split : {std::vector<size_t>{size / 2}, cuts}) {
    Outcome other = Map(input, split);
    if (other.failed != whole.failed || other.events != whole.events) std::abort();
  }
  bedrock::llm::StreamAssembler assembler(
      bedrock::llm::StreamAssembler::Limits{.max_blocks = 64, .max_bytes = 1 << 16});
  for (const auto& event : whole.events) {
    if (!assembler.Add(event).ok()) break;
  }
  (void)assembler.Finish();
  return 0;
}

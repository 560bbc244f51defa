// Feeds http::SseParser the input whole and split at several points derived from its first bytes,
// and checks that every split yields the same events (or the same error) as the whole input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/sse.h"

namespace {

using bedrock::http::SseEvent;
using bedrock::http::SseParser;
using bedrock::http::SseParserLimits;

struct Outcome {
  std::vector<SseEvent> events;
  bool failed = false;
  std::string last_event_id;
  std::optional<int> retry_ms;
};

// Small limits so the fuzzer reaches the limit paths with short inputs.
constexpr SseParserLimits kLimits{.max_line_bytes = 256, .max_event_bytes = 1024};

Outcome Parse(std::string_view input, const std::vector<size_t>& cuts) {
  SseParser parser(kLimits);
  Outcome out;
  size_t start = 0;
  auto feed = [&](std::string_view piece) {
    if (out.failed) return;
    auto result = parser.Feed(piece);
    if (!result.ok()) {
      out.failed = true;
      return;
    }
    out.events.insert(out.events.end(), result->begin(), result->end());
  };
  for (size_t cut : cuts) {
    feed(input.substr(start, cut - start));
    start = cut;
  }
  feed(input.substr(start));
  out.last_event_id = parser.last_event_id();
  out.retry_ms = parser.retry_ms();
  return out;
}

void Check(const Outcome& whole, const Outcome& split) {
  if (whole.failed != split.failed) std::abort();
  // A failure may surface before some events of the failing chunk were returned, so the events
  // only have to agree when both runs succeeded.
  if (whole.failed) return;
  if (whole.events != split.events) std::abort();
  if (whole.last_event_id != split.last_event_id) std::abort();
  if (whole.retry_ms != split.retry_ms) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // The first two bytes choose the split points; the rest is the stream.
  const uint8_t seed_a = data[0], seed_b = data[1];
  std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);

  const Outcome whole = Parse(input, {});
  const size_t n = input.size();
  if (n == 0) return 0;

  // One cut, two cuts and a fixed stride, all derived from the seed bytes.
  size_t a = seed_a % (n + 1), b = seed_b % (n + 1);
  if (a > b) std::swap(a, b);
  Check(whole, Parse(input, {a}));
  Check(whole, Parse(input, {a, b}));
  std::vector<size_t> stride;
  for (size_t cut = 1 + seed_a % 7; cut < n; cut += 1 + seed_b % 7) stride.push_back(cut);
  Check(whole, Parse(input, stride));
  // Byte by byte for short inputs, where a lost '\r' state or BOM prefix shows first.
  if (n <= 256) {
    std::vector<size_t> every;
    for (size_t cut = 1; cut < n; ++cut) every.push_back(cut);
    Check(whole, Parse(input, every));
  }
  return 0;
}

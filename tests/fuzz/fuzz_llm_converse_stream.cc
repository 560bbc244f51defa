// ConverseStream response bytes -> aws::EventStreamDecoder -> Bedrock Converse codec ->
// llm::StreamAssembler, as the Bedrock provider reads a stream. The input is fed whole and split
// at several points derived from its first bytes: every split must yield the same events and the
// same outcome. Each decoded event must round-trip through the emulator's encoder, and an
// assembled response through the Converse response codec.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "llm/bedrock_converse.h"
#include "llm/model.h"

namespace {

namespace converse = bedrock::llm::bedrock_converse;
using bedrock::llm::StreamAssembler;
using bedrock::llm::StreamEvent;

// Small limits so the fuzzer reaches the limit paths with short inputs.
constexpr bedrock::aws::EventStreamLimits kLimits{.max_headers_length = 512,
                                                  .max_payload_length = 8192};

struct Outcome {
  std::vector<StreamEvent> events;
  bool failed = false;
  bool finished_ok = false;
};

Outcome Decode(std::string_view input, const std::vector<size_t>& cuts) {
  converse::ConverseStreamDecoder decoder(kLimits);
  Outcome out;
  auto on_event = [&](StreamEvent&& event) {
    out.events.push_back(std::move(event));
    return bedrock::core::OkStatus();
  };
  size_t start = 0;
  for (size_t cut : cuts) {
    if (!out.failed && !decoder.Feed(input.substr(start, cut - start), on_event).ok()) {
      out.failed = true;
    }
    start = cut;
  }
  if (!out.failed && !decoder.Feed(input.substr(start), on_event).ok()) out.failed = true;
  out.finished_ok = !out.failed && decoder.Finish().ok();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Outcome whole = Decode(input, {});

  // Split points from the first bytes, sorted and within range.
  std::vector<size_t> cuts;
  for (size_t i = 0; i < std::min<size_t>(size, 4); ++i) {
    if (size > 0) cuts.push_back(data[i] % (size + 1));
  }
  std::sort(cuts.begin(), cuts.end());
  for (const auto& split : {std::vector<size_t>{size / 2}, cuts}) {
    Outcome other = Decode(input, split);
    if (other.failed != whole.failed || other.finished_ok != whole.finished_ok ||
        other.events != whole.events) {
      std::abort();
    }
  }

  StreamAssembler assembler(StreamAssembler::Limits{.max_blocks = 64, .max_bytes = 1 << 16});
  bool assembled = true;
  for (const auto& event : whole.events) {
    // The emulator's encoder and the client's decoder share one mapping: it must round-trip.
    auto again = converse::DecodeStreamEvent(converse::StreamEventType(event),
                                             converse::StreamEventPayload(event));
    if (!again.ok() || !again->has_value() || **again != event) std::abort();
    if (assembled && !assembler.Add(event).ok()) assembled = false;
  }
  if (assembled) {
    auto response = assembler.Finish();
    if (response.ok()) {
      auto decoded = converse::DecodeConverseResponse(converse::EncodeConverseResponse(*response));
      if (!decoded.ok() || *decoded != *response) std::abort();
    }
  }
  return 0;
}

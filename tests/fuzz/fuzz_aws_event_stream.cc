// Feeds aws::EventStreamDecoder the input whole and split at several points derived from its first
// bytes, and checks that every split yields the same messages and the same outcome. Each decoded
// message is also interpreted, re-encoded and decoded again (it must round-trip).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "aws/event_stream.h"

namespace {

using bedrock::aws::EventMessage;
using bedrock::aws::EventMessageView;
using bedrock::aws::EventStreamDecoder;
using bedrock::aws::EventStreamLimits;

// Small limits so the fuzzer reaches the limit paths with short inputs.
constexpr EventStreamLimits kLimits{.max_headers_length = 512, .max_payload_length = 4096};

struct Outcome {
  std::vector<EventMessage> messages;
  bool failed = false;
  bool finished_ok = false;
};

Outcome Decode(std::string_view input, const std::vector<size_t>& cuts) {
  EventStreamDecoder decoder(kLimits);
  Outcome out;
  auto on_message = [&](const EventMessageView& m) {
    (void)bedrock::aws::InterpretMessage(m);
    out.messages.push_back(m.ToMessage());
    return bedrock::core::OkStatus();
  };
  size_t start = 0;
  for (size_t cut : cuts) {
    if (!decoder.Feed(input.substr(start, cut - start), on_message).ok()) out.failed = true;
    start = cut;
  }
  if (!decoder.Feed(input.substr(start), on_message).ok()) out.failed = true;
  out.finished_ok = decoder.Finish().ok();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Outcome whole = Decode(input, {});

  std::vector<std::vector<size_t>> splits = {{size / 2}, {1, size / 3, size - size / 4}};
  if (size >= 2) {
    std::vector<size_t> every;
    size_t step = 1 + data[0] % 13;
    for (size_t at = step; at < size; at += step) every.push_back(at);
    splits.push_back(std::move(every));
  }
  for (auto& cuts : splits) {
    for (auto& c : cuts) c = c > size ? size : c;
    std::sort(cuts.begin(), cuts.end());
    Outcome split = Decode(input, cuts);
    if (split.failed != whole.failed || split.finished_ok != whole.finished_ok) std::abort();
    if (split.messages != whole.messages) std::abort();
  }

  for (const auto& m : whole.messages) {
    auto encoded = bedrock::aws::EncodeMessage(m, kLimits);
    if (!encoded.ok()) std::abort();  // whatever decodes must encode
    auto again = bedrock::aws::DecodeAll(*encoded, kLimits);
    if (!again.ok() || again->size() != 1 || (*again)[0] != m) std::abort();
  }
  return 0;
}

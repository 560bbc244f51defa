// Feeds the server's request reader (http::internal::RequestReader, the code every connection
// runs on the bytes it receives) the input whole and split at several points derived from its
// first bytes, the way a connection does: unconsumed bytes stay pending, pipelined requests follow
// each other, the peer's EOF ends the input. Every split must yield the same requests as the whole
// input, and fail if and only if the whole input fails. (Which 4xx/5xx a failure gets may differ:
// Beast checks a request line eagerly on the first bytes it sees but waits for the whole header
// later, so "GET / HTTP/2.1\n..." is 505 whole and 400 at EOF when split.)
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/internal/request_reader.h"

namespace {

using bedrock::http::Request;
using bedrock::http::internal::RequestLimits;
using bedrock::http::internal::RequestReader;

// Small limits so short inputs reach the 413 and 431 paths.
constexpr RequestLimits kLimits{.max_header_bytes = 512, .max_body_bytes = 1024};

struct Outcome {
  std::vector<std::string> requests;  // method, target, headers and body, flattened
  int error_status = 0;
  bool operator==(const Outcome& other) const {
    return requests == other.requests && (error_status == 0) == (other.error_status == 0);
  }
};

std::string Flatten(const Request& request) {
  std::string out = request.method + ' ' + request.target + '\n';
  for (const auto& [name, value] : request.headers) out += name + ": " + value + '\n';
  return out + '\n' + request.body;
}

Outcome Parse(std::string_view input, const std::vector<size_t>& cuts) {
  RequestReader reader(kLimits);
  Outcome out;
  std::string pending;
  auto drain = [&] {
    while (out.error_status == 0) {
      pending.erase(0, reader.Feed(pending));
      if (reader.error()) {
        out.error_status = reader.error()->status;
        // The reader must never report success and failure at once.
        if (reader.done()) std::abort();
        return;
      }
      if (!reader.done()) return;
      out.requests.push_back(Flatten(reader.request()));
      reader.Reset();
      if (pending.empty()) return;
    }
  };
  size_t start = 0;
  for (size_t cut : cuts) {
    pending.append(input.substr(start, cut - start));
    start = cut;
    drain();
  }
  pending.append(input.substr(start));
  drain();
  if (out.error_status == 0) {
    reader.FeedEof();
    if (reader.error()) out.error_status = reader.error()->status;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Outcome whole = Parse(input, {});

  // Split points: every byte for short inputs, otherwise a few derived from the content.
  std::vector<std::vector<size_t>> splits;
  if (size <= 64) {
    std::vector<size_t> every;
    for (size_t i = 1; i < size; ++i) every.push_back(i);
    splits.push_back(every);
  }
  if (size >= 2) {
    size_t a = data[0] % size, b = (data[size - 1] * 7u + size / 3) % size;
    if (a > b) std::swap(a, b);
    splits.push_back({a, b});
    splits.push_back({size / 2});
    std::vector<size_t> chunks;
    size_t step = 1 + data[size / 2] % 17;
    for (size_t i = step; i < size; i += step) chunks.push_back(i);
    splits.push_back(chunks);
  }
  for (const auto& cuts : splits) {
    if (!(Parse(input, cuts) == whole)) std::abort();  // the split changed the outcome
  }
  return 0;
}

// Event-stream decoding throughput: an 8 MiB body shaped like real Bedrock streams (ConverseStream
// text deltas of a few tokens padded with "p" as Bedrock pads them, plus InvokeModel `chunk`
// frames carrying base64 Anthropic events), fed to aws::EventStreamDecoder in 16 KiB pieces for
// --seconds. Every message has both CRCs checked, its headers parsed and its :event-type read.
// Prints
//
//   corpus bytes <n> messages <n>
//   eventstream decode_mb_per_cpu_sec <MB/s> decode_mb_per_sec <MB/s> messages_per_cpu_sec <n>
//       cpu_seconds <s> seconds <s>                    (1 MB = 10^6 bytes)
//
// As in aws_sigv4_bench, the budget and headline figure are in process CPU time.
//
// bench/peers/smithy_eventstream.mjs decodes the same bytes (--write-corpus) with
// @smithy/eventstream-codec; scripts/run-benchmarks runs both and prints the ratio.
//
//   aws_event_stream_bench [--seconds S] [--write-corpus FILE]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <string_view>

#include "aws/event_stream.h"
#include "stopwatch.h"

namespace {

constexpr size_t kCorpusBytes = 8u << 20;
constexpr size_t kPiece = 16u << 10;

std::string Padding(std::mt19937& rng) {
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string p(1 + rng() % 40, 'a');
  for (char& c : p) c = kAlphabet[rng() % 62];
  return p;
}

std::string Base64(std::string_view in) {
  static constexpr char kTable[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = uint8_t(in[i]) << 16 | uint8_t(in[i + 1]) << 8 | uint8_t(in[i + 2]);
    out += {kTable[v >> 18], kTable[(v >> 12) & 63], kTable[(v >> 6) & 63], kTable[v & 63]};
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += {kTable[v >> 18], kTable[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16 | uint8_t(in[i + 1]) << 8;
    out += {kTable[v >> 18], kTable[(v >> 12) & 63], kTable[(v >> 6) & 63], '='};
  }
  return out;
}

// Alternates a ConverseStream answer (start, ~60 text deltas, stop, metadata) and an
// InvokeModelWithResponseStream answer (~60 chunks of Anthropic text deltas).
std::string MakeCorpus() {
  using bedrock::aws::EncodeEvent;
  std::mt19937 rng(42);
  static constexpr std::string_view kWords[] = {
      "The",   " weather", " in",   " Paris",    " is",   " mild",      ",",
      " with", " light",   " rain", " expected", " this", " afternoon", "."};
  auto word = [&]() { return std::string(kWords[rng() % std::size(kWords)]); };
  std::string out;
  while (out.size() < kCorpusBytes) {
    out += EncodeEvent("messageStart", R"({"p":")" + Padding(rng) + R"(","role":"assistant"})");
    for (int i = 0; i < 60; ++i) {
      out +=
          EncodeEvent("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":")" + word() +
                                               word() + R"("},"p":")" + Padding(rng) + R"("})");
    }
    out +=
        EncodeEvent("contentBlockStop", R"({"contentBlockIndex":0,"p":")" + Padding(rng) + R"("})");
    out += EncodeEvent("messageStop", R"({"p":")" + Padding(rng) + R"(","stopReason":"end_turn"})");
    out += EncodeEvent("metadata",
                       R"({"metrics":{"latencyMs":321},"p":")" + Padding(rng) +
                           R"(","usage":{"inputTokens":25,"outputTokens":120,"totalTokens":145}})");
    for (int i = 0; i < 60; ++i) {
      std::string event =
          R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":")" +
          word() + word() + R"("}})";
      out += EncodeEvent("chunk",
                         R"({"bytes":")" + Base64(event) + R"(","p":")" + Padding(rng) + R"("})");
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace bedrock;
  double seconds = 2;
  std::string write_corpus;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view flag = argv[i];
    if (flag == "--seconds") {
      seconds = std::atof(argv[i + 1]);
    } else if (flag == "--write-corpus") {
      write_corpus = argv[i + 1];
    } else {
      std::fprintf(stderr, "usage: %s [--seconds S] [--write-corpus FILE]\n", argv[0]);
      return 2;
    }
  }
  const std::string corpus = MakeCorpus();
  if (!write_corpus.empty()) std::ofstream(write_corpus, std::ios::binary) << corpus;

  size_t sink = 0;
  uint64_t messages = 0;
  auto decode_once = [&]() -> bool {
    aws::EventStreamDecoder decoder;
    auto on_message = [&](const aws::EventMessageView& message) -> core::Status {
      sink += message.StringHeader(":event-type").value_or("").size() + message.payload().size();
      ++messages;
      return core::OkStatus();
    };
    for (size_t i = 0; i < corpus.size(); i += kPiece) {
      auto piece = std::string_view(corpus).substr(i, kPiece);
      if (!decoder.Feed(piece, on_message).ok()) return false;
    }
    return decoder.Finish().ok();
  };
  if (!decode_once()) {
    std::fprintf(stderr, "corpus does not decode\n");
    return 1;
  }
  std::printf("corpus bytes %zu messages %llu\n", corpus.size(),
              static_cast<unsigned long long>(messages));

  decode_once();  // warm-up
  messages = 0;
  uint64_t rounds = 0;
  const bench::Stopwatch watch;
  while (watch.CpuSeconds() < seconds) {
    decode_once();
    ++rounds;
  }
  const double cpu = watch.CpuSeconds(), wall = watch.WallSeconds();
  const double megabytes = static_cast<double>(rounds * corpus.size()) / 1e6;
  std::printf(
      "eventstream decode_mb_per_cpu_sec %.1f decode_mb_per_sec %.1f messages_per_cpu_sec %.0f "
      "cpu_seconds %.2f seconds %.2f\n",
      megabytes / cpu, megabytes / wall, messages / cpu, cpu, wall);
  return sink == 0 ? 1 : 0;
}

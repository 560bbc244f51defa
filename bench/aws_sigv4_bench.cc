// SigV4 signing throughput: signs the request our Bedrock client sends for a Converse call (same
// headers, a 1 KiB JSON body) over and over with one aws::SigV4Signer, for --seconds, and prints
//
//   signature <64 hex digits>          (of the first request: the peer must print the same)
//   sigv4 signatures_per_cpu_sec <n> signatures_per_sec <n> iterations <n> cpu_seconds <s> seconds
//   <s>
//
// The budget and the headline figure are in CPU time of the process (CLOCK_PROCESS_CPUTIME_ID, as
// Node's process.cpuUsage()), so that other jobs on a shared machine do not skew the ratio; the
// wall-clock rate is printed too.
//
// bench/peers/smithy_sigv4.mjs does the same work with @smithy/signature-v4; scripts/run-benchmarks
// runs both and prints the ratio. Each signature hashes the body, builds the canonical request,
// hashes it and computes the HMAC chain's last step (the signing key is cached per day, by both).
//
//   aws_sigv4_bench [--seconds S] [--write-request FILE]
//
// --write-request writes the request and credentials as JSON for the peer, so both sign the same
// bytes.
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include "aws/sigv4.h"
#include "stopwatch.h"

namespace {

constexpr char kHost[] = "bedrock-runtime.us-east-1.amazonaws.com";
constexpr char kPath[] = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse";
constexpr char kInvocationId[] = "7cf36a42-90c0-4632-b159-cba3142dc106";
constexpr char kAccessKey[] = "AKIDEXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kToken[] = "EXAMPLE-SESSION-TOKEN";
constexpr int64_t kSigningEpochSeconds = 1795000000;  // 2026-11-18T11:06:40Z

// A Converse body of about 1 KiB: a short conversation with a tool definition.
std::string ConverseBody() {
  std::string body =
      R"({"messages":[{"role":"user","content":[{"text":"What is the weather in Paris today, )"
      R"(and should I take an umbrella?"}]},{"role":"assistant","content":[{"text":"Let me )"
      R"(look that up."},{"toolUse":{"toolUseId":"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q","name":)"
      R"("get_weather","input":{"city":"Paris","unit":"celsius"}}}]},{"role":"user","content":)"
      R"([{"toolResult":{"toolUseId":"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q","content":[{"json":)"
      R"({"tempC":21,"sky":"light rain","precipitationMm":2.5}}],"status":"success"}}]}],)"
      R"("system":[{"text":"You are a helpful assistant. Answer briefly."}],"inferenceConfig":)"
      R"({"maxTokens":512,"temperature":0.2},"toolConfig":{"tools":[{"toolSpec":{"name":)"
      R"("get_weather","description":"Get the current weather for a city","inputSchema":)"
      R"({"json":{"type":"object","properties":{"city":{"type":"string","description":)"
      R"("City name"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":)"
      R"(["city"]}}}}],"toolChoice":{"auto":{}}}})";
  return body;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace bedrock;
  double seconds = 2;
  std::string write_request;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view flag = argv[i];
    if (flag == "--seconds") {
      seconds = std::atof(argv[i + 1]);
    } else if (flag == "--write-request") {
      write_request = argv[i + 1];
    } else {
      std::fprintf(stderr, "usage: %s [--seconds S] [--write-request FILE]\n", argv[0]);
      return 2;
    }
  }
  const std::string body = ConverseBody();
  aws::HeaderView headers[] = {{"host", kHost},
                               {"content-type", "application/json"},
                               {"amz-sdk-invocation-id", kInvocationId},
                               {"amz-sdk-request", "attempt=1; max=3"}};
  if (!write_request.empty()) {
    boost::json::object header_map;
    for (const auto& h : headers) header_map[h.name] = h.value;
    boost::json::object out{{"method", "POST"},
                            {"host", kHost},
                            {"path", kPath},
                            {"headers", std::move(header_map)},
                            {"body", body},
                            {"region", "us-east-1"},
                            {"service", "bedrock"},
                            {"signingEpochSeconds", kSigningEpochSeconds},
                            {"accessKeyId", kAccessKey},
                            {"secretAccessKey", kSecret},
                            {"sessionToken", kToken}};
    std::ofstream(write_request) << boost::json::serialize(out);
  }
  aws::SignableRequest request{.method = "POST",
                               .path = kPath,
                               .query = {},
                               .headers = headers,
                               .body = body,
                               .payload_hash = {}};
  aws::Credentials credentials{kAccessKey, kSecret, kToken, {}};
  aws::SigningConfig config{
      .region = "us-east-1",
      .service = "bedrock",
      .time = std::chrono::system_clock::time_point(std::chrono::seconds(kSigningEpochSeconds)),
      .add_content_sha256_header = true};
  aws::SigV4Signer signer;
  std::printf("signature %s\n", signer.Sign(request, credentials, config).signature.c_str());

  // Warm up, then time batches until the CPU budget is spent.
  size_t sink = 0;
  for (int i = 0; i < 2000; ++i) sink += signer.Sign(request, credentials, config).signature[0];
  const bench::Stopwatch watch;
  uint64_t iterations = 0;
  while (watch.CpuSeconds() < seconds) {
    for (int i = 0; i < 1000; ++i) {
      sink += signer.Sign(request, credentials, config).signature[0];
    }
    iterations += 1000;
  }
  const double cpu = watch.CpuSeconds(), wall = watch.WallSeconds();
  std::printf(
      "sigv4 signatures_per_cpu_sec %.0f signatures_per_sec %.0f iterations %llu cpu_seconds %.2f "
      "seconds %.2f\n",
      iterations / cpu, iterations / wall, static_cast<unsigned long long>(iterations), cpu, wall);
  return sink == 0 ? 1 : 0;  // keeps the work observable
}

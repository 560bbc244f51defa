// Fault injection for the emulator: what can go wrong with a request, parsed from the
// `x-emulator-fault` request header, a script rule or the config file, and the per-request plan.
//
//   x-emulator-fault: throttle                       every attempt gets 429 ThrottlingException
//   x-emulator-fault: throttle;attempts=2            the first 2 attempts of one SDK invocation
//   x-emulator-fault: latency=250, error500          wait 250 ms, then 500 InternalServerException
//   x-emulator-fault: exception-mid-stream;after=3   3 stream events, then an exception frame
//   x-emulator-fault: corrupt-frame                  a frame with a bad message CRC mid-stream
//
//   auto faults = BEDROCK_TRY(emulator::ParseFaultSpec("throttle;attempts=1"));
//   emulator::FaultInjector injector(config_rules, /*seed=*/1);
//   emulator::FaultPlan plan = injector.Plan("converse", model_id, faults, invocation_key);
//
// Attempts of one invocation are recognised by a key the caller derives (the AWS SDKs' retries
// share `amz-sdk-invocation-id`; otherwise a hash of the request), so "fail twice then succeed"
// works with any retrying client.
//
// Thread-safety: ParseFaultSpec is pure; FaultInjector is internally locked (Plan may be called
// concurrently).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace bedrock::emulator {

enum class FaultKind {
  kThrottle,            // 429 ThrottlingException
  kModelNotReady,       // 429 ModelNotReadyException (424 on Agent Runtime)
  kInternalError,       // 500 InternalServerException
  kServiceUnavailable,  // 503 ServiceUnavailableException
  kModelTimeout,        // 408 ModelTimeoutException
  kModelError,          // 424 ModelErrorException
  kLatency,             // wait before answering
  kExceptionMidStream,  // streaming: an exception frame after some events
  kCorruptFrame,        // streaming: a frame with a bad message CRC after some events
  kDisconnect,          // streaming: the connection is dropped after some events
};

// The spec names: "throttle", "model-not-ready", "error500", "error503", "model-timeout",
// "model-error", "latency", "exception-mid-stream", "corrupt-frame", "disconnect".
std::string_view FaultName(FaultKind kind);

struct Fault {
  FaultKind kind = FaultKind::kThrottle;
  std::chrono::milliseconds latency{0};  // kLatency
  // kExceptionMidStream: the event-stream member name ("modelStreamErrorException",
  // "throttlingException", ...); empty for the operation's default.
  std::string exception;
  int attempts = 0;  // > 0: only the first `attempts` attempts of one invocation
  int after = -1;    // streaming faults: events sent first; -1 for about a third of them
  bool operator==(const Fault&) const = default;

  bool IsStreamFault() const {
    return kind == FaultKind::kExceptionMidStream || kind == FaultKind::kCorruptFrame ||
           kind == FaultKind::kDisconnect;
  }
};

// Parses "name[=value][;param=value...]" items separated by commas. Aliases: "throttling",
// "internal", "error" (error500), "unavailable" (error503), "timeout" (model-timeout).
// kInvalidArgument naming the bad item.
core::Result<std::vector<Fault>> ParseFaultSpec(std::string_view spec);

// What to do to one request.
struct FaultPlan {
  std::chrono::milliseconds latency{0};
  std::optional<Fault> error;       // answer with this error instead of the response
  std::optional<Fault> mid_stream;  // streaming only: break the stream this way

  // Adds faults: latencies add up, the first error and the first stream fault win.
  void Merge(const std::vector<Fault>& faults);
  bool empty() const { return latency.count() == 0 && !error && !mid_stream; }
};

// A fault configured for many requests (config file "faults").
struct FaultRule {
  std::vector<Fault> faults;
  double probability = 1.0;             // chance that a matching request gets the faults
  int every = 0;                        // > 0: only every Nth matching request (counted per rule)
  std::vector<std::string> operations;  // empty: all ("converse", "converse-stream", "invoke",
                                        // "invoke-stream", "retrieve", "invoke-agent",
                                        // "chat-completions")
  std::string model_contains;           // empty: any model
};

class FaultInjector {
 public:
  FaultInjector() : FaultInjector({}, 1) {}
  // `seed` makes probabilistic faults reproducible.
  FaultInjector(std::vector<FaultRule> rules, uint64_t seed);

  // The plan for one request: the request's own faults (header), then the configured rules, each
  // fault with `attempts` counted per (invocation_key, fault).
  FaultPlan Plan(std::string_view operation, std::string_view model,
                 const std::vector<Fault>& request_faults, std::string_view invocation_key);

  // Keeps only the faults whose attempt budget for this invocation is not used up (and counts
  // this attempt against it).
  std::vector<Fault> FilterAttempts(const std::vector<Fault>& faults,
                                    std::string_view invocation_key);

 private:
  std::vector<Fault> FilterAttemptsLocked(const std::vector<Fault>& faults,
                                          std::string_view invocation_key);

  std::vector<FaultRule> rules_;
  std::mutex mutex_;
  std::mt19937_64 random_;               // guarded by mutex_
  std::vector<uint64_t> rule_counts_;    // guarded by mutex_
  std::map<std::string, int> attempts_;  // guarded by mutex_; bounded
};

}  // namespace bedrock::emulator

#include "emulator/faults.h"

#include <charconv>

namespace bedrock::emulator {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value < 0) return std::nullopt;
  return value;
}

struct NameKind {
  std::string_view name;
  FaultKind kind;
};

constexpr NameKind kNames[] = {
    {"throttle", FaultKind::kThrottle},
    {"throttling", FaultKind::kThrottle},
    {"model-not-ready", FaultKind::kModelNotReady},
    {"error500", FaultKind::kInternalError},
    {"internal", FaultKind::kInternalError},
    {"error", FaultKind::kInternalError},
    {"error503", FaultKind::kServiceUnavailable},
    {"unavailable", FaultKind::kServiceUnavailable},
    {"model-timeout", FaultKind::kModelTimeout},
    {"timeout", FaultKind::kModelTimeout},
    {"model-error", FaultKind::kModelError},
    {"latency", FaultKind::kLatency},
    {"exception-mid-stream", FaultKind::kExceptionMidStream},
    {"corrupt-frame", FaultKind::kCorruptFrame},
    {"disconnect", FaultKind::kDisconnect},
};

core::Result<Fault> ParseItem(std::string_view item) {
  std::string_view head = item.substr(0, item.find(';'));
  std::string_view params =
      head.size() < item.size() ? item.substr(head.size() + 1) : std::string_view{};
  std::string_view name = Trim(head.substr(0, head.find('=')));
  std::string_view value = head.find('=') == std::string_view::npos
                               ? std::string_view{}
                               : Trim(head.substr(head.find('=') + 1));
  Fault fault;
  bool known = false;
  for (const auto& entry : kNames) {
    if (entry.name == name) {
      fault.kind = entry.kind;
      known = true;
      break;
    }
  }
  if (!known) {
    return core::Error::InvalidArgument(
        "unknown fault '{}' (expected throttle, model-not-ready, error500, error503, "
        "model-timeout, model-error, latency=MS, exception-mid-stream[=type], corrupt-frame or "
        "disconnect)",
        name);
  }
  if (fault.kind == FaultKind::kLatency) {
    auto ms = ParseInt(value);
    if (!ms || *ms > 600'000) {
      return core::Error::InvalidArgument(
          "latency needs a number of milliseconds (0..600000): '{}'", item);
    }
    fault.latency = std::chrono::milliseconds(*ms);
  } else if (fault.kind == FaultKind::kExceptionMidStream) {
    fault.exception = std::string(value);
  } else if (!value.empty()) {
    return core::Error::InvalidArgument("fault '{}' takes no value", name);
  }
  while (!params.empty()) {
    std::string_view param = params.substr(0, params.find(';'));
    params = param.size() < params.size() ? params.substr(param.size() + 1) : std::string_view{};
    param = Trim(param);
    if (param.empty()) continue;
    size_t eq = param.find('=');
    std::string_view key = Trim(param.substr(0, eq));
    auto number =
        eq == std::string_view::npos ? std::nullopt : ParseInt(Trim(param.substr(eq + 1)));
    if (!number || *number > 1'000'000) {
      return core::Error::InvalidArgument("fault parameter '{}' needs a number", param);
    }
    if (key == "attempts") {
      fault.attempts = static_cast<int>(*number);
    } else if (key == "after") {
      fault.after = static_cast<int>(*number);
    } else {
      return core::Error::InvalidArgument("unknown fault parameter '{}' (attempts, after)", key);
    }
  }
  return fault;
}

}  // namespace

std::string_view FaultName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kThrottle:
      return "throttle";
    case FaultKind::kModelNotReady:
      return "model-not-ready";
    case FaultKind::kInternalError:
      return "error500";
    case FaultKind::kServiceUnavailable:
      return "error503";
    case FaultKind::kModelTimeout:
      return "model-timeout";
    case FaultKind::kModelError:
      return "model-error";
    case FaultKind::kLatency:
      return "latency";
    case FaultKind::kExceptionMidStream:
      return "exception-mid-stream";
    case FaultKind::kCorruptFrame:
      return "corrupt-frame";
    case FaultKind::kDisconnect:
      return "disconnect";
  }
  return "unknown";
}

core::Result<std::vector<Fault>> ParseFaultSpec(std::string_view spec) {
  std::vector<Fault> faults;
  while (true) {
    size_t comma = spec.find(',');
    std::string_view item = Trim(spec.substr(0, comma));
    if (!item.empty()) {
      auto fault = ParseItem(item);
      if (!fault.ok()) return fault.error();
      faults.push_back(std::move(*fault));
    }
    if (comma == std::string_view::npos) break;
    spec.remove_prefix(comma + 1);
  }
  return faults;
}

void FaultPlan::Merge(const std::vector<Fault>& faults) {
  for (const Fault& fault : faults) {
    if (fault.kind == FaultKind::kLatency) {
      latency += fault.latency;
    } else if (fault.IsStreamFault()) {
      if (!mid_stream) mid_stream = fault;
    } else if (!error) {
      error = fault;
    }
  }
}

FaultInjector::FaultInjector(std::vector<FaultRule> rules, uint64_t seed)
    : rules_(std::move(rules)), random_(seed), rule_counts_(rules_.size(), 0) {}

std::vector<Fault> FaultInjector::FilterAttemptsLocked(const std::vector<Fault>& faults,
                                                       std::string_view invocation_key) {
  std::vector<Fault> kept;
  for (size_t i = 0; i < faults.size(); ++i) {
    const Fault& fault = faults[i];
    if (fault.attempts <= 0) {
      kept.push_back(fault);
      continue;
    }
    // Bounded memory: a long-running emulator forgets old invocations.
    if (attempts_.size() > 10'000) attempts_.clear();
    std::string key = std::string(invocation_key) + "#" + std::string(FaultName(fault.kind)) + "#" +
                      std::to_string(i);
    int& seen = attempts_[key];
    if (seen < fault.attempts) kept.push_back(fault);
    ++seen;
  }
  return kept;
}

std::vector<Fault> FaultInjector::FilterAttempts(const std::vector<Fault>& faults,
                                                 std::string_view invocation_key) {
  std::lock_guard lock(mutex_);
  return FilterAttemptsLocked(faults, invocation_key);
}

FaultPlan FaultInjector::Plan(std::string_view operation, std::string_view model,
                              const std::vector<Fault>& request_faults,
                              std::string_view invocation_key) {
  std::lock_guard lock(mutex_);
  FaultPlan plan;
  plan.Merge(FilterAttemptsLocked(request_faults, invocation_key));
  for (size_t r = 0; r < rules_.size(); ++r) {
    const FaultRule& rule = rules_[r];
    if (!rule.operations.empty()) {
      bool listed = false;
      for (const auto& op : rule.operations) listed = listed || op == operation;
      if (!listed) continue;
    }
    if (!rule.model_contains.empty() && model.find(rule.model_contains) == std::string_view::npos) {
      continue;
    }
    uint64_t count = ++rule_counts_[r];
    if (rule.every > 0 && count % static_cast<uint64_t>(rule.every) != 0) continue;
    if (rule.probability < 1.0) {
      std::uniform_real_distribution<double> chance(0.0, 1.0);
      if (chance(random_) >= rule.probability) continue;
    }
    plan.Merge(FilterAttemptsLocked(rule.faults,
                                    std::string(invocation_key) + "#rule" + std::to_string(r)));
  }
  return plan;
}

}  // namespace bedrock::emulator

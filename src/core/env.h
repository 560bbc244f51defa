// The process environment, injectable: code that reads environment variables takes a `const Env&`
// so tests can hand it a FakeEnv instead of mutating the real environment.
//
//   core::SystemEnv env;                                  // a snapshot of environ, taken now
//   std::optional<std::string> region = env.Get("AWS_REGION");
//
//   core::FakeEnv fake({{"HOME", "/home/test"}});         // in tests
//   auto text = core::ExpandEnvReferences("${HOME}/x", fake);   // "/home/test/x"
//
// Thread-safety: every Env's const methods may be called concurrently. SystemEnv is immutable after
// construction; FakeEnv's mutators are synchronised with its readers.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace bedrock::core {

class Env {
 public:
  virtual ~Env() = default;

  // The value of `name`, or nullopt when it is unset. A variable set to "" is returned as "".
  virtual std::optional<std::string> Get(std::string_view name) const = 0;

  // Every variable whose name starts with `prefix`, sorted by name.
  virtual std::vector<std::pair<std::string, std::string>> ListWithPrefix(
      std::string_view prefix) const = 0;
};

// The real environment, copied from `environ` when constructed. Reading a snapshot rather than
// calling getenv() makes reads safe against a concurrent setenv() elsewhere in the process (which
// POSIX leaves undefined), at the price of not seeing later changes: construct a new SystemEnv to
// see them. Construct it before starting threads that might call setenv().
class SystemEnv final : public Env {
 public:
  SystemEnv();

  std::optional<std::string> Get(std::string_view name) const override;
  std::vector<std::pair<std::string, std::string>> ListWithPrefix(
      std::string_view prefix) const override;

 private:
  std::map<std::string, std::string, std::less<>> vars_;
};

// An in-memory environment for tests.
class FakeEnv final : public Env {
 public:
  FakeEnv() = default;
  FakeEnv(std::initializer_list<std::pair<const std::string, std::string>> vars);

  void Set(std::string name, std::string value);
  void Unset(std::string_view name);

  std::optional<std::string> Get(std::string_view name) const override;
  std::vector<std::pair<std::string, std::string>> ListWithPrefix(
      std::string_view prefix) const override;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string, std::less<>> vars_;  // guarded by mutex_
};

// Expands environment references in `text`, the syntax of config string values:
//   ${NAME}            the value of NAME; an error when NAME is unset
//   ${NAME:-default}   the value of NAME, or `default` when NAME is unset or empty (as in sh)
//   $${                a literal "${" (the escape)
// NAME is [A-Za-z_][A-Za-z0-9_]*. Any other '$' is literal. Errors (kInvalidArgument) describe the
// problem without a location; callers add the file, line and key.
Result<std::string> ExpandEnvReferences(std::string_view text, const Env& env);

}  // namespace bedrock::core

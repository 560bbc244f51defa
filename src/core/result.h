// Result<T>: a value or an Error, returned by everything fallible at a module boundary.
//
//   core::Result<Config> LoadConfig(const std::string& path);
//   core::Status Save(const Config&);          // Status is Result<void>
//
//   core::Result<int> ParsePort(std::string_view text) {
//     auto config = BEDROCK_TRY(LoadConfig(path));   // returns the error to our caller on failure
//     BEDROCK_TRY(Save(config));
//     ...
//   }
//
// Inside a coroutine use BEDROCK_CO_TRY / BEDROCK_CO_TRY_ASSIGN, which co_return instead (see
// below). BEDROCK_TRY relies on GNU statement expressions (g++ and clang).
//
// Both types are [[nodiscard]]: ignoring a failure must be written out, e.g. `(void)Close();`.
// Thread-safety: value types; const methods may be called concurrently.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/error.h"

namespace bedrock::core {

template <typename T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result(const T& value) : state_(std::in_place_index<0>, value) {}  // NOLINT: implicit by design
  Result(T&& value) : state_(std::in_place_index<0>, std::move(value)) {}    // NOLINT
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT
  template <typename U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, T> &&
           !std::is_same_v<std::remove_cvref_t<U>, Error> &&
           !std::is_same_v<std::remove_cvref_t<U>, Result>) Result(U&& value)
      : state_(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Precondition: ok().
  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // Precondition: !ok().
  const Error& error() const& {
    assert(!ok());
    return std::get<1>(state_);
  }
  Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(state_));
  }

  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;

  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT: implicit by design

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  void value() const { assert(ok()); }

  const Error& error() const& {
    assert(!ok());
    return error_;
  }
  Error&& error() && {
    assert(!ok());
    return std::move(error_);
  }

 private:
  Error error_{ErrorCode::kUnknown, {}};
  bool failed_ = false;
};

using Status = Result<void>;

// The success Status, for readability at call sites: `return core::OkStatus();`.
inline Status OkStatus() { return {}; }

namespace internal {
template <typename T>
T TakeValue(Result<T>&& result) {
  return std::move(result).value();
}
inline void TakeValue(Result<void>&&) {}
}  // namespace internal

}  // namespace bedrock::core

// Evaluates `expr` (a Result); on failure returns its Error from the enclosing function, otherwise
// the expression's value is the Result's value (nothing for a Status).
#define BEDROCK_TRY(expr)                                                         \
  ({                                                                              \
    auto bedrock_try_result_ = (expr);                                            \
    if (!bedrock_try_result_.ok()) return std::move(bedrock_try_result_).error(); \
    ::bedrock::core::internal::TakeValue(std::move(bedrock_try_result_));         \
  })

// Coroutines cannot use statement expressions (g++ 12 rejects co_return inside one), so they get
// the statement forms of the same mechanism:
//   BEDROCK_CO_TRY(co_await Flush());                          // on failure co_return the Error
//   BEDROCK_CO_TRY_ASSIGN(auto reply, co_await Call(request)); // declares or assigns `reply`
// (The trailing `else` keeps a caller's own `else` from binding to the macro's `if`.)
#define BEDROCK_CO_TRY(expr)                                        \
  if (auto bedrock_try_result_ = (expr); !bedrock_try_result_.ok()) \
    co_return std::move(bedrock_try_result_).error();               \
  else                                                              \
    (void)0

#define BEDROCK_TRY_CONCAT_INNER_(a, b) a##b
#define BEDROCK_TRY_CONCAT_(a, b) BEDROCK_TRY_CONCAT_INNER_(a, b)
#define BEDROCK_CO_TRY_ASSIGN(lhs, expr) \
  BEDROCK_CO_TRY_ASSIGN_IMPL_(BEDROCK_TRY_CONCAT_(bedrock_try_result_, __LINE__), lhs, expr)
#define BEDROCK_CO_TRY_ASSIGN_IMPL_(result, lhs, expr)   \
  auto result = (expr);                                  \
  if (!result.ok()) co_return std::move(result).error(); \
  lhs = std::move(result).value()

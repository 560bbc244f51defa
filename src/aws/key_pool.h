// A pool of long-term access keys that spreads calls over several AWS accounts or users and
// rotates away from a key that was throttled (the demo's conf/credential.csv).
//
//   auto pool = BEDROCK_TRY(aws::AccessKeyPool::LoadCsvFile("conf/credential.csv", clock));
//   bedrock_options.credentials = pool->AsFunction();     // each call: the best key right now
//   ...
//   if (error is ThrottlingException) pool->ReportThrottled(credentials.access_key_id);
//
// CSV format: a header row naming the columns, then one key per row. Column names are matched
// case-insensitively, ignoring spaces and '_': "ak"/"access_key_id"/"Access key ID"/
// "aws_access_key_id" and "sk"/"secret_access_key"/"Secret access key"/"aws_secret_access_key",
// optionally "session_token"/"aws_session_token" (other columns are ignored). Fields may be
// double-quoted (RFC 4180, "" for a quote); surrounding whitespace is trimmed; blank lines and
// lines starting with '#' are skipped; a UTF-8 BOM is allowed. The demo's README example
// ("ak,sk" then "ak1,sk1") parses.
//
// Selection: the keys are used round-robin, skipping keys benched for a cool-down after a
// throttling report (default 60 s, doubling on repeated throttling up to 10 minutes, reset by
// ReportSuccess). When every key is benched, the one whose bench ends first is used anyway: a
// pool never refuses to give a key.
//
// Thread-safety: all methods may be called concurrently from any thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "aws/credentials.h"
#include "core/clock.h"
#include "core/result.h"

namespace bedrock::aws {

struct KeyPoolOptions {
  std::chrono::seconds cooldown{60};
  std::chrono::seconds max_cooldown{600};
};

// Parses the CSV text. kInvalidArgument (with the line number) for a missing column, a row with
// too few fields, an empty key, or an unterminated quote; an empty list of keys is an error too.
core::Result<std::vector<Credentials>> ParseAccessKeyCsv(std::string_view text);

class AccessKeyPool : public std::enable_shared_from_this<AccessKeyPool> {
 public:
  // `clock` (its SteadyNow) times the cool-downs; it must outlive the pool. kInvalidArgument for
  // an empty list.
  static core::Result<std::shared_ptr<AccessKeyPool>> Create(std::vector<Credentials> keys,
                                                             const core::Clock& clock,
                                                             KeyPoolOptions options = {});
  static core::Result<std::shared_ptr<AccessKeyPool>> LoadCsvFile(const std::string& path,
                                                                  const core::Clock& clock,
                                                                  KeyPoolOptions options = {});

  // The key to use for the next call.
  Credentials Next();

  // The call with this key was throttled: bench it.
  void ReportThrottled(std::string_view access_key_id);
  // A call with this key succeeded: its next cool-down starts from the base again.
  void ReportSuccess(std::string_view access_key_id);

  size_t size() const { return keys_.size(); }
  // Keys not benched right now.
  size_t available() const;

  // A credentials provider (the shape the Bedrock client takes) that returns Next().
  std::function<boost::asio::awaitable<core::Result<Credentials>>()> AsFunction();

 private:
  struct Entry {
    Credentials key;
    core::Clock::SteadyTime benched_until{};
    int strikes = 0;  // consecutive throttling reports
  };
  AccessKeyPool(std::vector<Credentials> keys, const core::Clock& clock, KeyPoolOptions options);

  const core::Clock& clock_;
  const KeyPoolOptions options_;
  mutable std::mutex mutex_;
  std::vector<Entry> keys_;  // guarded by mutex_ (the vector's size never changes)
  size_t next_ = 0;          // guarded by mutex_
};

}  // namespace bedrock::aws

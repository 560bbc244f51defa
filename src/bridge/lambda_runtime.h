// A client of the AWS Lambda Runtime API (what a custom runtime's `bootstrap` talks to), and the
// loop that serves invocations with it.
//
//   auto api = bridge::LambdaRuntimeApi::Create(io.get_executor(), env_runtime_api);  // host:port
//   bridge::RuntimeLoopOptions options;
//   co_await bridge::RunLambdaLoop(*api, handler, options);
//
// The endpoints (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html):
//   GET  /2018-06-01/runtime/invocation/next             the next event (long poll); headers
//        Lambda-Runtime-Aws-Request-Id, -Deadline-Ms, -Invoked-Function-Arn, -Trace-Id
//   POST /2018-06-01/runtime/invocation/{id}/response    the handler's answer (202)
//   POST /2018-06-01/runtime/invocation/{id}/error       {"errorMessage", "errorType"} (202)
//   POST /2018-06-01/runtime/init/error                  an initialisation failure (202)
// Errors carry Lambda-Runtime-Function-Error-Type. The next-invocation request has no timeout (a
// Lambda sandbox is frozen between invocations); the posts have one.
//
// Thread-safety: a LambdaRuntimeApi is used from one coroutine at a time.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "http/client.h"

namespace bedrock::bridge {

struct Invocation {
  std::string request_id;
  std::string body;
  std::optional<std::chrono::system_clock::time_point> deadline;  // Lambda-Runtime-Deadline-Ms
  std::string function_arn;
  std::string trace_id;  // also exported as _X_AMZN_TRACE_ID by RunLambdaLoop
};

class LambdaRuntimeApi {
 public:
  // `api` is AWS_LAMBDA_RUNTIME_API: "host:port" (an "http://" prefix is accepted).
  static core::Result<LambdaRuntimeApi> Create(boost::asio::any_io_executor executor,
                                               std::string_view api);

  // Waits for the next invocation. kUpstreamFailure when the API answers other than 200 or
  // without a request id.
  boost::asio::awaitable<core::Result<Invocation>> Next();
  boost::asio::awaitable<core::Status> Respond(std::string request_id, std::string body);
  // `type` becomes errorType and the Lambda-Runtime-Function-Error-Type header.
  boost::asio::awaitable<core::Status> ReportError(std::string request_id, std::string type,
                                                   std::string message);
  boost::asio::awaitable<core::Status> ReportInitError(std::string type, std::string message);

 private:
  LambdaRuntimeApi(http::Client client, std::string base_url)
      : client_(std::move(client)), base_url_(std::move(base_url)) {}
  boost::asio::awaitable<core::Status> Post(std::string path, std::string body,
                                            std::string error_type);

  http::Client client_;
  std::string base_url_;  // "http://host:port/2018-06-01"
};

// What the loop runs per invocation: the response body, or an Error that is reported with
// ReportError (errorType "BedrockMcp.<code name>").
using InvocationHandler =
    std::function<boost::asio::awaitable<core::Result<std::string>>(Invocation invocation)>;

// Not an aggregate: passed into a coroutine.
struct RuntimeLoopOptions {
  RuntimeLoopOptions() {}
  // Stop after this many invocations (tests); unset: until Next fails.
  std::optional<size_t> max_invocations;
};

// Serves invocations until Next fails (the runtime API went away: returns its error) or
// max_invocations were handled (returns OK). A failed post is logged and the loop goes on.
boost::asio::awaitable<core::Status> RunLambdaLoop(LambdaRuntimeApi& api, InvocationHandler handler,
                                                   RuntimeLoopOptions options);

}  // namespace bedrock::bridge

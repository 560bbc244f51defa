#include "bridge/lambda_runtime.h"

#include <fmt/format.h>

#include <boost/json/serialize.hpp>
#include <charconv>
#include <cstdlib>
#include <utility>

#include "core/log.h"

namespace bedrock::bridge {
namespace {

namespace json = boost::json;
constexpr std::string_view kComponent = "agents-lambda";
constexpr std::chrono::milliseconds kPostTimeout{30'000};

std::string ErrorBody(std::string_view type, std::string_view message) {
  return json::serialize(
      json::object{{"errorMessage", message}, {"errorType", type}, {"stackTrace", json::array()}});
}

}  // namespace

core::Result<LambdaRuntimeApi> LambdaRuntimeApi::Create(boost::asio::any_io_executor executor,
                                                        std::string_view api) {
  if (api.starts_with("http://")) api.remove_prefix(7);
  while (!api.empty() && api.back() == '/') api.remove_suffix(1);
  if (api.empty() || api.find('/') != std::string_view::npos) {
    return core::Error::InvalidArgument(
        "AWS_LAMBDA_RUNTIME_API must be host:port, not '{}' (is this running inside Lambda?)", api);
  }
  http::ClientOptions options;
  options.proxy = http::ProxyConfig{};  // the runtime API is local: never through a proxy
  options.request_timeout = kPostTimeout;
  options.max_response_body = 6u << 20;  // the synchronous invocation payload limit, and a bit
  options.user_agent = "bedrock-mcp-agents-lambda";
  auto client = http::Client::Create(std::move(executor), std::move(options));
  if (!client.ok()) return std::move(client).error();
  return LambdaRuntimeApi(std::move(*client), fmt::format("http://{}/2018-06-01", api));
}

boost::asio::awaitable<core::Result<Invocation>> LambdaRuntimeApi::Next() {
  http::ClientRequest request;
  request.method = "GET";
  request.url = base_url_ + "/runtime/invocation/next";
  request.timeout = std::chrono::milliseconds(0);  // a long poll: the sandbox may be frozen
  auto response = co_await client_.Send(std::move(request));
  if (!response.ok()) co_return std::move(response).error();
  if (response->status != 200) {
    co_return core::Error::UpstreamFailure("the Lambda runtime API answered {} to next: {}",
                                           response->status, response->body.substr(0, 200));
  }
  Invocation invocation;
  invocation.request_id = std::string(
      response->headers.Get("Lambda-Runtime-Aws-Request-Id").value_or(std::string_view()));
  if (invocation.request_id.empty()) {
    co_return core::Error::UpstreamFailure(
        "the Lambda runtime API sent an invocation without Lambda-Runtime-Aws-Request-Id");
  }
  if (auto deadline = response->headers.Get("Lambda-Runtime-Deadline-Ms")) {
    int64_t ms = 0;
    auto [end, ec] = std::from_chars(deadline->data(), deadline->data() + deadline->size(), ms);
    if (ec == std::errc() && end == deadline->data() + deadline->size() && ms > 0) {
      invocation.deadline = std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
    }
  }
  invocation.function_arn = std::string(
      response->headers.Get("Lambda-Runtime-Invoked-Function-Arn").value_or(std::string_view()));
  invocation.trace_id =
      std::string(response->headers.Get("Lambda-Runtime-Trace-Id").value_or(std::string_view()));
  invocation.body = std::move(response->body);
  co_return invocation;
}

boost::asio::awaitable<core::Status> LambdaRuntimeApi::Post(std::string path, std::string body,
                                                            std::string error_type) {
  http::ClientRequest request;
  request.method = "POST";
  request.url = base_url_ + path;
  request.headers.Set("Content-Type", "application/json");
  if (!error_type.empty()) request.headers.Set("Lambda-Runtime-Function-Error-Type", error_type);
  request.body = std::move(body);
  auto response = co_await client_.Send(std::move(request));
  if (!response.ok()) co_return std::move(response).error();
  if (response->status != 202 && response->status != 200) {
    co_return core::Error::UpstreamFailure("the Lambda runtime API answered {} to {}: {}",
                                           response->status, path, response->body.substr(0, 200));
  }
  co_return core::OkStatus();
}

boost::asio::awaitable<core::Status> LambdaRuntimeApi::Respond(std::string request_id,
                                                               std::string body) {
  co_return co_await Post(fmt::format("/runtime/invocation/{}/response", request_id),
                          std::move(body), {});
}

boost::asio::awaitable<core::Status> LambdaRuntimeApi::ReportError(std::string request_id,
                                                                   std::string type,
                                                                   std::string message) {
  std::string body = ErrorBody(type, message);
  co_return co_await Post(fmt::format("/runtime/invocation/{}/error", request_id), std::move(body),
                          std::move(type));
}

boost::asio::awaitable<core::Status> LambdaRuntimeApi::ReportInitError(std::string type,
                                                                       std::string message) {
  std::string body = ErrorBody(type, message);
  co_return co_await Post("/runtime/init/error", std::move(body), std::move(type));
}

boost::asio::awaitable<core::Status> RunLambdaLoop(LambdaRuntimeApi& api, InvocationHandler handler,
                                                   RuntimeLoopOptions options) {
  size_t handled = 0;
  while (!options.max_invocations || handled < *options.max_invocations) {
    BEDROCK_CO_TRY_ASSIGN(Invocation invocation, co_await api.Next());
    ++handled;
    // X-Ray reads the trace header from the environment, as every runtime sets it.
    if (!invocation.trace_id.empty()) {
      ::setenv("_X_AMZN_TRACE_ID", invocation.trace_id.c_str(), 1);
    } else {
      ::unsetenv("_X_AMZN_TRACE_ID");
    }
    std::string request_id = invocation.request_id;
    auto result = co_await handler(std::move(invocation));
    core::Status posted;
    if (result.ok()) {
      posted = co_await api.Respond(request_id, std::move(*result));
    } else {
      const core::Error& error = result.error();
      BEDROCK_LOG_WARN(kComponent, "invocation failed",
                       {{"request_id", request_id}, {"error", error}});
      posted = co_await api.ReportError(
          request_id, fmt::format("BedrockMcp.{}", core::ErrorCodeName(error.code())),
          error.message());
    }
    if (!posted.ok()) {
      BEDROCK_LOG_ERROR(kComponent, "cannot post the invocation's result",
                        {{"request_id", request_id}, {"error", posted.error()}});
    }
  }
  co_return core::OkStatus();
}

}  // namespace bedrock::bridge

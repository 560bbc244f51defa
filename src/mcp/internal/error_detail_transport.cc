#include "mcp/internal/error_detail_transport.h"

#include <boost/json.hpp>
#include <unordered_set>

#include "mcp/protocol.h"

namespace bedrock::mcp::internal {
namespace {

namespace json = boost::json;

bool CarriesModernMeta(const Request& request) {
  const json::object* params = request.params.if_object();
  const json::value* meta = params ? params->if_contains(kMetaKey) : nullptr;
  return meta && meta->is_object() && meta->get_object().contains(meta::kProtocolVersion);
}

class ErrorDetailTransport final : public Transport {
 public:
  explicit ErrorDetailTransport(std::shared_ptr<Transport> inner) : inner_(std::move(inner)) {}

  boost::asio::any_io_executor get_executor() override { return inner_->get_executor(); }

  Awaitable<core::Result<Incoming>> Receive() override {
    auto incoming = co_await inner_->Receive();
    if (!incoming.ok()) co_return incoming;
    auto* response = std::get_if<Response>(&incoming->message);
    if (response == nullptr || !response->id) co_return incoming;
    auto it = modern_requests_.find(*response->id);
    if (it == modern_requests_.end()) co_return incoming;
    modern_requests_.erase(it);
    if (response->error) {
      json::object error;
      error["code"] = response->error->code;
      error["message"] = response->error->message;
      if (!response->error->data.is_null()) error["data"] = std::move(response->error->data);
      json::object wrapped;
      wrapped[kResultTypeKey] = kRpcErrorResultType;
      wrapped["error"] = std::move(error);
      response->result = std::move(wrapped);
      response->error.reset();
    }
    co_return incoming;
  }

  Awaitable<core::Status> Send(Message message, SendOptions options) override {
    std::optional<RequestId> tracked = Track(message);
    auto sent = co_await inner_->Send(std::move(message), std::move(options));
    if (!sent.ok() && tracked) modern_requests_.erase(*tracked);
    co_return sent;
  }

  std::optional<core::Status> TrySend(Message& message, SendOptions& options) override {
    std::optional<RequestId> tracked = Track(message);
    auto sent = inner_->TrySend(message, options);
    if ((!sent || !sent->ok()) && tracked) modern_requests_.erase(*tracked);
    return sent;
  }

  Awaitable<void> Close() override { co_await inner_->Close(); }
  void SetProtocolVersion(std::string_view version) override {
    inner_->SetProtocolVersion(version);
  }
  bool CloseRequestStream(const RequestId& request) override {
    return inner_->CloseRequestStream(request);
  }

 private:
  // Remembers a request sent with modern _meta; returns its id.
  std::optional<RequestId> Track(const Message& message) {
    const auto* request = std::get_if<Request>(&message);
    if (request == nullptr || !CarriesModernMeta(*request)) return std::nullopt;
    modern_requests_.insert(request->id);
    return request->id;
  }

  std::shared_ptr<Transport> inner_;
  // Requests sent with modern _meta whose answer has not arrived. An answer that never comes
  // (timeout, cancellation) leaves its id here; ids are never reused, so that only costs memory
  // of one id per lost answer.
  std::unordered_set<RequestId> modern_requests_;
};

}  // namespace

std::shared_ptr<Transport> WrapForErrorDetails(std::shared_ptr<Transport> inner) {
  return std::make_shared<ErrorDetailTransport>(std::move(inner));
}

std::optional<RpcError> UnwrapRpcError(const boost::json::value& result) {
  const json::object* o = result.if_object();
  const json::value* type = o ? o->if_contains(kResultTypeKey) : nullptr;
  if (type == nullptr || !type->is_string() || type->get_string() != kRpcErrorResultType) {
    return std::nullopt;
  }
  RpcError error;
  const json::value* e = o->if_contains("error");
  if (e == nullptr || !e->is_object()) return error;
  const json::object& eo = e->get_object();
  if (const json::value* code = eo.if_contains("code"); code && code->is_int64()) {
    error.code = static_cast<int>(code->get_int64());
  }
  if (const json::value* message = eo.if_contains("message"); message && message->is_string()) {
    error.message = std::string(message->get_string());
  }
  if (const json::value* data = eo.if_contains("data")) error.data = *data;
  return error;
}

}  // namespace bedrock::mcp::internal

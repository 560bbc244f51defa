#include "mcp/jsonrpc.h"

#include <boost/json/parse.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/serializer.hpp>
#include <limits>

#include "mcp/protocol.h"

namespace bedrock::mcp {
namespace json = boost::json;

std::optional<RequestId> RequestId::FromJson(const json::value& value) {
  switch (value.kind()) {
    case json::kind::string:
      return RequestId(std::string(value.get_string()));
    case json::kind::int64:
      return RequestId(value.get_int64());
    case json::kind::uint64:
      if (value.get_uint64() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return std::nullopt;
      }
      return RequestId(static_cast<int64_t>(value.get_uint64()));
    default:
      return std::nullopt;
  }
}

json::value RequestId::ToJson() const {
  if (is_string()) return json::value(string());
  return json::value(integer());
}

std::string RequestId::ToString() const {
  if (is_string()) return json::serialize(json::value(string()));
  return std::to_string(integer());
}

size_t RequestId::Hash() const {
  if (is_string()) return std::hash<std::string>{}(string()) ^ 0x9e3779b97f4a7c15ull;
  return std::hash<int64_t>{}(integer());
}

RpcError RpcError::FromError(const core::Error& error) {
  return RpcError{core::JsonRpcCodeFor(error.code()), error.message(), nullptr};
}

core::Error RpcError::ToError(std::string_view peer) const {
  return core::Error(core::ErrorCodeFromJsonRpc(code),
                     fmt::format("{}: {} (JSON-RPC {})", peer, message, code));
}

std::string_view MethodOf(const Message& message) {
  if (auto* r = std::get_if<Request>(&message)) return r->method;
  if (auto* n = std::get_if<Notification>(&message)) return n->method;
  return {};
}

namespace {

RpcError MakeError(int code, std::string message) {
  return RpcError{code, std::move(message), nullptr};
}

// Classifies one JSON value (a whole payload or a batch element) into a message, or an error
// response for the peer.
void Classify(json::value&& value, ParsedPayload& out) {
  json::object* object = value.if_object();
  if (object == nullptr) {
    out.errors.push_back(Response::Failure(
        std::nullopt, MakeError(kInvalidRequest, "a JSON-RPC message must be a JSON object")));
    return;
  }
  std::optional<RequestId> id;
  const json::value* id_value = object->if_contains("id");
  if (id_value != nullptr) id = RequestId::FromJson(*id_value);

  auto reject = [&](std::string message) {
    out.errors.push_back(Response::Failure(id, MakeError(kInvalidRequest, std::move(message))));
  };

  const json::value* version = object->if_contains("jsonrpc");
  if (version == nullptr || !version->is_string() || version->get_string() != kJsonRpcVersion) {
    reject(R"(missing or wrong "jsonrpc" member: expected "2.0")");
    return;
  }

  if (json::value* method = object->if_contains("method")) {
    if (!method->is_string()) {
      reject(R"("method" must be a string)");
      return;
    }
    json::value params;
    if (json::value* p = object->if_contains("params")) {
      if (!p->is_object() && !p->is_array()) {
        reject(R"("params" must be an object or an array)");
        return;
      }
      params = std::move(*p);
    }
    if (id_value == nullptr) {
      out.messages.emplace_back(Notification{std::string(method->get_string()), std::move(params)});
      return;
    }
    if (!id) {
      reject(R"("id" must be a string or an integer)");
      return;
    }
    out.messages.emplace_back(
        Request{std::move(*id), std::string(method->get_string()), std::move(params)});
    return;
  }

  json::value* result = object->if_contains("result");
  json::value* error = object->if_contains("error");
  if (result == nullptr && error == nullptr) {
    reject(R"(not a request, notification or response: no "method", "result" or "error")");
    return;
  }
  if (result != nullptr && error != nullptr) {
    reject(R"(a response must not carry both "result" and "error")");
    return;
  }
  if (result != nullptr) {
    if (!id) {
      reject(R"(a result response needs a string or integer "id")");
      return;
    }
    out.messages.emplace_back(Response::Success(std::move(*id), std::move(*result)));
    return;
  }
  // An error response: the id may be null when the peer could not read ours.
  if (id_value != nullptr && !id_value->is_null() && !id) {
    reject(R"("id" must be a string or an integer)");
    return;
  }
  json::object* error_object = error->if_object();
  if (error_object == nullptr) {
    reject(R"("error" must be an object)");
    return;
  }
  const json::value* code = error_object->if_contains("code");
  const json::value* message = error_object->if_contains("message");
  if (code == nullptr || !(code->is_int64() || code->is_uint64()) || message == nullptr ||
      !message->is_string()) {
    reject(R"("error" needs an integer "code" and a string "message")");
    return;
  }
  int64_t code_value = code->is_int64() ? code->get_int64() : -1;
  if (code_value < std::numeric_limits<int>::min() ||
      code_value > std::numeric_limits<int>::max()) {
    reject(R"("error.code" is out of range)");
    return;
  }
  RpcError rpc_error{static_cast<int>(code_value), std::string(message->get_string()), nullptr};
  if (json::value* data = error_object->if_contains("data")) rpc_error.data = std::move(*data);
  out.messages.emplace_back(Response::Failure(std::move(id), std::move(rpc_error)));
}

}  // namespace

namespace {

// What the bytes of a payload over the limit get instead of a parse.
ParsedPayload Oversize(size_t size, const ParseLimits& limits) {
  ParsedPayload out;
  out.errors.push_back(Response::Failure(
      std::nullopt,
      MakeError(kInvalidRequest, fmt::format("message of {} bytes exceeds the limit of {} bytes",
                                             size, limits.max_bytes))));
  return out;
}

// Classifies a parsed payload (or reports its parse error).
ParsedPayload ClassifyPayload(json::value&& value, boost::system::error_code ec, bool allow_batch) {
  ParsedPayload out;
  if (ec) {
    out.errors.push_back(Response::Failure(
        std::nullopt, MakeError(kParseError, fmt::format("invalid JSON: {}", ec.message()))));
    return out;
  }
  if (json::array* array = value.if_array()) {
    out.batch = true;
    if (!allow_batch) {
      out.errors.push_back(Response::Failure(
          std::nullopt, MakeError(kInvalidRequest,
                                  "JSON-RPC batches are not supported in this protocol "
                                  "revision")));
      return out;
    }
    if (array->empty()) {
      out.errors.push_back(
          Response::Failure(std::nullopt, MakeError(kInvalidRequest, "empty JSON-RPC batch")));
      return out;
    }
    out.messages.reserve(array->size());
    for (json::value& element : *array) Classify(std::move(element), out);
    return out;
  }
  Classify(std::move(value), out);
  return out;
}

json::parse_options ParseOptions(const ParseLimits& limits) {
  json::parse_options options;
  options.max_depth = limits.max_depth;
  return options;
}

}  // namespace

ParsedPayload ParsePayload(std::string_view bytes, const ParseLimits& limits, bool allow_batch) {
  if (bytes.size() > limits.max_bytes) return Oversize(bytes.size(), limits);
  boost::system::error_code ec;
  json::value value = json::parse(bytes, ec, json::storage_ptr(), ParseOptions(limits));
  return ClassifyPayload(std::move(value), ec, allow_batch);
}

struct PayloadParser::Impl {
  explicit Impl(const ParseLimits& parse_limits)
      : limits(parse_limits), parser(json::storage_ptr(), ParseOptions(parse_limits)) {}
  ParseLimits limits;
  json::parser parser;
};

PayloadParser::PayloadParser(const ParseLimits& limits) : impl_(std::make_unique<Impl>(limits)) {}

PayloadParser::~PayloadParser() = default;

ParsedPayload PayloadParser::Parse(std::string_view bytes, bool allow_batch) {
  if (bytes.size() > impl_->limits.max_bytes) return Oversize(bytes.size(), impl_->limits);
  json::parser& parser = impl_->parser;
  parser.reset();  // after an error too: a failed parse leaves the parser unusable until reset
  boost::system::error_code ec;
  parser.write(bytes.data(), bytes.size(), ec);
  json::value value = ec ? json::value() : parser.release();
  return ClassifyPayload(std::move(value), ec, allow_batch);
}

void AppendJson(const json::value& value, std::string& out) {
  json::serializer serializer;
  serializer.reset(&value);
  while (!serializer.done()) {
    size_t old_size = out.size();
    size_t chunk = std::max<size_t>(256, out.capacity() - old_size);
    out.resize(old_size + chunk);
    std::string_view written = serializer.read(out.data() + old_size, chunk);
    out.resize(old_size + written.size());
  }
}

namespace {

void AppendId(const RequestId& id, std::string& out) {
  if (id.is_string()) {
    AppendJson(json::value(id.string()), out);
  } else {
    out += std::to_string(id.integer());
  }
}

void AppendString(std::string_view text, std::string& out) {
  // Method names are plain ASCII in practice; serialise through Boost.JSON to escape anything else.
  bool plain = true;
  for (char c : text) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      plain = false;
      break;
    }
  }
  if (plain) {
    out += '"';
    out += text;
    out += '"';
  } else {
    AppendJson(json::value(json::string_view(text.data(), text.size())), out);
  }
}

}  // namespace

void SerializeTo(const Message& message, std::string& out) {
  out += R"({"jsonrpc":"2.0",)";
  if (auto* request = std::get_if<Request>(&message)) {
    out += R"("id":)";
    AppendId(request->id, out);
    out += R"(,"method":)";
    AppendString(request->method, out);
    if (!request->params.is_null()) {
      out += R"(,"params":)";
      AppendJson(request->params, out);
    }
  } else if (auto* notification = std::get_if<Notification>(&message)) {
    out += R"("method":)";
    AppendString(notification->method, out);
    if (!notification->params.is_null()) {
      out += R"(,"params":)";
      AppendJson(notification->params, out);
    }
  } else {
    const auto& response = std::get<Response>(message);
    out += R"("id":)";
    if (response.id) {
      AppendId(*response.id, out);
    } else {
      out += "null";
    }
    if (response.error) {
      out += R"(,"error":{"code":)";
      out += std::to_string(response.error->code);
      out += R"(,"message":)";
      AppendString(response.error->message, out);
      if (!response.error->data.is_null()) {
        out += R"(,"data":)";
        AppendJson(response.error->data, out);
      }
      out += '}';
    } else {
      out += R"(,"result":)";
      if (response.result.is_null()) {
        out += "{}";  // MCP results are objects; an empty result is {}
      } else {
        AppendJson(response.result, out);
      }
    }
  }
  out += '}';
}

std::string Serialize(const Message& message) {
  std::string out;
  out.reserve(128);
  SerializeTo(message, out);
  return out;
}

std::string SerializeBatch(const std::vector<Message>& messages) {
  std::string out = "[";
  for (size_t i = 0; i < messages.size(); ++i) {
    if (i > 0) out += ',';
    SerializeTo(messages[i], out);
  }
  out += ']';
  return out;
}

}  // namespace bedrock::mcp

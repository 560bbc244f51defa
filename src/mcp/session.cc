#include "mcp/session.h"

#include <spdlog/spdlog.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <vector>

#include "mcp/internal/wakeup.h"
#include "mcp/protocol.h"
#include "mcp/types.h"

namespace bedrock::mcp {
namespace asio = boost::asio;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

struct Session::Pending {
  explicit Pending(asio::any_io_executor executor) : wakeup(std::move(executor)) {}
  internal::Wakeup wakeup;  // the waiter sleeps on it; an answer, the deadline or close wake it
  std::optional<core::Result<json::value>> outcome;
  bool timed_out = false;
  std::string method;
  std::function<void(const json::object&)> on_progress;
  bool progress_restarts_timeout = false;
  std::chrono::milliseconds timeout{0};
  Clock::time_point deadline;  // its entry in deadlines_ while pending
  Clock::time_point hard_deadline = Clock::time_point::max();
};

// Call deadlines share one timer, armed for the earliest of deadlines_ and left alone while
// that stays put: with the usual long timeouts a call neither arms nor cancels a timer (each
// would be a trip to the reactor, and a timerfd_settime when it becomes the earliest). An answer
// only drops the call's entry; a timer that fires early just re-arms for the new earliest.
struct Session::DeadlineTimer {
  explicit DeadlineTimer(asio::any_io_executor executor) : timer(std::move(executor)) {}
  asio::steady_timer timer;
  Clock::time_point armed = Clock::time_point::max();  // the outstanding wait's expiry; max: none
};

struct Session::InFlight {
  asio::cancellation_signal signal;
  RequestContext context;
};

std::shared_ptr<Session> Session::Create(std::shared_ptr<Transport> transport,
                                         SessionOptions options) {
  return std::shared_ptr<Session>(new Session(std::move(transport), std::move(options)));
}

Session::Session(std::shared_ptr<Transport> transport, SessionOptions options)
    : transport_(std::move(transport)), options_(std::move(options)) {}

Session::~Session() = default;

void Session::AddDeadline(Clock::time_point when, int64_t id) {
  deadlines_.emplace(when, id);
  if (!deadline_timer_) deadline_timer_ = std::make_unique<DeadlineTimer>(get_executor());
  if (when >= deadline_timer_->armed) return;
  deadline_timer_->armed = when;
  deadline_timer_->timer.expires_at(when);  // cancels the outstanding wait, if any
  deadline_timer_->timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;  // re-armed, or the session is gone
    if (auto self = weak.lock()) self->OnDeadlineTimer();
  });
}

void Session::RemoveDeadline(Clock::time_point when, int64_t id) {
  deadlines_.erase(std::pair(when, id));
}

void Session::OnDeadlineTimer() {
  deadline_timer_->armed = Clock::time_point::max();
  const auto now = Clock::now();
  // The woken call runs inline and may add or remove deadlines: take the earliest afresh each time.
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const int64_t id = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    auto it = pending_.find(id);
    if (it == pending_.end()) continue;
    std::shared_ptr<Pending> pending = it->second;
    pending->timed_out = true;
    pending->wakeup.Notify();
  }
  if (!deadlines_.empty()) {
    auto [when, id] = *deadlines_.begin();
    deadlines_.erase(deadlines_.begin());
    AddDeadline(when, id);  // re-inserts it and arms for it
  }
}

void Session::SetRequestHandler(std::string method, RequestHandler handler) {
  request_handlers_[std::move(method)] = std::make_shared<const RequestHandler>(std::move(handler));
}

void Session::SetNotificationHandler(std::string method, NotificationHandler handler) {
  notification_handlers_[std::move(method)] = std::move(handler);
}

void Session::SetCloseHandler(std::function<void(const core::Error&)> handler) {
  close_handler_ = std::move(handler);
}

void Session::SetProtocolVersion(std::string version) {
  transport_->SetProtocolVersion(version);
  protocol_version_ = std::move(version);
}

void Session::Start() {
  if (started_) return;
  started_ = true;
  // The loop holds a reference to the session until the transport closes.
  asio::co_spawn(get_executor(), ReadLoop(), asio::detached);
}

Awaitable<void> Session::ReadLoop() {
  auto self = shared_from_this();
  for (;;) {
    auto incoming = co_await transport_->Receive();
    if (!incoming.ok()) {
      FailEverything(incoming.error());
      co_return;
    }
    Dispatch(std::move(incoming).value());
  }
}

void Session::Dispatch(Incoming incoming) {
  if (incoming.rejected) {
    auto& response = std::get<Response>(incoming.message);
    spdlog::warn("mcp: rejected a message from {}: {}", options_.peer_name,
                 response.error ? response.error->message : "");
    if (options_.answer_rejected) {
      SendDetached(std::move(incoming.message), SendOptions{{}, incoming.context});
    }
    return;
  }
  if (auto* request = std::get_if<Request>(&incoming.message)) {
    HandleRequest(std::move(*request), std::move(incoming.context));
  } else if (auto* notification = std::get_if<Notification>(&incoming.message)) {
    HandleNotification(std::move(*notification), incoming.context.get());
  } else {
    HandleResponse(std::move(std::get<Response>(incoming.message)));
  }
}

void Session::HandleRequest(Request request, std::shared_ptr<const MessageContext> context) {
  SendOptions reply_options{request.id, context};
  auto handler = request_handlers_.find(request.method);
  if (handler == request_handlers_.end()) {
    if (request.method == method::kPing) {
      SendDetached(Response::Success(std::move(request.id), json::object()), reply_options);
      return;
    }
    SendDetached(
        Response::Failure(std::move(request.id),
                          RpcError{kMethodNotFound,
                                   fmt::format("method not found: {}", request.method), nullptr}),
        reply_options);
    return;
  }
  if (in_flight_.contains(request.id)) {
    SendDetached(
        Response::Failure(
            std::move(request.id),
            RpcError{kInvalidRequest, "a request with this id is already in progress", nullptr}),
        reply_options);
    return;
  }
  if (!request.params.is_null() && !request.params.is_object()) {
    SendDetached(Response::Failure(std::move(request.id),
                                   RpcError{kInvalidParams, "params must be an object", nullptr}),
                 reply_options);
    return;
  }

  auto in_flight = std::make_shared<InFlight>();
  RequestContext& ctx = in_flight->context;
  ctx.session_ = shared_from_this();
  ctx.id_ = request.id;
  ctx.method_ = std::move(request.method);
  ctx.context_ = std::move(context);
  if (auto* params = request.params.if_object()) {
    if (auto* meta = params->if_contains(kMetaKey); meta && meta->is_object()) {
      if (auto* token = meta->get_object().if_contains(kProgressTokenKey)) {
        ctx.progress_token_ = *token;
      }
    }
  }
  in_flight_.emplace(std::move(request.id), in_flight);

  // The completion handler owns the in-flight record; the handler coroutine sees its context by
  // reference for as long as it runs.
  asio::co_spawn(
      get_executor(), RunHandler(in_flight, handler->second, std::move(request.params)),
      asio::bind_cancellation_slot(in_flight->signal.slot(), [self = shared_from_this(),
                                                              in_flight](std::exception_ptr e) {
        if (!e) return;
        auto it = self->in_flight_.find(in_flight->context.id());
        if (it != self->in_flight_.end() && it->second == in_flight) self->in_flight_.erase(it);
        if (in_flight->context.cancelled() || self->closed()) return;
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          what = ex.what();
        } catch (...) {
        }
        spdlog::error("mcp: handler for {} from {} threw: {}", in_flight->context.method(),
                      self->peer_name(), what);
        self->SendDetached(Response::Failure(in_flight->context.id(),
                                             RpcError{kInternalError, "internal error", nullptr}),
                           SendOptions{in_flight->context.id(), in_flight->context.context_});
      }));
}

Awaitable<void> Session::RunHandler(std::shared_ptr<InFlight> in_flight,
                                    std::shared_ptr<const RequestHandler> handler,
                                    json::value params) {
  RequestContext& ctx = in_flight->context;
  Reply reply = co_await (*handler)(std::move(params), ctx);
  auto it = in_flight_.find(ctx.id());
  if (it != in_flight_.end() && it->second == in_flight) in_flight_.erase(it);
  // A cancelled request gets no answer (the peer has stopped waiting for it).
  if (ctx.cancelled() || closed()) co_return;
  Message response = reply.error ? Response::Failure(ctx.id(), std::move(*reply.error))
                                 : Response::Success(ctx.id(), std::move(reply.result));
  SendOptions send(ctx.id(), ctx.context_);
  auto sent = transport_->TrySend(response, send);
  if (!sent) sent = co_await transport_->Send(std::move(response), std::move(send));
  if (!sent->ok()) {
    spdlog::warn("mcp: could not answer {} {} to {}: {}", ctx.method(), ctx.id().ToString(),
                 peer_name(), sent->error().message());
  }
}

void Session::HandleNotification(Notification notification, const MessageContext* context) {
  if (notification.method == notification::kCancelled) {
    const json::object* params = notification.params.if_object();
    const json::value* id_value = params ? params->if_contains("requestId") : nullptr;
    auto id = id_value ? RequestId::FromJson(*id_value) : std::nullopt;
    if (!id) return;
    auto it = in_flight_.find(*id);
    if (it == in_flight_.end()) return;  // already finished: the race the spec allows
    auto in_flight = it->second;
    in_flight->context.cancelled_ = true;
    in_flight->signal.emit(asio::cancellation_type::terminal);
    return;
  }
  if (notification.method == notification::kProgress) {
    const json::object* params = notification.params.if_object();
    const json::value* token = params ? params->if_contains(kProgressTokenKey) : nullptr;
    if (token == nullptr || !token->is_int64()) return;  // we only hand out integer tokens
    auto it = pending_.find(token->get_int64());
    if (it == pending_.end()) return;
    Pending& pending = *it->second;
    if (pending.progress_restarts_timeout) {
      RemoveDeadline(pending.deadline, it->first);
      pending.deadline = std::min(Clock::now() + pending.timeout, pending.hard_deadline);
      AddDeadline(pending.deadline, it->first);
    }
    if (pending.on_progress) pending.on_progress(*params);
    return;
  }
  auto handler = notification_handlers_.find(notification.method);
  if (handler == notification_handlers_.end()) {
    spdlog::debug("mcp: ignoring notification {} from {}", notification.method, peer_name());
    return;
  }
  handler->second(std::move(notification.params), context);
}

void Session::HandleResponse(Response response) {
  std::shared_ptr<Pending> pending;
  if (response.id && !response.id->is_string()) {
    auto it = pending_.find(response.id->integer());
    if (it != pending_.end()) {
      pending = std::move(it->second);
      RemoveDeadline(pending->deadline, it->first);
      pending_.erase(it);
    }
  }
  if (!pending) {
    if (!response.id && response.error) {
      spdlog::warn("mcp: {} reported an error about an unreadable message: {} ({})", peer_name(),
                   response.error->message, response.error->code);
    } else {
      spdlog::warn("mcp: dropped a response from {} to unknown request id {}", peer_name(),
                   response.id ? response.id->ToString() : "null");
    }
    return;
  }
  if (response.error) {
    pending->outcome = response.error->ToError(peer_name());
  } else {
    pending->outcome = std::move(response.result);
  }
  pending->wakeup.Notify();  // the caller resumes here, inline
}

Awaitable<core::Result<json::value>> Session::Call(std::string_view method, json::value params,
                                                   CallOptions options) {
  if (closed()) {
    co_return core::Error(close_reason_->code(),
                          fmt::format("{} failed: {}", method, close_reason_->message()));
  }
  const int64_t id = next_id_++;
  auto pending = std::make_shared<Pending>(get_executor());
  pending->method = std::string(method);
  pending->timeout = options.timeout.value_or(options_.default_timeout);
  if (options.max_total_timeout) pending->hard_deadline = Clock::now() + *options.max_total_timeout;
  if (options.on_progress) {
    if (params.is_null()) params = json::object();
    if (json::object* object = params.if_object()) {
      json::value& meta = (*object)[kMetaKey];
      if (!meta.is_object()) meta = json::object();
      meta.get_object()[kProgressTokenKey] = id;
    }
    pending->on_progress = std::move(options.on_progress);
    pending->progress_restarts_timeout = options.reset_timeout_on_progress;
  }
  pending->deadline = std::min(Clock::now() + pending->timeout, pending->hard_deadline);
  pending_.emplace(id, pending);
  AddDeadline(pending->deadline, id);

  Message request = Request{RequestId(id), std::string(method), std::move(params)};
  auto sent = transport_->TrySend(request, options.send);
  if (!sent) sent = co_await transport_->Send(std::move(request), std::move(options.send));
  if (!sent->ok()) {
    if (pending_.erase(id) > 0) RemoveDeadline(pending->deadline, id);
    co_return core::Error(sent->error().code(), fmt::format("sending {} to {} failed: {}", method,
                                                            peer_name(), sent->error().message()));
  }

  while (!pending->outcome) {
    const bool woken = co_await pending->wakeup.Wait(asio::use_awaitable);
    if (pending->outcome) break;
    if (!woken) {  // the awaiting coroutine was cancelled
      if (pending_.erase(id) > 0) RemoveDeadline(pending->deadline, id);
      SendCancelled(id, "cancelled by the caller");
      co_return core::Error::Cancelled("{} to {} was cancelled", method, peer_name());
    }
    if (pending->timed_out) {  // OnDeadlineTimer dropped its deadline
      pending_.erase(id);
      SendCancelled(id, "request timed out");
      co_return core::Error::DeadlineExceeded("{} did not answer {} within {} ms", peer_name(),
                                              method, pending->timeout.count());
    }
  }
  co_return std::move(*pending->outcome);
}

Awaitable<core::Status> Session::Notify(std::string_view method, json::value params,
                                        SendOptions options) {
  if (closed()) co_return *close_reason_;
  Message notification = Notification{std::string(method), std::move(params)};
  co_return co_await transport_->Send(std::move(notification), std::move(options));
}

Awaitable<void> Session::Close() {
  auto self = shared_from_this();
  co_await transport_->Close();
  FailEverything(core::Error::Cancelled("session closed by this side"));
}

void Session::SendCancelled(int64_t id, std::string reason) {
  if (closed()) return;
  json::object params;
  params["requestId"] = id;
  params["reason"] = std::move(reason);
  SendDetached(Notification{std::string(notification::kCancelled), std::move(params)});
}

void Session::SendDetached(Message message, SendOptions options) {
  asio::co_spawn(get_executor(),
                 SendAndLog(shared_from_this(), std::move(message), std::move(options)),
                 asio::detached);
}

Awaitable<void> Session::SendAndLog(std::shared_ptr<Session> self, Message message,
                                    SendOptions options) {
  (void)self;  // keeps the session alive while the send is queued
  auto sent = co_await transport_->Send(std::move(message), std::move(options));
  if (!sent.ok() && !closed()) {
    spdlog::warn("mcp: sending to {} failed: {}", peer_name(), sent.error().message());
  }
}

void Session::FailEverything(const core::Error& reason) {
  if (close_reason_) return;
  close_reason_ =
      core::Error(reason.code() == core::ErrorCode::kCancelled ? core::ErrorCode::kCancelled
                                                               : core::ErrorCode::kUnavailable,
                  fmt::format("connection to {} closed: {}", peer_name(), reason.message()));
  auto pending = std::move(pending_);
  pending_.clear();
  deadlines_.clear();
  for (auto& [id, call] : pending) {
    call->outcome = core::Error(close_reason_->code(), fmt::format("{} failed: {}", call->method,
                                                                   close_reason_->message()));
  }
  std::vector<std::shared_ptr<InFlight>> running;
  for (auto& [id, in_flight] : in_flight_) running.push_back(in_flight);
  for (auto& in_flight : running) {
    in_flight->context.cancelled_ = true;
    in_flight->signal.emit(asio::cancellation_type::terminal);
  }
  auto close_handler = std::move(close_handler_);
  close_handler_ = nullptr;
  // Handlers may hold references back to owners of this session (a ServerSession); no message
  // can reach them any more, so let them go. Running handlers keep their own reference.
  request_handlers_.clear();
  notification_handlers_.clear();
  if (close_handler) close_handler(*close_reason_);
  // Last: each waiting call resumes inline and may do anything, even drop this session's owner.
  for (auto& [id, call] : pending) call->wakeup.Notify();
}

// --- RequestContext ---

std::shared_ptr<RequestContext> RequestContext::Detached(
    RequestId id, std::string method, std::shared_ptr<const MessageContext> context) {
  auto detached = std::make_shared<RequestContext>();
  detached->id_ = std::move(id);
  detached->method_ = std::move(method);
  detached->context_ = std::move(context);
  return detached;
}

Awaitable<core::Status> RequestContext::NotifyProgress(double progress, std::optional<double> total,
                                                       std::string_view message) {
  if (progress_token_.is_null() || session_ == nullptr) co_return core::OkStatus();
  json::object params;
  params[kProgressTokenKey] = progress_token_;
  params["progress"] = JsonNumber(progress);
  if (total) params["total"] = JsonNumber(*total);
  if (!message.empty() && (session_->protocol_version().empty() ||
                           Has2025_03_26Features(session_->protocol_version()))) {
    params["message"] = message;
  }
  SendOptions send(id_, context_);
  co_return co_await session_->Notify(notification::kProgress, std::move(params), std::move(send));
}

Awaitable<core::Status> RequestContext::Notify(std::string_view method, json::value params) {
  if (session_ == nullptr) {
    co_return core::Error::FailedPrecondition("{}: the request this work began with is over",
                                              method);
  }
  SendOptions send(id_, context_);
  co_return co_await session_->Notify(method, std::move(params), std::move(send));
}

Awaitable<core::Result<json::value>> RequestContext::Call(std::string_view method,
                                                          json::value params, CallOptions options) {
  if (session_ == nullptr) {
    co_return core::Error::FailedPrecondition("{}: the request this work began with is over",
                                              method);
  }
  options.send = SendOptions{id_, context_};
  co_return co_await session_->Call(method, std::move(params), std::move(options));
}

}  // namespace bedrock::mcp


#include "mcp/internal/async_queue.h"
#include "mcp/transport.h"

namespace bedrock::mcp {
namespace {

// One end of an in-memory pair. The ends share nothing but weak pointers to each other, so either
// may be destroyed first.
class MemoryTransport final : public Transport,
                              public std::enable_shared_from_this<MemoryTransport> {
 public:
  explicit MemoryTransport(boost::asio::any_io_executor executor)
      : executor_(executor), inbox_(executor) {}

  void Connect(std::weak_ptr<MemoryTransport> peer) { peer_ = std::move(peer); }

  boost::asio::any_io_executor get_executor() override { return executor_; }

  Awaitable<core::Result<Incoming>> Receive() override { co_return co_await inbox_.Pop(); }

  Awaitable<core::Status> Send(Message message, SendOptions) override {
    if (closed_) co_return core::Error::Unavailable("in-memory transport is closed");
    auto peer = peer_.lock();
    if (!peer || peer->inbox_.closed()) {
      co_return core::Error::Unavailable("in-memory peer is closed");
    }
    peer->inbox_.Push(Incoming{std::move(message), nullptr, false});
    co_return core::OkStatus();
  }

  Awaitable<void> Close() override {
    CloseNow("in-memory transport closed by this side");
    co_return;
  }

  ~MemoryTransport() override { CloseNow("in-memory peer went away"); }

 private:
  void CloseNow(const char* why) {
    if (closed_) return;
    closed_ = true;
    inbox_.Close(core::Error::Unavailable("{}", why));
    if (auto peer = peer_.lock()) {
      peer->closed_ = true;
      peer->inbox_.Close(core::Error::Unavailable("in-memory peer closed the connection"));
    }
  }

  boost::asio::any_io_executor executor_;
  internal::AsyncQueue<Incoming> inbox_;
  std::weak_ptr<MemoryTransport> peer_;
  bool closed_ = false;
};

}  // namespace

std::pair<std::shared_ptr<Transport>, std::shared_ptr<Transport>> CreateMemoryTransportPair(
    boost::asio::any_io_executor executor) {
  auto a = std::make_shared<MemoryTransport>(executor);
  auto b = std::make_shared<MemoryTransport>(executor);
  a->Connect(b);
  b->Connect(a);
  return {a, b};
}

}  // namespace bedrock::mcp

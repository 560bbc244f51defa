// Test-only helpers for the server tests: a blocking raw-socket HTTP/1.1 client with receive
// timeouts (so a broken server fails a test instead of hanging it), an optional TLS mode on plain
// OpenSSL, and a Gate a handler can wait on until the test thread opens it.
//
// Header-only and included only by *_test.cc files.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <chrono>
#include <cstring>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace bedrock::http::testing {

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A blocking HTTP client on one connection. Every receive gives up after `timeout`.
class Client {
 public:
  explicit Client(uint16_t port, std::string_view host = "127.0.0.1",
                  std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    bool v6 = host.find(':') != std::string_view::npos;
    fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::string h(host);
    if (v6) {
      sockaddr_in6 addr{};
      addr.sin6_family = AF_INET6;
      addr.sin6_port = htons(port);
      ::inet_pton(AF_INET6, h.c_str(), &addr.sin6_addr);
      connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    } else {
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(port);
      ::inet_pton(AF_INET, h.c_str(), &addr.sin_addr);
      connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    }
  }
  ~Client() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (ssl_ctx_ != nullptr) SSL_CTX_free(ssl_ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  int fd() const { return fd_; }

  // Switches the connection to TLS, trusting `ca_file` and checking the name "localhost".
  bool StartTls(const std::string& ca_file) {
    ssl_ctx_ = SSL_CTX_new(TLS_client_method());
    if (SSL_CTX_load_verify_locations(ssl_ctx_, ca_file.c_str(), nullptr) != 1) return false;
    SSL_CTX_set_verify(ssl_ctx_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ssl_ctx_);
    SSL_set_tlsext_host_name(ssl_, "localhost");
    SSL_set1_host(ssl_, "localhost");
    SSL_set_fd(ssl_, fd_);
    return SSL_connect(ssl_) == 1;
  }

  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ssl_ != nullptr ? SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()))
                                  : ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Tells the server we will send nothing more (TCP half-close).
  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

  // Receives once into the buffer; false on EOF, reset or timeout.
  bool ReceiveSome() {
    char chunk[16384];
    ssize_t n =
        ssl_ != nullptr ? SSL_read(ssl_, chunk, sizeof chunk) : ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      timed_out_ = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
      return false;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  // Receives until the buffer contains `needle`; false if the connection ends or times out first.
  bool ReadUntil(std::string_view needle) {
    while (buffer_.find(needle) == std::string::npos) {
      if (!ReceiveSome()) return false;
    }
    return true;
  }

  // True when the server closes the connection (EOF or reset) before the timeout; any data
  // received before that is kept in buffer().
  bool WaitClosed() {
    while (ReceiveSome()) {
    }
    return !timed_out_;
  }

  // Reads one response. `head_request`: the response has no body whatever its headers say.
  std::optional<Reply> ReadReply(bool head_request = false) {
    if (!ReadUntil("\r\n\r\n")) return std::nullopt;
    size_t end = buffer_.find("\r\n\r\n");
    std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    Reply reply;
    if (head.size() < 12 || head.compare(0, 5, "HTTP/") != 0) return std::nullopt;
    reply.status = std::stoi(head.substr(9, 3));
    size_t pos = head.find("\r\n");
    while (pos != std::string::npos) {
      size_t next = head.find("\r\n", pos + 2);
      std::string line = head.substr(pos + 2, next == std::string::npos ? next : next - pos - 2);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        reply.headers[name] = value;
      }
      pos = next;
    }
    if (head_request || reply.status == 204 || reply.status == 304 || reply.status < 200) {
      return reply;
    }
    if (reply.Header("transfer-encoding") == "chunked") {
      while (true) {
        if (!ReadUntil("\r\n")) return std::nullopt;
        size_t line_end = buffer_.find("\r\n");
        size_t size = std::stoul(buffer_.substr(0, line_end), nullptr, 16);
        buffer_.erase(0, line_end + 2);
        while (buffer_.size() < size + 2) {
          if (!ReceiveSome()) return std::nullopt;
        }
        reply.body += buffer_.substr(0, size);
        buffer_.erase(0, size + 2);
        if (size == 0) return reply;
      }
    }
    if (!reply.Header("content-length").empty()) {
      size_t length = std::stoul(reply.Header("content-length"));
      while (buffer_.size() < length) {
        if (!ReceiveSome()) return std::nullopt;
      }
      reply.body = buffer_.substr(0, length);
      buffer_.erase(0, length);
      return reply;
    }
    WaitClosed();  // the body runs until the connection closes
    reply.body = std::move(buffer_);
    buffer_.clear();
    return reply;
  }

  // Sends one request and reads its response.
  std::optional<Reply> Roundtrip(std::string_view request, bool head_request = false) {
    if (!Send(request)) return std::nullopt;
    return ReadReply(head_request);
  }

  std::string& buffer() { return buffer_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool timed_out_ = false;
  SSL_CTX* ssl_ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buffer_;
};

inline std::string Get(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) +
         "\r\n";
}

// A handler awaits Wait(); the test thread learns it arrived (entered()) and releases it (Open()).
class Gate {
 public:
  boost::asio::awaitable<void> Wait() {
    auto executor = co_await boost::asio::this_coro::executor;
    auto timer = std::make_shared<boost::asio::steady_timer>(
        executor, boost::asio::steady_timer::time_point::max());
    {
      std::lock_guard lock(mutex_);
      if (open_) co_return;
      timer_ = timer;
      executor_ = executor;
      if (!entered_set_) {
        entered_set_ = true;
        entered_.set_value();
      }
    }
    (void)co_await timer->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    std::lock_guard lock(mutex_);
    timer_.reset();  // a timer must not outlive the server's io_context
  }
  void Open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    if (timer_) boost::asio::post(executor_, [timer = std::move(timer_)] { timer->cancel(); });
    timer_.reset();
  }
  // Waits until a handler is waiting at the gate.
  bool WaitEntered(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    return entered_future_.wait_for(timeout) == std::future_status::ready;
  }

 private:
  std::mutex mutex_;
  bool open_ = false;
  bool entered_set_ = false;
  std::promise<void> entered_;
  std::future<void> entered_future_ = entered_.get_future();
  std::shared_ptr<boost::asio::steady_timer> timer_;
  boost::asio::any_io_executor executor_;
};

}  // namespace bedrock::http::testing

#include "http/internal/request_reader.h"

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <memory>

namespace bedrock::http::internal {

namespace beast_http = boost::beast::http;
using boost::beast::error_code;
using boost::beast::string_view;

// Fills RequestReader::request_ from Beast's parser callbacks.
class RequestReader::Parser final : public beast_http::basic_parser<true> {
 public:
  explicit Parser(RequestReader& owner) : owner_(owner) {}

  bool saw_content_length = false;
  bool saw_transfer_encoding = false;

 private:
  void on_request_impl(beast_http::verb, string_view method, string_view target, int version,
                       error_code&) override {
    owner_.request_.method.assign(method.data(), method.size());
    owner_.request_.target.assign(target.data(), target.size());
    owner_.version_ = version;
  }
  void on_response_impl(int, string_view, int, error_code&) override {}
  void on_field_impl(beast_http::field name, string_view name_string, string_view value,
                     error_code&) override {
    if (name == beast_http::field::content_length) saw_content_length = true;
    if (name == beast_http::field::transfer_encoding) saw_transfer_encoding = true;
    owner_.request_.headers.Add(std::string(name_string.data(), name_string.size()),
                                std::string(value.data(), value.size()));
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         error_code&) override {
    // Bounded by the body limit, which the parser has already checked.
    if (content_length) owner_.request_.body.reserve(static_cast<size_t>(*content_length));
  }
  size_t on_body_impl(string_view body, error_code&) override {
    owner_.request_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override {
    owner_.request_.body.append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(error_code&) override {}

  RequestReader& owner_;
};

namespace {

// Whether a version Beast refused is a well-formed "HTTP/d.d" other than 1.0 and 1.1 (505)
// rather than garbage (400). Looks only at the eight bytes of the version, which Beast has
// whenever it reports bad_version, so the answer does not depend on how the input was split.
bool UnsupportedVersion(std::string_view bytes) {
  // request-line = method SP request-target SP HTTP-version: the version follows the 2nd space.
  size_t space = bytes.find(' ');
  if (space == std::string_view::npos) return false;
  space = bytes.find(' ', space + 1);
  if (space == std::string_view::npos) return false;
  std::string_view version = bytes.substr(space + 1, 8);
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  return version.size() == 8 && version.substr(0, 5) == "HTTP/" && digit(version[5]) &&
         version[6] == '.' && digit(version[7]) && version != "HTTP/1.0" && version != "HTTP/1.1";
}

}  // namespace

RequestReader::RequestReader(RequestLimits limits)
    : limits_(limits), parser_(std::make_unique<Parser>(*this)) {
  Reset();
}

RequestReader::~RequestReader() = default;

void RequestReader::Reset() {
  // basic_parser cannot be reset: rebuild it in place, reusing its allocation.
  std::destroy_at(parser_.get());
  std::construct_at(parser_.get(), *this);
  parser_->header_limit(
      static_cast<std::uint32_t>(std::min<size_t>(limits_.max_header_bytes, UINT32_MAX)));
  parser_->body_limit(limits_.max_body_bytes);
  // Not eager until the header is done, so put() stops right after the header and Feed can add up
  // the header's exact size: Beast's own header_limit is not applied to a header that arrives
  // whole, so Feed checks the limit itself.
  parser_->eager(false);
  request_.method.clear();
  request_.target.clear();
  request_.headers = Headers();
  request_.body.clear();
  version_ = 11;
  started_ = false;
  header_checked_ = false;
  header_bytes_ = 0;
  expect_continue_ = false;
  error_.reset();
}

bool RequestReader::header_done() const { return parser_->is_header_done(); }
bool RequestReader::done() const { return !error_ && parser_->is_done(); }
bool RequestReader::keep_alive() const { return parser_->keep_alive(); }
bool RequestReader::expects_continue() const { return expect_continue_ && !parser_->is_done(); }

void RequestReader::Fail(int status, core::Error error) {
  if (!error_) error_ = RequestError{status, std::move(error)};
}

void RequestReader::CheckHeader() {
  header_checked_ = true;
  if (version_ != 10 && version_ != 11) {  // Beast refuses others; kept as a guard
    // 505 has no code in the taxonomy; kUnimplemented with the status HTTP prescribes.
    return Fail(505, core::Error::Unimplemented("HTTP version {}.{} is not supported",
                                                version_ / 10, version_ % 10));
  }
  if (request_.target.empty() || request_.target.front() != '/') {
    return Fail(400, core::Error::InvalidArgument("the request target must be an absolute path"));
  }
  if (version_ == 11 && !request_.headers.Contains("Host")) {
    return Fail(400, core::Error::InvalidArgument("an HTTP/1.1 request needs a Host header"));
  }
  if (parser_->saw_content_length && parser_->saw_transfer_encoding) {
    // Ambiguous framing is how requests are smuggled past proxies: refuse it outright.
    return Fail(
        400, core::Error::InvalidArgument("both Content-Length and Transfer-Encoding are present"));
  }
  if (auto expect = request_.headers.Get("Expect")) {
    if (!EqualsIgnoreCase(*expect, "100-continue")) {
      Fail(417, core::Error::FailedPrecondition("unsupported Expect: {}", std::string(*expect)));
      return;
    }
    expect_continue_ = version_ == 11;
  }
}

size_t RequestReader::Feed(std::string_view bytes) {
  size_t used = 0;
  while (!error_ && !parser_->is_done() && used < bytes.size()) {
    // Beast asserts (in builds with assertions) that a chunked body's last chunk is presented
    // again with at least 5 bytes ("0\r\n\r\n"). A complete chunked message always leaves that
    // many unconsumed, so holding back fewer only waits for bytes that must come anyway.
    if (parser_->is_header_done() && parser_->chunked() && bytes.size() - used < 5) break;
    started_ = true;
    error_code ec;
    size_t n =
        parser_->put(boost::asio::const_buffer(bytes.data() + used, bytes.size() - used), ec);
    used += n;
    if (!header_checked_) header_bytes_ += n;  // not eager yet: n is all header
    if (parser_->is_header_done() && !header_checked_) {
      header_checked_ = true;
      parser_->eager(true);
      if (!ec && header_bytes_ > limits_.max_header_bytes) {
        ec = beast_http::error::header_limit;
      } else {
        CheckHeader();
      }
    }
    if (ec == beast_http::error::need_more) break;
    if (ec == beast_http::error::header_limit) {
      // 431 has no code of its own: kPayloadTooLarge's meaning with the status HTTP prescribes.
      Fail(431, core::Error::PayloadTooLarge("the request header exceeds {} bytes",
                                             limits_.max_header_bytes));
    } else if (ec == beast_http::error::body_limit) {
      Fail(413, core::Error::PayloadTooLarge("the request body exceeds {} bytes",
                                             limits_.max_body_bytes));
    } else if (ec == beast_http::error::bad_version && UnsupportedVersion(bytes.substr(used))) {
      // 505 has no code in the taxonomy; kUnimplemented with the status HTTP prescribes.
      Fail(505, core::Error::Unimplemented("only HTTP/1.0 and HTTP/1.1 are supported"));
    } else if (ec) {
      Fail(400, core::Error::InvalidArgument("malformed HTTP request: {}", ec.message()));
    } else if (n == 0) {
      break;  // no progress without an error: wait for more bytes
    }
  }
  return used;
}

void RequestReader::FeedEof() {
  if (error_ || parser_->is_done() || !started_) return;
  error_code ec;
  parser_->put_eof(ec);
  if (ec || !parser_->is_done()) {
    Fail(400, core::Error::InvalidArgument("the connection closed in the middle of a request"));
  }
}

}  // namespace bedrock::http::internal

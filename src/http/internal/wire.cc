#include "http/internal/wire.h"

#include <fmt/format.h>

#include <ctime>

namespace bedrock::http::internal {

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 424:
      return "Failed Dependency";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 499:
      return "Client Closed Request";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string_view HttpDate() {
  thread_local std::time_t cached_second = 0;
  thread_local char buffer[40];
  thread_local size_t length = 0;
  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    length = std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached_second = now;
  }
  return {buffer, length};
}

namespace {

bool ValidFieldName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    // RFC 9110 token characters.
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool ValidFieldValue(std::string_view value) {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool ServerOwned(std::string_view name) {
  return EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding") ||
         EqualsIgnoreCase(name, "Connection") || EqualsIgnoreCase(name, "Date");
}

}  // namespace

size_t AppendResponseHead(std::string& out, int version, int status, const Headers& headers,
                          BodyFraming framing, size_t content_length, bool keep_alive) {
  out.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  char digits[4] = {char('0' + status / 100 % 10), char('0' + status / 10 % 10),
                    char('0' + status % 10), ' '};
  out.append(digits, 4);
  out.append(ReasonPhrase(status));
  out.append("\r\nDate: ");
  out.append(HttpDate());
  switch (framing) {
    case BodyFraming::kContentLength:
      out.append("\r\nContent-Length: ");
      fmt::format_to(std::back_inserter(out), "{}", content_length);
      break;
    case BodyFraming::kChunked:
      out.append("\r\nTransfer-Encoding: chunked");
      break;
    case BodyFraming::kUntilClose:
    case BodyFraming::kNone:
      break;
  }
  if (!keep_alive) {
    out.append("\r\nConnection: close");
  } else if (version == 10) {
    out.append("\r\nConnection: keep-alive");
  }
  size_t dropped = 0;
  for (const auto& [name, value] : headers) {
    if (ServerOwned(name)) continue;
    if (!ValidFieldName(name) || !ValidFieldValue(value)) {
      ++dropped;
      continue;
    }
    out.append(kCrLf).append(name).append(": ").append(value);
  }
  out.append("\r\n\r\n");
  return dropped;
}

void AppendChunkHeader(std::string& out, size_t size) {
  fmt::format_to(std::back_inserter(out), "{:x}\r\n", size);
}

}  // namespace bedrock::http::internal

// The everything server behind our HTTP server on a loopback port, configured as
// `mcp-server everything --transport http` is, for tests that speak raw HTTP to it.
//
//   testing::EverythingEndpoint endpoint;                 // started; stopped by the destructor
//   client->Send(Post(endpoint.url(), body));
#pragma once

#include <memory>
#include <string>

#include "mcp/everything_server.h"
#include "mcp/streamable_http_server.h"
#include "mcp/testing/http_endpoint.h"

namespace bedrock::mcp::testing {

class EverythingEndpoint {
 public:
  explicit EverythingEndpoint(StreamableHttpServerOptions options = EverythingHttpOptions(),
                              EverythingServerOptions server_options = EverythingServerOptions())
      : server_(MakeEverythingServer(std::move(server_options))),
        http_(*server_, WithLoopbackHosts(std::move(options))) {}

  std::string base() const { return http_.base(); }
  std::string url() const { return http_.url(); }
  StreamableHttpServer& endpoint() { return http_.endpoint(); }
  Server& server() { return *server_; }

 private:
  static StreamableHttpServerOptions WithLoopbackHosts(StreamableHttpServerOptions options) {
    options.allowed_hosts = LoopbackHostNames();
    return options;
  }

  std::shared_ptr<Server> server_;
  HttpEndpoint http_;
};

}  // namespace bedrock::mcp::testing

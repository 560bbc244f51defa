// The HTTP server under load: serves GET /healthz with a small JSON body, the same bytes nginx
// serves in scripts/run-benchmarks, until SIGINT or SIGTERM.
//
//   http_server_bench [--threads N] [--port P] [--host H]
//
// Prints "port <n>" on its first stdout line once it is listening.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/router.h"
#include "http/server.h"

namespace {

boost::asio::awaitable<bedrock::http::Response> Healthz(bedrock::http::RequestContext&) {
  co_return bedrock::http::Response::Json(200, R"({"status":"ok"})");
}

}  // namespace

int main(int argc, char** argv) {
  bedrock::http::ServerOptions options;
  options.host = "127.0.0.1";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view flag = argv[i];
    if (flag == "--threads") {
      options.threads = std::atoi(argv[i + 1]);
    } else if (flag == "--port") {
      options.port = static_cast<uint16_t>(std::atoi(argv[i + 1]));
    } else if (flag == "--host") {
      options.host = argv[i + 1];
    } else {
      std::fprintf(stderr, "usage: %s [--threads N] [--port P] [--host H]\n", argv[0]);
      return 2;
    }
  }
  bedrock::http::Router router;
  router.Get("/healthz", Healthz);
  bedrock::http::Server server(options, std::move(router));
  if (auto started = server.Start(); !started.ok()) {
    std::fprintf(stderr, "http_server_bench: %s\n", started.error().ToString().c_str());
    return 1;
  }
  std::printf("port %u\n", server.port());
  std::fflush(stdout);
  bedrock::http::ServeUntilSignal(server, std::chrono::seconds(1));
  return 0;
}

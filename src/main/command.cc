#include "main/command.h"

#include <fmt/format.h>

#include <cstdio>

namespace bedrock::app {

int NotYetAvailable(std::string_view name) {
  fmt::print(stderr, "bedrock-mcp {}: not yet available in this build\n", name);
  return 2;
}

}  // namespace bedrock::app

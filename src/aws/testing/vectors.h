// Test-only helpers: where the shared SigV4/event-stream vectors live, and file reading.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace bedrock::aws::testing {

// BEDROCK_AWS_VECTORS_DIR from the environment, else the path CMake compiled in.
inline std::filesystem::path VectorsDir() {
  if (const char* env = std::getenv("BEDROCK_AWS_VECTORS_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
#ifdef BEDROCK_AWS_VECTORS_DIR
  return BEDROCK_AWS_VECTORS_DIR;
#else
  return "../shared/reference/vectors";
#endif
}

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace bedrock::aws::testing

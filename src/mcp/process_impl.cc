// The single translation unit that compiles Boost.Process v2 (BOOST_PROCESS_V2_SEPARATE_COMPILATION
// and BOOST_PROCESS_USE_STD_FS are set for the whole build). The workaround header must come first:
// see internal/boost_process.h.
// clang-format off
#include "mcp/internal/boost_process.h"
#include <boost/process/v2/src.hpp>
// clang-format on

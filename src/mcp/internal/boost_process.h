// Boost.Process v2 as this module includes it. With BOOST_PROCESS_USE_STD_FS, Boost 1.81's v2
// headers rely on declarations that only Boost.Filesystem's headers would have pulled in
// (boost::optional, boost:: type traits, asio::detail::throw_error), so those are included here
// first, in this order. Include this instead of the Boost.Process headers.
#pragma once

// clang-format off
#include <boost/asio/detail/throw_error.hpp>
#include <boost/optional.hpp>
#include <boost/type_traits.hpp>
#include <boost/process/v2/environment.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/start_dir.hpp>
#include <boost/process/v2/stdio.hpp>
// clang-format on

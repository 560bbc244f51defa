// The single translation unit that compiles Boost.Asio, Asio SSL and Boost.Beast. Every other
// translation unit sees only their declarations (BOOST_ASIO_SEPARATE_COMPILATION and
// BOOST_BEAST_SEPARATE_COMPILATION are set for the whole build), which keeps 2-core builds
// practical.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>

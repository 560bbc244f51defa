// The web chat UI (ui/ in the source tree, built by Vite into <build>/ui) served by the gateway.
//
//   http::Router router;
//   if (auto ui = gateway::AddWebUi(router, gateway::DefaultWebUiDir()); !ui.ok()) {
//     BEDROCK_LOG_WARN("serve", "web UI not available", {{"error", ui.error()}});
//   }
//
// Routes: GET / and /index.html serve index.html with Cache-Control no-cache (so a new build is
// picked up at once) and a Content-Security-Policy that lets the page load only its own assets and
// talk only to its own origin; GET /assets/{path...} serves Vite's content-hashed files as
// immutable for a year. There is no catch-all: the UI is one page without client-side routes, so
// every other path stays the API's (and unknown ones stay JSON 404s).
//
// Thread-safety: call before the server starts (the Router is built on one thread).
#pragma once

#include <filesystem>

#include "core/result.h"
#include "http/router.h"

namespace bedrock::gateway {

// Adds the UI's routes for the built files in `dir` (an absolute path). When `dir` holds no
// index.html, "/" answers 404 with a JSON error saying how to build the UI, and the result is a
// kNotFound error naming the directory; the API is unaffected either way.
core::Status AddWebUi(http::Router& router, const std::filesystem::path& dir);

// Where a build puts the UI relative to the binary: <directory of the executable>/../ui
// (build/release/bin/bedrock-mcp -> build/release/ui). Empty when the executable's path is unknown.
std::filesystem::path DefaultWebUiDir();

}  // namespace bedrock::gateway

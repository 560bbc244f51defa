// Vite build of the web chat UI. `bedrock-mcp serve` serves the output directory as static files
// (src/gateway/static_ui.h); the build runs from ui/CMakeLists.txt with the Node 22 from
// node_modules. Everything is bundled: the page loads nothing from the network but the gateway.
//
// Development: `node_modules/.bin/node node_modules/.bin/vite ui` serves the sources with hot
// reload and forwards the API to BEDROCK_GATEWAY_URL (default http://127.0.0.1:7002), e.g. the real
// gateway or tests/interop/lib/fake_gateway.mjs.
import { defineConfig } from 'vite';

const gateway = process.env.BEDROCK_GATEWAY_URL ?? 'http://127.0.0.1:7002';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: process.env.BEDROCK_UI_OUT_DIR ?? 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    // The whole UI is one small chunk plus highlight.js; no point warning about either.
    chunkSizeWarningLimit: 1024,
  },
  server: {
    proxy: {
      '/v1': { target: gateway, changeOrigin: true },
      '/healthz': { target: gateway, changeOrigin: true },
    },
  },
});

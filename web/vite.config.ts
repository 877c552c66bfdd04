// Vite builds the reference web client into dist/ (scripts/web build) and `vite preview` serves it
// (scripts/web). The gateway's address is read at run time from /config.json, answered here from the
// GATEWAY environment variable, so one build serves any gateway.
import type { IncomingMessage, ServerResponse } from "node:http";
import { defineConfig, type Plugin } from "vite";

const gateway = (process.env.GATEWAY ?? "http://127.0.0.1:8000").replace(/\/+$/, "");
const socket = gateway.replace(/^http/, "ws");

function gatewayConfig(): Plugin {
  const answer = (request: IncomingMessage, response: ServerResponse, next: () => void) => {
    if (request.url !== "/config.json") return next();
    response.setHeader("Content-Type", "application/json");
    response.setHeader("Cache-Control", "no-store");
    response.end(JSON.stringify({ gateway }));
  };
  return {
    name: "processgraph-gateway-config",
    configureServer: (server) => { server.middlewares.use(answer); },
    configurePreviewServer: (server) => { server.middlewares.use(answer); },
  };
}

export default defineConfig({
  plugins: [gatewayConfig()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
  preview: {
    // The page talks to its own origin (the files, /config.json) and to the gateway alone.
    headers: {
      "Content-Security-Policy": `default-src 'self'; connect-src 'self' ${gateway} ${socket}; `
        + "img-src 'self' data:; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
      "Referrer-Policy": "no-referrer",
      "X-Content-Type-Options": "nosniff",
    },
  },
});

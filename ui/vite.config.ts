// Vite and Vitest settings for the Tocsin web UI, which Tauri serves from ui/dist.
import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  // Tauri's own dev server port convention; only `npm run dev` uses it, on loopback.
  server: { host: "127.0.0.1", port: 1420, strictPort: true },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The window is WebKitGTK 2.4x or newer on Linux and WebView2 / WKWebView elsewhere.
    target: ["es2022", "safari16"],
    // Every asset stays a file so the strict CSP never has to allow inline content.
    assetsInlineLimit: 0,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});

import { defineConfig } from "vite";

// Built into static files that the hub and each node agent serve under /app/ themselves: no
// CDN, no external font; every import is bundled.
export default defineConfig({
  base: "/app/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, target: "es2022" },
});

import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { pageHeaders } from "./session.ts";

/**
 * The web app (packages/web, built by Vite into packages/web/dist) served by the hub and the
 * node agents under /app/: static files only, from this machine (no CDN).
 */

/** packages/web/dist of the checkout (cli/build.mjs rewrites import.meta.url per source). */
export function defaultWebDir(): string {
  return fileURLToPath(new URL("../../../web/dist", import.meta.url));
}

/** The Content-Security-Policy of the app's pages. */
export const WEB_APP_CSP =
  "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
  ".map": "application/json",
  ".webmanifest": "application/manifest+json",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

const COMPRESSIBLE = new Set([
  ".html",
  ".js",
  ".mjs",
  ".css",
  ".svg",
  ".json",
  ".map",
  ".webmanifest",
  ".txt",
]);

function notBuiltPage(dir: string): string {
  return `<!doctype html>
<html lang="fr"><head><meta charset="utf-8" /><title>Application web non construite</title></head>
<body style="font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto">
<h1>Application web non construite</h1>
<p>Lancez <code>npm run build</code> à la racine du dépôt, puis rechargez cette page.</p>
<p lang="en">The web app is not built: run <code>npm run build</code> at the root of the repository, then reload.</p>
<p><small>${dir.replace(/[&<>"']/g, "")}</small></p>
</body></html>
`;
}

export type WebAppHandler = (request: Request) => Promise<Response | undefined>;

/**
 * A Fetch handler for `<base>/*`: a Response for GET and HEAD under the base, `undefined` for
 * anything else. `<base>` → 301 `<base>/`; a path outside `dir` → 404; an extension-less path
 * → index.html (the app's own router); a missing file with an extension → 404. Hashed assets
 * (`<base>/assets/`) are cached for a year, index.html never (it names the current assets).
 * Without `dir/index.html`: 503, saying to run `npm run build`.
 */
export function createWebAppHandler(options: { dir: string; base?: string }): WebAppHandler {
  const base = (options.base ?? "/app").replace(/\/$/, "");
  const root = path.resolve(options.dir);
  const gzipped = new Map<string, Buffer>();
  // The directory's real path (it may itself be a link, e.g. a deployment's `current`).
  let realRoot: string | undefined;

  /** A file under the directory, its links resolved: one whose real path leaves it is refused. */
  async function readFile(file: string): Promise<Buffer | undefined> {
    try {
      realRoot ??= await fs.realpath(root);
      const real = await fs.realpath(file);
      if (real !== realRoot && !real.startsWith(realRoot + path.sep)) return undefined;
      const stat = await fs.stat(real);
      if (!stat.isFile()) return undefined;
      return await fs.readFile(real);
    } catch {
      return undefined;
    }
  }

  const notFound = () =>
    new Response("not found", {
      status: 404,
      headers: {
        "content-type": "text/plain; charset=utf-8",
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      },
    });

  return async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") return undefined;
    const url = new URL(request.url);
    if (url.pathname === base) {
      return new Response(null, { status: 301, headers: { location: `${base}/${url.search}` } });
    }
    if (!url.pathname.startsWith(`${base}/`)) return undefined;

    let relative: string;
    try {
      relative = decodeURIComponent(url.pathname.slice(base.length + 1));
    } catch {
      return new Response("bad path", {
        status: 400,
        headers: {
          "content-type": "text/plain; charset=utf-8",
          "x-content-type-options": "nosniff",
        },
      });
    }
    if (relative.includes("\0") || relative.includes("\\")) return notFound();
    const target = path.resolve(root, relative);
    if (target !== root && !target.startsWith(root + path.sep)) return notFound();

    const indexFile = path.join(root, "index.html");
    const ext = path.extname(target).toLowerCase();
    let file = target;
    let body = relative === "" || relative.endsWith("/") ? undefined : await readFile(target);
    if (!body) {
      if (ext && relative !== "" && !relative.endsWith("/")) return notFound();
      file = indexFile;
      body = await readFile(indexFile);
      if (!body) {
        return new Response(notBuiltPage(root), {
          status: 503,
          headers: pageHeaders({ "cache-control": "no-store" }),
        });
      }
    }
    const fileExt = path.extname(file).toLowerCase();
    const type = CONTENT_TYPES[fileExt];
    if (!type) return notFound();

    const headers: Record<string, string> = {
      "content-type": type,
      "x-content-type-options": "nosniff",
    };
    if (file === indexFile) {
      headers["cache-control"] = "no-cache";
      headers["content-security-policy"] = WEB_APP_CSP;
      headers["permissions-policy"] = "camera=(self)";
      headers["referrer-policy"] = "no-referrer";
    } else if (relative.startsWith("assets/")) {
      headers["cache-control"] = "public, max-age=31536000, immutable";
    } else {
      headers["cache-control"] = "no-cache";
    }
    let payload: Buffer = body;
    if (COMPRESSIBLE.has(fileExt)) {
      headers.vary = "accept-encoding";
      if (/\bgzip\b/.test(request.headers.get("accept-encoding") ?? "")) {
        // index.html is re-read each time (a rebuild changes it); assets are immutable.
        const cached = file === indexFile ? undefined : gzipped.get(file);
        payload = cached ?? gzipSync(body);
        if (!cached && file !== indexFile) gzipped.set(file, payload);
        headers["content-encoding"] = "gzip";
      }
    }
    headers["content-length"] = String(payload.length);
    return new Response(request.method === "HEAD" ? null : new Uint8Array(payload), {
      status: 200,
      headers,
    });
  };
}

import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWebAppHandler, WEB_APP_CSP } from "./web-app.ts";

let dir: string;
let secret: string;
let handle: ReturnType<typeof createWebAppHandler>;

beforeAll(async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-webapp-"));
  dir = path.join(root, "dist");
  secret = path.join(root, "secret.txt");
  await fs.mkdir(path.join(dir, "assets"), { recursive: true });
  await fs.writeFile(secret, "do not serve");
  await fs.writeFile(path.join(dir, "index.html"), "<!doctype html><title>Maillage</title>");
  await fs.writeFile(path.join(dir, "assets", "index-AbC123.js"), "export const a = 1;");
  await fs.writeFile(path.join(dir, "assets", "index-AbC123.css"), "body{margin:0}");
  await fs.writeFile(path.join(dir, "assets", "map.svg"), "<svg></svg>");
  await fs.writeFile(path.join(dir, "assets", "font.woff2"), "woff2");
  await fs.writeFile(path.join(dir, "assets", "data.bin"), "binary");
  await fs.writeFile(path.join(dir, "manifest.webmanifest"), "{}");
  handle = createWebAppHandler({ dir, base: "/app" });
});

afterAll(async () => {
  await fs.rm(path.dirname(dir), { recursive: true, force: true });
});

const get = (p: string, headers: Record<string, string> = {}) =>
  handle(new Request(`http://127.0.0.1:4000${p}`, { headers }));

describe("the web app handler", () => {
  it("answers only GET and HEAD under its base", async () => {
    expect(await get("/graphql")).toBeUndefined();
    expect(await get("/application")).toBeUndefined();
    expect(
      await handle(new Request("http://127.0.0.1:4000/app/", { method: "POST" })),
    ).toBeUndefined();
    const redirect = await get("/app");
    expect(redirect?.status).toBe(301);
    expect(redirect?.headers.get("location")).toBe("/app/");
    const head = await handle(new Request("http://127.0.0.1:4000/app/", { method: "HEAD" }));
    expect(head?.status).toBe(200);
    expect(await head?.text()).toBe("");
  });

  it.each([
    ["/app/assets/index-AbC123.js", "text/javascript; charset=utf-8"],
    ["/app/assets/index-AbC123.css", "text/css; charset=utf-8"],
    ["/app/assets/map.svg", "image/svg+xml"],
    ["/app/assets/font.woff2", "font/woff2"],
    ["/app/manifest.webmanifest", "application/manifest+json"],
    ["/app/", "text/html; charset=utf-8"],
  ])("serves %s as %s", async (p, type) => {
    const response = await get(p);
    expect(response?.status).toBe(200);
    expect(response?.headers.get("content-type")).toBe(type);
    expect(response?.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("refuses a file of unknown type", async () => {
    expect((await get("/app/assets/data.bin"))?.status).toBe(404);
  });

  it("caches hashed assets for a year, index.html never, with the CSP", async () => {
    const asset = await get("/app/assets/index-AbC123.js");
    expect(asset?.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const index = await get("/app/");
    expect(index?.headers.get("cache-control")).toBe("no-cache");
    expect(index?.headers.get("content-security-policy")).toBe(WEB_APP_CSP);
    expect(WEB_APP_CSP).toContain("frame-ancestors 'none'");
  });

  it("falls back to index.html for extension-less paths, 404 for a missing file", async () => {
    const deep = await get("/app/console/members/01ABC");
    expect(deep?.status).toBe(200);
    expect(await deep?.text()).toContain("<title>Maillage</title>");
    expect(deep?.headers.get("content-security-policy")).toBe(WEB_APP_CSP);
    expect((await get("/app/assets/missing-123.js"))?.status).toBe(404);
  });

  it.each([
    "/app/../secret.txt",
    "/app/%2e%2e/secret.txt",
    "/app/..%2fsecret.txt",
    "/app/assets/..%2f..%2fsecret.txt",
    "/app/%2e%2e%5csecret.txt",
    "/app/%00index.html",
  ])("refuses the traversal %s", async (p) => {
    // new Request normalises plain `..` segments; the encoded ones reach the handler.
    const response = await get(p);
    const body = response ? await response.text() : "";
    expect(body).not.toContain("do not serve");
    if (response && p.includes("%")) expect(response.status).toBeGreaterThanOrEqual(400);
  });

  it("gzips text when asked", async () => {
    const response = await get("/app/assets/index-AbC123.js", { "accept-encoding": "gzip, br" });
    expect(response?.headers.get("content-encoding")).toBe("gzip");
    const body = Buffer.from(await (response as Response).arrayBuffer());
    expect(gunzipSync(body).toString()).toBe("export const a = 1;");
  });

  it("answers 503 saying to run npm run build when the app is not built", async () => {
    const missing = createWebAppHandler({ dir: path.join(dir, "nowhere") });
    const response = await missing(new Request("http://127.0.0.1:4000/app/"));
    expect(response?.status).toBe(503);
    expect(response?.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(response?.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await response?.text()).toContain("npm run build");
  });

  it("refuses a file whose real path leaves the directory (a symbolic link), nosniff on 404s", async () => {
    await fs.symlink(secret, path.join(dir, "assets", "leak.txt"));
    await fs.symlink(path.dirname(dir), path.join(dir, "up"));
    for (const p of ["/app/assets/leak.txt", "/app/up/secret.txt"]) {
      const response = await get(p);
      expect(response?.status).toBe(404);
      expect(response?.headers.get("x-content-type-options")).toBe("nosniff");
      expect(await response?.text()).not.toContain("do not serve");
    }
    // A link inside the directory still serves.
    await fs.symlink(path.join(dir, "assets", "map.svg"), path.join(dir, "assets", "inside.svg"));
    expect((await get("/app/assets/inside.svg"))?.status).toBe(200);
  });
});

import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createHub, type Hub, loadHubConfig } from "@maillage/hub";
import { startTestAgent, type TestAgent } from "@maillage/node-agent/testing";
import { ErrorCodes } from "@maillage/schema";
import { seedPgliteStore } from "@maillage/storage/testing";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import hubPackage from "../../packages/hub/package.json" with { type: "json" };
import { signHubToken } from "../../packages/hub/src/auth/tokens.ts";
import { hubMigrations } from "../../packages/hub/src/migrate.ts";
import agentPackage from "../../packages/node-agent/package.json" with { type: "json" };

/**
 * The pages a person opens in a browser, at the hub and at a node agent: GraphiQL served
 * whole by the server (no CDN: it must work offline), opened authenticated with `#token=`,
 * and the landing page at `/`.
 */

let root: string;
let hub: Hub;
let hubUrl: string;
let agent: TestAgent;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-pages-"));
  await seedPgliteStore(path.join(root, "hub"), await hubMigrations());
  const config = loadHubConfig({}, { dataDir: path.join(root, "hub"), port: 0 });
  hub = await createHub(config, { logger: pino({ level: "silent" }) });
  hubUrl = (await hub.start()).url;
  agent = await startTestAgent("pglite", { fabriqueName: "La Fabrique <du> Vivarais & co" });
});

afterAll(async () => {
  await agent?.close();
  await hub?.stop();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

type Server = { name: string; get(path: string, accept?: string): Promise<Response> };

const servers: Server[] = [
  {
    name: "hub",
    // Over the socket: the hub answers `/` and the probes before GraphQL.
    get: (p, accept = "text/html") => fetch(new URL(p, hubUrl), { headers: { accept } }),
  },
  {
    name: "agent",
    get: (p, accept = "text/html") =>
      agent.agent.fetch(`http://agent.test${p}`, { headers: { accept } }),
  },
];

/**
 * Hosts named in GraphiQL's code without ever being fetched: XML namespaces, JSON Schema
 * identifiers, and links in licence comments, help texts and examples. A CDN or font host
 * appearing in the page fails the test.
 */
const MENTIONED_NOT_FETCHED = new Set([
  "www.w3.org", // SVG, XHTML, MathML and XML namespaces
  "lists.w3.org",
  "json-schema.org", // $schema identifiers of the JSON editor
  "www.example.com", // examples in help texts
  "dummyhostname.com", // a URL parser's base, never requested
  "en.wikipedia.org", // comments in colour code
  "www.rapidtables.com",
  "24ways.org",
  "github.com", // licence headers and error messages
  "prettier.io",
  "yarnpkg.com",
  "commonmark.org",
  "react.dev", // React's error-decoder link, shown only in messages
  "radix-ui.com",
  "code.visualstudio.com", // Monaco's help links
  "www.onegraph.com",
  "microsoft.com",
]);

const CDNS = /unpkg\.com|jsdelivr|cdnjs|esm\.sh|googleapis|gstatic|skypack|graphql-hive\.com/;

/** Scripts and styles inline; markup without them (the bundled code holds `<img src=${…}>` templates). */
function split(html: string) {
  const scripts = [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/gi)].map(
    (m) => m[1] ?? "",
  );
  const styles = [...html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/gi)].map((m) => m[1] ?? "");
  const markup = html
    .replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, "")
    .replace(/<style\b[^>]*>[\s\S]*?<\/style>/gi, "");
  return { scripts, styles, markup };
}

/** Every script, style, font or image a page loads: tag attributes and CSS url()/@import. */
function references(html: string): string[] {
  const { styles, markup } = split(html);
  const fromTags = [
    ...markup.matchAll(
      /<(?:script|link|img|iframe|source|embed|object)\b[^>]*?\b(?:src|href|data)\s*=\s*["']([^"']*)["']/gi,
    ),
  ].map((m) => m[1] ?? "");
  const css = styles.join("\n");
  const fromCss = [
    ...[...css.matchAll(/url\(\s*["']?([^"')\s]*)/g)].map((m) => m[1] ?? ""),
    ...[...css.matchAll(/@import\s+(?:url\()?\s*["']?([^"')\s;]*)/g)].map((m) => m[1] ?? ""),
  ];
  return [...fromTags, ...fromCss].filter((ref) => ref !== "" && !ref.startsWith("#"));
}

describe.each(servers)("$name", (server) => {
  it("serves GraphiQL whole: every script, style, font and image from the server itself", async () => {
    const response = await server.get("/graphql");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await response.text();
    const { scripts } = split(html);
    // The GraphiQL bundle itself is in the page, not loaded from anywhere.
    expect(scripts.join("").length).toBeGreaterThan(1_000_000);

    const refs = references(html);
    expect(refs.length).toBeGreaterThan(10); // the favicon, the fonts, the icons
    for (const ref of refs) {
      if (ref.startsWith("data:")) {
        expect(ref, ref.slice(0, 40)).toMatch(/^data:[\w/+.-]+(;[\w=-]+)*(;base64)?,./);
        continue;
      }
      // Anything else must be the server's own: it answers it.
      expect(ref, ref).not.toMatch(/^(https?:)?\/\//);
      expect((await server.get(new URL(ref, "http://x/graphql").pathname, "*/*")).status, ref).toBe(
        200,
      );
    }

    // No code loads anything from another host either.
    const code = scripts.join("\n");
    expect(code).not.toMatch(/(?:import|importScripts|fetch|new Worker)\(\s*["'`]https?:/);
    expect(html).not.toMatch(CDNS);
    const hosts = new Set([...html.matchAll(/https?:\/\/([a-zA-Z0-9.-]+)/g)].map((m) => m[1]));
    expect([...hosts].filter((host) => !MENTIONED_NOT_FETCHED.has(host ?? ""))).toEqual([]);
  });

  it("opens GraphiQL authenticated from #token= (the handler is in the page)", async () => {
    const html = await (await server.get("/graphql")).text();
    expect(html).toContain('<script id="maillage-token">');
    // GraphiQL starts through the handler, which reads the fragment and clears it.
    const startCalls = html.split("YogaGraphiQL.renderYogaGraphiQL(").length - 1;
    expect(startCalls).toBe(1); // the handler's own call
    expect(html).toMatch(/maillageStartGraphiQL\(\s*window\.document\.querySelector\('#root'\)/);
    const handler = /<script id="maillage-token">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? "";
    expect(handler).toContain('get("token")');
    expect(handler).toContain("Authorization");
    expect(handler).toContain("history.replaceState");
  });

  it("has a landing page at / naming the server and its version, linking what it serves", async () => {
    const response = await server.get("/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await response.text();
    const version = server.name === "hub" ? hubPackage.version : agentPackage.version;
    expect(html).toContain(`<dd>${version}</dd>`);
    expect(html).toContain(
      server.name === "hub" ? "<h1>Maillage hub</h1>" : "<h1>Maillage node agent</h1>",
    );
    const links = [...html.matchAll(/<a [^>]*href="([^"]*)"/g)].map((m) => m[1] ?? "");
    expect(links).toEqual(expect.arrayContaining(["/graphql", "/health", "/ready", "/errors"]));
    for (const link of links) {
      expect(link).toMatch(/^\//);
      expect((await server.get(link)).status, link).toBe(200);
    }
    // Nothing fetched: an inline data: URL (the empty icon) is no request.
    expect(references(html).filter((ref) => !ref.startsWith("data:"))).toEqual([]);
  });

  it("lists every documented error code at /errors", async () => {
    const html = await (await server.get("/errors")).text();
    for (const code of Object.keys(ErrorCodes)) expect(html).toContain(`<code>${code}</code>`);
  });
});

it("the hub's GraphiQL subscribes over server-sent events, which carry its Authorization header", async () => {
  const html = await (await servers[0]?.get("/graphql"))?.text();
  expect(html).toContain('"subscriptionsProtocol":"SSE"');
  const subscribe = async (headers: Record<string, string>) => {
    const controller = new AbortController();
    const response = await fetch(new URL("/graphql", hubUrl), {
      method: "POST",
      signal: controller.signal,
      headers: { "content-type": "application/json", accept: "text/event-stream", ...headers },
      body: JSON.stringify({ query: "subscription { networkEvents { __typename } }" }),
    });
    const reader = response.body?.getReader();
    const first = await reader?.read();
    controller.abort();
    return { status: response.status, first: new TextDecoder().decode(first?.value) };
  };
  const token = await signHubToken(hub.keys, hub.config, { role: "NATIONAL" }, "1h");
  const signedIn = await subscribe({ authorization: `Bearer ${token}` });
  expect(signedIn.status).toBe(200);
  expect(signedIn.first).not.toContain("UNAUTHENTICATED");
  const anonymous = await subscribe({});
  expect(anonymous.first).toContain("UNAUTHENTICATED");
});

it("the agent's landing page names its fabrique and node, escaped", async () => {
  const html = await (await servers[1]?.get("/"))?.text();
  const { identity } = agent.credentials;
  expect(html).toContain("La Fabrique &lt;du&gt; Vivarais &amp; co");
  expect(html).toContain(identity.nodeId);
  expect(html).toContain(identity.fabriqueId);
});

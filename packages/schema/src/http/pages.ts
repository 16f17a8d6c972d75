import type { Plugin } from "graphql-yoga";
import { type ErrorCode, ErrorCodes } from "../errors.ts";

/**
 * The few HTML pages the hub and the node agents serve besides GraphQL: a landing page at
 * `/`, the error codes at `/errors`, and what makes GraphiQL open already authenticated.
 * Every page is self-contained: no script, style, font or image from anywhere else, so they
 * work on a machine without internet.
 */

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const STYLE = `
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1d2330; }
  h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
  .lead { color: #4a5468; margin-top: 0; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
  dt { color: #4a5468; }
  dd { margin: 0; font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
  ul { padding-left: 1.2rem; }
  code { font-family: ui-monospace, monospace; }
  table { border-collapse: collapse; }
  td, th { border-top: 1px solid #d5d9e2; padding: 0.3rem 0.6rem 0.3rem 0; text-align: left; vertical-align: top; }
`;

/**
 * The shell of every page (these and the login pages, session.ts): no favicon request, `head`
 * (whole indented lines) before the title, `style` inline, `body` as given.
 */
export function htmlPage(page: {
  lang: "en" | "fr";
  title: string;
  style: string;
  head?: string;
  body: string;
}): string {
  return `<!doctype html>
<html lang="${page.lang}">
  <head>
    <meta charset="utf-8" />
    <link rel="icon" href="data:," />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
${page.head ?? ""}    <title>${escapeHtml(page.title)}</title>
    <style>${page.style}</style>
  </head>
  <body>
${page.body}
  </body>
</html>
`;
}

function page(title: string, body: string): string {
  return htmlPage({ lang: "en", title, style: STYLE, body });
}

export type LandingPage = {
  /** "Maillage hub" or "Maillage node agent". */
  title: string;
  /** One sentence: what this server is. */
  summary: string;
  /** The package version (its package.json). */
  version: string;
  /** Facts shown as a list (label, value), e.g. the fabrique and node of an agent. */
  facts?: [string, string][];
};

/** The page at `/`: what the server is, its version, and where to go from here. */
export function renderLandingPage(landing: LandingPage): string {
  const facts: [string, string][] = [["version", landing.version], ...(landing.facts ?? [])];
  const links: [string, string][] = [
    [
      "/app/",
      "/app/: the web app (sign in with a one-time link: maillage hub login-link, maillage agent login-link)",
    ],
    [
      "/graphql",
      "GraphiQL: explore and run the GraphQL API (/graphql#token=<jwt> opens it authenticated)",
    ],
    ["/health", "/health: the process is up"],
    ["/ready", "/ready: the database is reachable and migrated (503 until then)"],
    ["/errors", "/errors: every error code the API answers, and what it means"],
  ];
  return page(
    landing.title,
    `    <h1>${escapeHtml(landing.title)}</h1>
    <p class="lead">${escapeHtml(landing.summary)}</p>
    <dl>
${facts.map(([k, v]) => `      <dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join("\n")}
    </dl>
    <h2>Endpoints</h2>
    <ul>
${links.map(([href, text]) => `      <li><a href="${href}">${escapeHtml(text)}</a></li>`).join("\n")}
    </ul>
    <p>GraphQL requests go to <code>POST /graphql</code> with <code>Authorization: Bearer &lt;token&gt;</code>.
    The configuration, the CLI and the sync protocol are described in the README of the Maillage
    repository; the error codes in its <code>docs/errors.md</code>, of which <a href="/errors">/errors</a>
    is the summary.</p>`,
  );
}

/** The page at `/errors`: the documented codes, from the contract's own list. */
export function renderErrorCodesPage(title: string): string {
  const rows = Object.entries(ErrorCodes)
    .map(
      ([code, meaning]) =>
        `      <tr><td><code>${code}</code></td><td>${escapeHtml(meaning)}</td></tr>`,
    )
    .join("\n");
  return page(
    `${title}: error codes`,
    `    <h1>Error codes</h1>
    <p class="lead">Every expected failure carries one of these codes in <code>errors[].extensions.code</code>;
    test the code, never the message. <a href="/">Back</a></p>
    <table>
      <tr><th>code</th><th>meaning</th></tr>
${rows}
    </table>`,
  );
}

/**
 * A JSON error answer outside GraphQL (session routes, /metrics, /sync/status, settlement
 * statements): GraphQL's error shape with a documented code, never cached.
 */
export function jsonErrorResponse(
  status: number,
  code: ErrorCode,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return Response.json(
    { errors: [{ message, extensions: { code } }] },
    { status, headers: { "cache-control": "no-store", ...headers } },
  );
}

/** An HTML response of one of these pages. */
export function htmlResponse(html: string, status = 200): Response {
  return new Response(html, {
    status,
    headers: { "content-type": "text/html; charset=utf-8" },
  });
}

/** The call that starts yoga's packaged GraphiQL in its page. */
const GRAPHIQL_START = "YogaGraphiQL.renderYogaGraphiQL(";

/**
 * Runs in the GraphiQL page before GraphiQL starts: `#token=<jwt>` in the address becomes
 * `Authorization: Bearer <jwt>` in GraphiQL's headers, and leaves the address bar at once
 * (history.replaceState). A fragment is never sent to the server, so the token reaches no
 * request line and no log; GraphiQL does not store headers unless asked to.
 */
export const GRAPHIQL_TOKEN_SCRIPT = `
      function maillageStartGraphiQL(root, options) {
        var token = new URLSearchParams(window.location.hash.slice(1)).get("token");
        if (token) {
          var headers = JSON.stringify({ Authorization: "Bearer " + token }, null, 2);
          options = Object.assign({}, options, { headers: headers, defaultHeaders: headers });
          window.history.replaceState(null, "", window.location.pathname + window.location.search);
        }
        return YogaGraphiQL.renderYogaGraphiQL(root, options);
      }
`;

/**
 * Adds the `#token=` handler to the page rendered by `@graphql-yoga/render-graphiql`. Throws
 * when the page no longer starts GraphiQL the way this expects (a package upgrade), so the
 * servers' tests catch it rather than a user.
 */
export function withTokenFromFragment(graphiqlHtml: string): string {
  const starts = graphiqlHtml.split(GRAPHIQL_START).length - 1;
  if (starts !== 1) {
    throw new Error(`expected one ${GRAPHIQL_START} in the GraphiQL page, found ${starts}`);
  }
  const anchor = '<div id="root"></div>';
  if (!graphiqlHtml.includes(anchor)) throw new Error(`no ${anchor} in the GraphiQL page`);
  return graphiqlHtml
    .replace(GRAPHIQL_START, "maillageStartGraphiQL(")
    .replace(
      anchor,
      `${anchor}\n    <script id="maillage-token">${GRAPHIQL_TOKEN_SCRIPT}    </script>`,
    );
}

/**
 * nosniff and no framing on every HTML answer of yoga (GraphiQL: its own scripts and styles
 * keep working, so its CSP says only `frame-ancestors 'none'`).
 */
export function useHtmlHeaders(): Plugin {
  return {
    onResponse({ response }) {
      if (!response.headers.get("content-type")?.startsWith("text/html")) return;
      response.headers.set("x-content-type-options", "nosniff");
      if (!response.headers.has("x-frame-options")) response.headers.set("x-frame-options", "DENY");
      if (!response.headers.has("content-security-policy")) {
        response.headers.set("content-security-policy", "frame-ancestors 'none'");
      }
    },
  };
}

import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { ErrorCodes } from "../errors.ts";
import { renderErrorCodesPage, renderLandingPage, withTokenFromFragment } from "./pages.ts";

/** The shape of the page @graphql-yoga/render-graphiql renders, reduced to what matters. */
const YOGA_PAGE = `<!doctype html><html><body>
      <div id="root"></div>
      <script>
        var YogaGraphiQL = window.YogaGraphiQL;
        YogaGraphiQL.renderYogaGraphiQL(
          window.document.querySelector('#root'),
          {"title":"Maillage hub"},
        );
      </script></body></html>`;

/** Runs the page's scripts in a fake browser at `href`; returns what GraphiQL was started with. */
function open(html: string, href: string) {
  const url = new URL(href);
  const started: { options?: Record<string, unknown> } = {};
  const replaced: string[] = [];
  const window = {
    location: { hash: url.hash, pathname: url.pathname, search: url.search },
    history: { replaceState: (_s: unknown, _t: string, to: string) => replaced.push(to) },
    document: { querySelector: () => ({}) },
    YogaGraphiQL: {
      renderYogaGraphiQL: (_root: unknown, options: Record<string, unknown>) => {
        started.options = options;
      },
    },
  };
  const context = vm.createContext({ window, URLSearchParams, JSON, Object });
  for (const [, script] of html.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)) {
    vm.runInContext(script ?? "", context);
  }
  return { options: started.options, replaced };
}

describe("GraphiQL opened with #token=", () => {
  const page = withTokenFromFragment(YOGA_PAGE);

  it("puts the token in GraphiQL's headers and takes it out of the address bar", () => {
    const { options, replaced } = open(page, "http://hub.test/graphql?x=1#token=eyJ.abc.def");
    const headers = JSON.stringify({ Authorization: "Bearer eyJ.abc.def" }, null, 2);
    expect(options).toEqual({ title: "Maillage hub", headers, defaultHeaders: headers });
    expect(replaced).toEqual(["/graphql?x=1"]);
  });

  it("leaves GraphiQL as it is without a token", () => {
    const { options, replaced } = open(page, "http://hub.test/graphql");
    expect(options).toEqual({ title: "Maillage hub" });
    expect(replaced).toEqual([]);
  });

  it("the package's page, without the handler, would ignore the token", () => {
    const { options } = open(YOGA_PAGE, "http://hub.test/graphql#token=eyJ.abc.def");
    expect(options).toEqual({ title: "Maillage hub" });
  });

  it("refuses a page that does not start GraphiQL as expected (a package upgrade)", () => {
    expect(() => withTokenFromFragment('<div id="root"></div>')).toThrow(/renderYogaGraphiQL/);
  });
});

describe("landing and error pages", () => {
  it("say what the server is, its version, and link the endpoints", () => {
    const html = renderLandingPage({
      title: "Maillage node agent",
      summary: "The node agent of Arts & <Métiers>.",
      version: "1.2.3",
      facts: [["node", "01J0NODE"]],
    });
    expect(html).toContain("<h1>Maillage node agent</h1>");
    expect(html).toContain("Arts &amp; &lt;Métiers&gt;");
    expect(html).toContain("<dd>1.2.3</dd>");
    expect(html).toContain("<dd>01J0NODE</dd>");
    for (const href of ["/graphql", "/health", "/ready", "/errors"]) {
      expect(html).toContain(`href="${href}"`);
    }
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it("the error page lists every documented code", () => {
    const html = renderErrorCodesPage("Maillage hub");
    for (const code of Object.keys(ErrorCodes)) expect(html).toContain(`<code>${code}</code>`);
  });
});

import { type CommandSpec, commandHelp, parseCommand } from "./args.ts";
import type { CliContext } from "./context.ts";
import { describeStorage, loadConfig, serve } from "./serve.ts";

export const DEMO = {
  name: "demo",
  summary: "Start a hub with a seeded demo network of fabriques and satellites.",
  synopsis: "[options]",
  options: {},
  notes: [
    "Environment: PORT (default 4000) is the hub's port; DATA_DIR (default .maillage) holds the data, the hub's in DATA_DIR/hub.",
    "The demo always uses embedded storage (PGlite, in-process pub/sub): DATABASE_URL and REDIS_URL are ignored.",
    "The first start seeds the network; later starts reuse the data. SIGINT or SIGTERM stops it cleanly.",
  ],
} as const satisfies CommandSpec;

/** How long the NATIONAL token printed by the demo stays valid. */
export const DEMO_TOKEN_TTL = "12h";

export type DemoBanner = {
  url: string;
  token: string;
  seeded: boolean;
  fabriques: number;
  satellites: number;
  storage: string;
};

export function demoBanner(banner: DemoBanner): string {
  const network = `${banner.fabriques} fabriques, ${banner.satellites} satellites`;
  const data = banner.seeded
    ? `seeded a new demo network: ${network}`
    : `reused the existing data: ${network}`;
  const query = JSON.stringify({ query: "{ spaces(first: 5) { edges { node { name } } } }" });
  return [
    "",
    `Maillage demo network is running (${data}).`,
    "",
    `  GraphiQL  ${banner.url}/graphql`,
    `            send the token below as the header "Authorization: Bearer <token>"`,
    `  Storage   ${banner.storage}`,
    "",
    `  A NATIONAL token, valid ${DEMO_TOKEN_TTL}:`,
    "",
    `export TOKEN=${banner.token}`,
    "",
    "  Try it:",
    `    curl -s ${banner.url}/graphql -H "content-type: application/json" \\`,
    `      -H "authorization: Bearer $TOKEN" -d '${query}'`,
    "",
    "  Press Ctrl-C to stop.",
    "",
  ].join("\n");
}

export async function runDemo(argv: readonly string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(DEMO, argv);
  if (parsed.help) {
    ctx.stdout(commandHelp(DEMO));
    return 0;
  }
  const api = await ctx.loadHub();
  // The demo always runs on embedded storage: never seed a demo network into a real database.
  const config = loadConfig(api, ctx, { databaseUrl: undefined, redisUrl: undefined });
  return serve(api, config, ctx, async (hub) => {
    const seed = await api.seedDemoNetwork(hub);
    const { url } = await hub.start();
    const token = await api.issueHubToken(hub.config, { role: "NATIONAL" }, DEMO_TOKEN_TTL);
    return demoBanner({ url, token, ...seed, storage: describeStorage(hub.config) });
  });
}

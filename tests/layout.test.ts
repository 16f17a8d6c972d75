import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * One layout for hub and agent (README, Layout): a domain's GraphQL types, service,
 * repository and sync handlers sit in its own `src/modules/<domain>/` folder. Outside the
 * modules, only the protocol's own files talk to the database (the hub's change log and node
 * rows, the agent's outbox and sync state), and the agent's `store/` only opens the database.
 */
const root = path.resolve(import.meta.dirname, "..");

function filesUnder(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

const PROTOCOL_REPOSITORIES = new Set([
  "packages/node-agent/src/outbox/outbox.repository.ts",
  "packages/node-agent/src/sync/sync-state.repository.ts",
  "packages/node-agent/src/testing/maintenance.repository.ts",
]);

describe.each(["packages/hub/src", "packages/node-agent/src"])("the layout of %s", (src) => {
  const files = filesUnder(src).filter((f) => !f.includes("/generated/"));

  it("keeps every repository and sync handler in a module folder", () => {
    const astray = files.filter(
      (f) =>
        /(\.repository|-sync)\.ts$/.test(f) &&
        !f.startsWith(`${src}/modules/`) &&
        !PROTOCOL_REPOSITORIES.has(f),
    );
    expect(astray).toEqual([]);
  });

  it("keeps each entity's sync handler with its domain, not with the protocol", () => {
    const modules = new Set(
      files.filter((f) => f.startsWith(`${src}/modules/`)).map((f) => f.split("/")[4]),
    );
    expect(modules.size).toBeGreaterThan(4);
    // Each entity's sync handler lives with its domain, not with the protocol.
    const handlers = files.filter((f) => f.endsWith("-sync.ts")).map((f) => path.basename(f));
    expect(handlers.length).toBeGreaterThanOrEqual(2);
    expect(
      files.filter((f) => f.startsWith(`${src}/modules/sync/`) && f.endsWith("-sync.ts")),
    ).toEqual([]);
  });
});

it("leaves the agent's store/ to opening the database and its migrations", () => {
  expect(
    filesUnder("packages/node-agent/src/store")
      .map((f) => path.basename(f))
      .sort(),
  ).toEqual(["migrations.ts", "store.ts"]);
});

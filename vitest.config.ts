import { createRequire } from "node:module";
import { configDefaults, defineConfig } from "vitest/config";
import LongestFirstSequencer from "./tests/support/sequencer.ts";

// pothos and yoga load graphql's CommonJS build; vite would hand test files the ESM build.
// Two copies of graphql break schemas ("Cannot use GraphQLSchema from another module"), so
// every import of `graphql` goes to the CommonJS entry, in every project.
const graphqlEntry = createRequire(new URL("./packages/hub/package.json", import.meta.url)).resolve(
  "graphql/index.js",
);

/** The integration suite runs on the real services; these are the development and CI ones. */
const serviceUrl = (name: string, fallback: string) => process.env[name] ?? fallback;

const ignored = [...configDefaults.exclude, "**/.maillage/**", "**/.turbo/**"];

export default defineConfig({
  resolve: {
    alias: [{ find: /^graphql$/, replacement: graphqlEntry }],
  },
  test: {
    pool: "forks",
    // An embedded PGlite takes about 2 s to start; a migrated one a little more.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default", "./tests/support/summary-reporter.ts"],
    // Embedded stores start as copies of one migrated PGlite per run instead of each running
    // initdb and the migrations (seedPgliteStore in @maillage/storage/testing).
    globalSetup: ["./tests/support/pglite-templates.ts"],
    // Longest files first, the end-to-end suites included when no durations are recorded.
    sequence: { sequencer: LongestFirstSequencer },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          // Both cores: most suites wait on sockets, timers and sync loops more than they
          // compute, and each file has its own embedded store and ports (8.3 → 5.9 min here).
          // The integration suite shares one PostgreSQL database: it stays one file at a time.
          maxWorkers: 2,
          // Each worker runs its files one after another in one process: the hub's and the
          // agents' modules, PGlite's and Prisma's WebAssembly and the commune list are loaded
          // once per worker rather than once per file (≈190 s of 450 s of CPU for the suite
          // here). Every file still starts and stops its own hubs, agents, stores and ports;
          // tests restore what they spy on, and none changes process.env.
          isolate: false,
          include: ["packages/**/src/**/*.test.ts", "tests/**/*.test.ts"],
          exclude: [...ignored, "**/*.integration.test.ts", "**/*.browser.test.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["**/*.integration.test.ts"],
          exclude: ignored,
          env: {
            DATABASE_URL: serviceUrl("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"),
            REDIS_URL: serviceUrl("REDIS_URL", "redis://127.0.0.1:6379"),
          },
        },
      },
      {
        extends: true,
        test: {
          name: "browser",
          // Headless Chromium (Debian's) against the demo network, one file at a time: each
          // starts a hub and two agents and a browser (`npm run test:browser`, run by .ci/run).
          include: ["tests/web/**/*.browser.test.ts"],
          exclude: ignored,
          maxWorkers: 1,
          // A test waits on several servers and pages; the machine may be loaded.
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});

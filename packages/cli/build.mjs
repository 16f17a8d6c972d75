// Compiles the `maillage` command once (`npm run build`, run by `npm ci` through `prepare`), so
// that a call runs JavaScript instead of transpiling TypeScript through tsx every time, and
// loads only what its command needs. esbuild bundles the workspace's TypeScript (@maillage/*)
// into packages/cli/dist/; every package from node_modules stays external and is loaded by
// Node as usual (Prisma's runtime and its wasm, PGlite, yoga, ...). Two builds:
//
// - dist/main.js: the commands, with the light clients of the hub and the agent
//   (`@maillage/hub/client`, `@maillage/node-agent/client`) and the parts of the contract
//   package they use. Tree-shaken statement by statement, with the external packages marked
//   free of side effects, so that `hub token` or `agent token` loads zod and jose and nothing
//   else (not graphql, GraphQL Armor, Prisma, PGlite).
// - dist/server/{hub,agent}.js and their shared chunks: the full hub and node agent, which
//   main.js imports when a command runs one (`hub start`, `agent start`, `agent init`, `seed`,
//   `demo`). One build with code splitting, so the demo's hub and agents share one copy of the
//   contract and storage packages. (main.js holds a second copy of the few contract modules it
//   uses: the CLI recognises the contract's errors by name and code, not by class.)
//
// A few sources find files relative to themselves (`new URL("../prisma/migrations",
// import.meta.url)`, `createRequire(import.meta.url)`). In a bundle `import.meta.url` would be
// the chunk's URL, so each source's `import.meta.url` is rewritten to its own file's URL,
// relative to the output directory: the build keeps reading migrations, SDL files and data
// from the checkout it was built in.
//
// The output is written to a temporary directory and swapped in, so a `maillage` running
// meanwhile sees the old build or none (bin/maillage.js then runs the sources through tsx),
// never half of one. dist/build.json lists the sources, for bin/maillage.js's freshness check.
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const cliDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(cliDir, "../..");
const defaultOutdir = path.join(cliDir, "dist");

/** The full servers: external in main.js, built into dist/server/. */
const SERVERS = {
  "@maillage/hub": { entry: "packages/hub/src/index.ts", output: "hub.js" },
  "@maillage/node-agent": { entry: "packages/node-agent/src/index.ts", output: "agent.js" },
};

/**
 * Bare imports stay external, except the workspace's own TypeScript packages. In main.js they
 * are also marked free of side effects, so that an import whose bindings are unused after
 * tree-shaking is dropped (`limits.ts` imports GraphQL Armor for the servers, `env.ts` only its
 * settings). Our sources import no package for its side effects alone (Biome's organised
 * imports would show it).
 */
const externalPackages = (sideEffects) => ({
  name: "external-packages",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("@maillage/")) return undefined;
      return sideEffects
        ? { path: args.path, external: true }
        : { path: args.path, external: true, sideEffects: false };
    });
  },
});

/**
 * The contract package (@maillage/schema) runs no module for its side effects alone: marked so,
 * main.js keeps only the modules whose exports it uses, not every zod schema of the barrel.
 * (Not the servers: their GraphQL types register themselves on the builder by being imported.)
 */
const schemaDir = path.join(repoRoot, "packages/schema/src");
const pureSchema = {
  name: "pure-schema",
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === pureSchema) return undefined;
      const fromSchema = args.importer.startsWith(schemaDir) && args.path.startsWith(".");
      if (!fromSchema && args.path !== "@maillage/schema") return undefined;
      const resolved = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: pureSchema,
      });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      return { path: resolved.path, sideEffects: false };
    });
  },
};

/** In main.js, `import("@maillage/hub")` and `import("@maillage/node-agent")` load dist/server/. */
const serversApart = {
  name: "servers-apart",
  setup(b) {
    b.onResolve({ filter: /^@maillage\/(hub|node-agent)$/ }, (args) => ({
      path: `./server/${SERVERS[args.path].output}`,
      external: true,
    }));
  },
};

/** `import.meta.url` of each bundled source: its own file, found from the output directory. */
const sourceUrls = (outdir) => ({
  name: "source-import-meta-url",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await fs.readFile(args.path, "utf8");
      if (!source.includes("import.meta.url")) return undefined;
      const fromOutput = path.relative(outdir, args.path).split(path.sep).join("/");
      return {
        contents: source.replaceAll(
          "import.meta.url",
          `new URL(${JSON.stringify(fromOutput)}, import.meta.url).href`,
        ),
        loader: "ts",
      };
    });
  },
});

const COMMON = {
  absWorkingDir: repoRoot,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: "linked",
  sourcesContent: false,
  metafile: true,
  logLevel: "warning",
};

/**
 * Compiles the CLI into `outdir` (default packages/cli/dist/) and returns esbuild's metafiles
 * (which output holds which sources and imports what) of main.js and of the servers.
 */
export async function buildCli({ outdir = defaultOutdir, quiet = false } = {}) {
  const started = performance.now();
  // A source saved during the build is newer than this: the freshness check catches it.
  const builtAt = Date.now();
  const staging = `${outdir}.${process.pid}.tmp`;
  await fs.rm(staging, { recursive: true, force: true });
  const [main, servers] = await Promise.all([
    build({
      ...COMMON,
      entryPoints: { main: path.join(cliDir, "src/main.ts") },
      outdir: staging,
      plugins: [pureSchema, serversApart, externalPackages(false), sourceUrls(outdir)],
    }),
    build({
      ...COMMON,
      entryPoints: Object.fromEntries(
        Object.values(SERVERS).map(({ entry, output }) => [
          path.basename(output, ".js"),
          path.join(repoRoot, entry),
        ]),
      ),
      outdir: path.join(staging, "server"),
      splitting: true,
      chunkNames: "[name]-[hash]",
      plugins: [externalPackages(true), sourceUrls(path.join(outdir, "server"))],
    }),
  ]);
  const inputs = [
    ...new Set([...Object.keys(main.metafile.inputs), ...Object.keys(servers.metafile.inputs)]),
  ].filter((input) => !input.includes(":"));
  await fs.writeFile(
    path.join(staging, "build.json"),
    `${JSON.stringify({ builtAt, inputs }, null, 1)}\n`,
  );
  const previous = `${outdir}.${process.pid}.old`;
  await fs.rename(outdir, previous).catch((error) => {
    if (error.code !== "ENOENT") throw error;
  });
  await fs.rename(staging, outdir);
  await fs.rm(previous, { recursive: true, force: true });
  if (!quiet) {
    console.log(
      `maillage CLI compiled into ${path.relative(repoRoot, outdir)}/ (${inputs.length} sources) in ${Math.round(performance.now() - started)} ms`,
    );
  }
  return { main: main.metafile, servers: servers.metafile };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildCli();

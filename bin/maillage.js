#!/usr/bin/env node
// The `maillage` command. It runs the CLI that `npm run build` compiled into packages/cli/dist/
// (`npm ci` runs that build through `prepare`): plain JavaScript, one chunk per command, so
// `maillage hub token` loads no server. When that build is missing, or a source it was built
// from changed since, it runs the TypeScript sources through tsx instead: the same behaviour,
// seconds slower, never a stale build. On a terminal it says so on stderr.
import fs from "node:fs";

const dist = new URL("../packages/cli/dist/", import.meta.url);
const root = new URL("../", import.meta.url);

/** Why the compiled CLI cannot be used, or undefined when it is current. */
function staleness() {
  let build;
  try {
    build = JSON.parse(fs.readFileSync(new URL("build.json", dist), "utf8"));
  } catch {
    return "the CLI is not compiled";
  }
  for (const input of build.inputs) {
    const stat = fs.statSync(new URL(input, root), { throwIfNoEntry: false });
    if (stat === undefined || stat.mtimeMs > build.builtAt) {
      return `${input} changed since the CLI was compiled`;
    }
  }
  return undefined;
}

const reason = staleness();
let cli;
if (reason === undefined) {
  cli = await import(new URL("main.js", dist).href);
} else {
  if (process.stderr.isTTY) {
    process.stderr.write(
      `maillage: ${reason}: running the sources through tsx (slower); "npm run build" compiles them\n`,
    );
  }
  const { register } = await import("tsx/esm/api");
  register();
  cli = await import(new URL("packages/cli/src/main.ts", root).href);
}
process.exit(await cli.main(process.argv.slice(2)));

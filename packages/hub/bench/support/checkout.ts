// `tsx packages/hub/bench/support/checkout.ts <commit> <dir>`: a runnable copy of the
// repository at another commit, to bench the code before a change beside the code after it on
// the same machine (and the same national database, when the seed and migrations did not
// change): `git archive` of the commit into <dir> (no change to this repository), this tree's
// node_modules linked entry by entry with the workspace packages pointing into <dir>, and the
// generated Prisma client copied, and this tree's bench harness (packages/hub/bench) put in
// place of the commit's: the same measurement of the other code.
// Then: `cd <dir> && npx tsx packages/hub/bench/suite.ts`.
import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";

const repoRoot = path.resolve(import.meta.dirname, "../../../..");
const [commit, target] = process.argv.slice(2);
if (!commit || !target) {
  console.error("usage: checkout.ts <commit> <dir>");
  process.exit(2);
}
const dir = path.resolve(target);
const exists = await fs.stat(dir).then(
  () => true,
  () => false,
);
if (exists) {
  console.error(`${dir} exists: choose a new directory`);
  process.exit(2);
}
await fs.mkdir(dir, { recursive: true });
const archive = execFileSync("git", ["archive", "--format=tar", commit], {
  cwd: repoRoot,
  maxBuffer: 1 << 30,
});
execFileSync("tar", ["-x", "-C", dir], { input: archive });

const modules = path.join(repoRoot, "node_modules");
const linked = path.join(dir, "node_modules");
await fs.mkdir(linked);
for (const entry of await fs.readdir(modules)) {
  if (entry === "@maillage") continue;
  await fs.symlink(path.join(modules, entry), path.join(linked, entry));
}
await fs.mkdir(path.join(linked, "@maillage"));
for (const entry of await fs.readdir(path.join(modules, "@maillage"))) {
  const real = await fs.realpath(path.join(modules, "@maillage", entry));
  const pkg = path.join(dir, path.relative(repoRoot, real));
  await fs.symlink(pkg, path.join(linked, "@maillage", entry));
}
await fs.cp(
  path.join(repoRoot, "packages/hub/src/generated"),
  path.join(dir, "packages/hub/src/generated"),
  { recursive: true },
);
const bench = path.join(dir, "packages/hub/bench");
await fs.rm(bench, { recursive: true, force: true });
await fs.cp(path.join(repoRoot, "packages/hub/bench"), bench, { recursive: true });
console.log(`${commit} in ${dir}: cd ${dir} && npx tsx packages/hub/bench/suite.ts`);

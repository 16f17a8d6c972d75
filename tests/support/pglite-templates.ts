import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PGLITE_TEMPLATES_ENV } from "@maillage/storage/testing";

const PREFIX = "maillage-pglite-templates-";

/**
 * Vitest global setup: a directory for this run's PGlite templates (see `seedPgliteStore`),
 * handed to the workers through the environment, removed at the end of the run. The
 * directories of runs that were killed before their end (their vitest process is gone) are
 * removed first.
 */
export default async function setup() {
  await removeAbandoned();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), PREFIX));
  await fs.writeFile(path.join(dir, "run.pid"), String(process.pid));
  process.env[PGLITE_TEMPLATES_ENV] = dir;
  return async () => {
    delete process.env[PGLITE_TEMPLATES_ENV];
    await fs.rm(dir, { recursive: true, force: true });
  };
}

async function removeAbandoned() {
  const entries = await fs.readdir(os.tmpdir()).catch(() => [] as string[]);
  for (const name of entries.filter((e) => e.startsWith(PREFIX))) {
    const dir = path.join(os.tmpdir(), name);
    const pid = Number.parseInt(
      await fs.readFile(path.join(dir, "run.pid"), "utf8").catch(() => ""),
      10,
    );
    // No pid: a run starting this very moment, unless the directory is hours old.
    const abandoned = pid
      ? !isAlive(pid)
      : Date.now() - (await fs.stat(dir).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs >
        2 * 3_600_000;
    if (abandoned) await fs.rm(dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

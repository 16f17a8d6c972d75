import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PGLITE_TEMPLATES_ENV } from "@maillage/storage/testing";

/**
 * Vitest global setup: a directory for this run's PGlite templates (see `seedPgliteStore`),
 * handed to the workers through the environment, removed at the end of the run.
 */
export default async function setup() {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-pglite-templates-"));
  process.env[PGLITE_TEMPLATES_ENV] = dir;
  return async () => {
    delete process.env[PGLITE_TEMPLATES_ENV];
    await fs.rm(dir, { recursive: true, force: true });
  };
}

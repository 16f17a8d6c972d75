import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";

/**
 * Where an agent keeps what it needs outside its database, so that `maillage agent token`
 * and `status` never open the embedded database (PGlite allows one process per directory).
 */
export function identityFilePath(dataDir: string): string {
  return path.join(dataDir, "node.json");
}

export function keyFilePath(dataDir: string): string {
  return path.join(dataDir, "keys", "node-key.json");
}

/**
 * Writes `content` to `file` through a temporary file (mode as given), so a reader never sees
 * half a file. `replace: false` fails with EEXIST when the file exists (link() is atomic).
 */
export async function writeFileAtomically(
  file: string,
  content: string,
  options: { mode: number; replace: boolean },
): Promise<void> {
  const tmp = `${file}.${randomUUID()}.tmp`;
  await fs.writeFile(tmp, content, { mode: options.mode, flag: "wx" });
  try {
    if (options.replace) await fs.rename(tmp, file);
    else await fs.link(tmp, file);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

export async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return false;
      throw error;
    },
  );
}

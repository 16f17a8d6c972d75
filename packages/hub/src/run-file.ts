import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

/**
 * How programs on the hub's machine find the running hub (`maillage hub report`, the fabrique
 * check of `maillage hub token`): `maillage hub start` writes `<dataDir>/hub.run.json` (its URL
 * and pid) once the hub listens, and removes it when the hub stops. The node agent does the same
 * with its own `agent.run.json`.
 */
export function hubRunFilePath(dataDir: string): string {
  return path.join(dataDir, "hub.run.json");
}

const HubRun = z.object({ url: z.string().url(), pid: z.number().int(), startedAt: z.string() });
export type HubRun = z.infer<typeof HubRun>;

export async function writeHubRunFile(dataDir: string, url: string): Promise<void> {
  const file = hubRunFilePath(dataDir);
  const content: HubRun = { url, pid: process.pid, startedAt: new Date().toISOString() };
  // With DATABASE_URL and HUB_SIGNING_KEYS nothing else lives in the data dir: it may be new.
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${randomUUID()}.tmp`;
  await fs.writeFile(tmp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o644, flag: "wx" });
  try {
    await fs.rename(tmp, file);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** Removes the run file if this process wrote it (another replica may have replaced it). */
export async function removeHubRunFile(dataDir: string): Promise<void> {
  const run = await readRunFile(dataDir);
  if (run?.pid === process.pid) await fs.rm(hubRunFilePath(dataDir), { force: true });
}

async function readRunFile(dataDir: string): Promise<HubRun | undefined> {
  try {
    const parsed = HubRun.safeParse(JSON.parse(await fs.readFile(hubRunFilePath(dataDir), "utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * The hub running on `dataDir`, from its run file; undefined when there is none, or when the
 * process that wrote it is gone (a hub that was killed leaves its file behind).
 */
export async function readHubRun(dataDir: string): Promise<HubRun | undefined> {
  const run = await readRunFile(dataDir);
  return run && isAlive(run.pid) ? run : undefined;
}

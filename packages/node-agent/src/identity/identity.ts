import fs from "node:fs/promises";
import { MaillageError } from "@maillage/schema";
import { z } from "zod";
import { identityFilePath } from "./files.ts";
import { type NodeKey, readNodeKey } from "./keys.ts";

/** Who this agent is at the hub: written once by `initAgent`, read at every start. */
export const NodeIdentity = z.object({
  nodeId: z.string().min(1),
  /** The fabrique's raw id (the one sync payloads use), not its Relay global id. */
  fabriqueId: z.string().min(1),
  fabriqueName: z.string(),
  hubUrl: z.string().url(),
  enrolledAt: z.string(),
});
export type NodeIdentity = z.infer<typeof NodeIdentity>;

export type NodeCredentials = { identity: NodeIdentity; key: NodeKey };

/** The node identity; undefined when the data dir was never enrolled. */
export async function readNodeIdentity(dataDir: string): Promise<NodeIdentity | undefined> {
  let text: string;
  try {
    text = await fs.readFile(identityFilePath(dataDir), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return NodeIdentity.parse(JSON.parse(text));
}

/** Identity and key of an enrolled agent; NOT_ENROLLED when init never completed here. */
export async function loadNodeCredentials(dataDir: string): Promise<NodeCredentials> {
  const identity = await readNodeIdentity(dataDir);
  const key = identity ? await readNodeKey(dataDir) : undefined;
  if (!identity || !key) {
    throw new MaillageError(
      "NOT_ENROLLED",
      `no node identity in ${dataDir}: run \`maillage agent init --hub URL --code CODE\` first`,
      { dataDir },
    );
  }
  return { identity, key };
}

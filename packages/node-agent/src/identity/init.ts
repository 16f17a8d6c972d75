import fs from "node:fs/promises";
import path from "node:path";
import { MaillageError, parseInput } from "@maillage/schema";
import { z } from "zod";
import { createHubClient, type FetchLike } from "../sync/hub-client.ts";
import { exists, identityFilePath, writeFileAtomically } from "./files.ts";
import { type NodeIdentity, readNodeIdentity } from "./identity.ts";
import { generateNodeKey, writeNodeKey } from "./keys.ts";

/** `maillage agent init` on a data dir that already holds a node identity. */
export class AlreadyEnrolledError extends Error {
  override name = "AlreadyEnrolledError";
  constructor(
    readonly dataDir: string,
    readonly nodeId: string,
  ) {
    super(
      `${dataDir} already holds node ${nodeId}; an agent enrols once. ` +
        "To replace this machine's identity, give init another --data-dir (and a new code).",
    );
  }
}

/** Another `init` is running on the same data dir. */
export class InitInProgressError extends Error {
  override name = "InitInProgressError";
  constructor(readonly dataDir: string) {
    super(`another \`maillage agent init\` is running on ${dataDir}`);
  }
}

const HubUrl = z
  .string()
  .trim()
  .url("the hub's URL, such as https://hub.maillage.example")
  .refine((url) => /^https?:\/\//i.test(url), "an http:// or https:// URL");
const EnrolmentCode = z.string().trim().min(8, "the one-time code the hub issued").max(64);

export type InitAgentOptions = {
  dataDir: string;
  hubUrl: string;
  code: string;
  fetch?: FetchLike | undefined;
};

/**
 * Enrols this agent with the hub: a new Ed25519 key pair, the one-time code and the public key
 * sent to the hub's `enrolNode`, then the key file (0600, in a 0700 directory) and the node
 * identity written. Nothing is written unless the hub accepted the code: a used or expired
 * code is a MaillageError ENROLMENT_CODE_INVALID, an unreachable hub HUB_UNREACHABLE.
 */
export async function initAgent(options: InitAgentOptions): Promise<NodeIdentity> {
  const hubUrl = parseInput(HubUrl, options.hubUrl);
  const code = parseInput(EnrolmentCode, options.code);
  const dataDir = path.resolve(options.dataDir);
  const existing = await readNodeIdentity(dataDir);
  if (existing) throw new AlreadyEnrolledError(dataDir, existing.nodeId);

  const createdDir = !(await exists(dataDir));
  // The data dir will hold the members' personal data and the private key: private.
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const lock = path.join(dataDir, "init.lock");
  try {
    await fs.writeFile(lock, String(process.pid), { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") throw new InitInProgressError(dataDir);
    throw error;
  }
  let enrolled = false;
  try {
    const { key, privateJwk } = await generateNodeKey();
    const hub = createHubClient({ hubUrl, fetch: options.fetch });
    const enrolment = await hub.enrolNode(code, key.publicJwk);
    enrolled = true;
    const identity: NodeIdentity = {
      nodeId: enrolment.nodeId,
      fabriqueId: enrolment.fabriqueId,
      fabriqueName: enrolment.fabriqueName,
      hubUrl,
      enrolledAt: new Date().toISOString(),
    };
    // The key first: an identity without its key would be useless. A key left without an
    // identity (a crash in between) is replaced by the next init.
    await writeNodeKey(dataDir, identity.nodeId, privateJwk);
    await writeFileAtomically(identityFilePath(dataDir), `${JSON.stringify(identity, null, 2)}\n`, {
      mode: 0o644,
      replace: false,
    });
    return identity;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      const winner = await readNodeIdentity(dataDir);
      throw new AlreadyEnrolledError(dataDir, winner?.nodeId ?? "?");
    }
    if (!enrolled && error instanceof Error && !(error instanceof MaillageError)) {
      throw new MaillageError("HUB_UNREACHABLE", `enrolment failed: ${error.message}`, undefined, {
        cause: error,
      });
    }
    throw error;
  } finally {
    await fs.rm(lock, { force: true });
    if (createdDir && !enrolled) await fs.rm(dataDir, { recursive: true, force: true });
  }
}

import { createHash, randomBytes, randomInt } from "node:crypto";
import { CredentialType, IdentityHash, MaillageError, parseInput } from "@maillage/schema";
import type { SqlSession } from "@maillage/storage";
import { decodeJwt } from "jose";
import { ulid } from "ulid";
import { z } from "zod";
import type { NodeKey } from "../../identity/keys.ts";
import type { ChangeLog } from "../../outbox/local-writer.ts";
import {
  type CredentialRecord,
  credentialPayloadOf,
  credentialRepository,
} from "../resources/credential.repository.ts";
import { credentialStatusRepository } from "./credential-status.repository.ts";
import { identityRepository } from "./identity.repository.ts";
import { openBadgeCredential, signVcJwt, statusListUrlOf } from "./open-badge.ts";
import { listLength, signStatusList } from "./status-list.ts";

/**
 * The one road by which this node issues and revokes credentials: the home team's grants
 * (credential.service.ts) and a training's attendance (the trainings module) both come here,
 * in the caller's transaction (a LocalWriter's: the local-write lock is held). Authorisation
 * is the caller's.
 * - `issue` draws the credential's index in this node's status list, signs its Open Badges 3.0
 *   credential (open-badge.ts) with the node's key, writes the owned row (for a member of ANY
 *   network: a training's organiser issues to other networks' members too) and appends its
 *   CREDENTIAL event, whose `vc` carries the signed credential to every node. The first issue,
 *   and any that makes the list longer, signs and sends the status list (STATUS_LIST).
 * - `revoke` deletes the row, appends the DELETE, sets the credential's bit, and signs and sends
 *   the status list again: a verifier holding an exported copy sees it revoked.
 * - `signAgain` signs an owned credential this node did not sign (granted before signing
 *   existed, or handed over from the node this one replaced) and sends it again.
 * - `identityHashOf` (at the member's home only) the member's salted, hashed name.
 */
export type CredentialIssuer = ReturnType<typeof createCredentialIssuer>;

export type IssueInput = {
  memberId: string;
  type: string;
  issuedAt: Date;
  expiresAt: Date | null;
  /** The training whose attendance issues it; null: granted by the home team. */
  trainingId: string | null;
  /** The member's hashed name as its home node made it (identityHashOf), or null. */
  identityHash: string | null;
  achievement: { name: string; description: string | null };
};

const Id = z.string().trim().min(1).max(64);
const IssueInputSchema = z
  .object({
    memberId: Id,
    type: CredentialType,
    issuedAt: z.date(),
    expiresAt: z.date().nullable(),
    trainingId: Id.nullable(),
    identityHash: IdentityHash.nullable(),
    achievement: z
      .object({
        name: z.string().trim().min(1).max(200),
        description: z.string().trim().max(2000).nullable(),
      })
      .strict(),
  })
  .strict()
  .refine((i) => i.expiresAt === null || i.expiresAt.getTime() > i.issuedAt.getTime(), {
    path: ["expiresAt"],
    message: "must be after issuedAt",
  });

/**
 * A name as it is hashed: Unicode NFC, trimmed, inner runs of white space as one space. Case is
 * kept (a verifier re-hashes the name exactly as the export shows it).
 */
export function normaliseName(name: string): string {
  return name.normalize("NFC").trim().replace(/\s+/gu, " ");
}

/**
 * Open Badges 3.0 IdentityObject.identityHash (type IdentityHash): "sha256$" + the lower-case
 * hex SHA-256 of the identifier followed by the salt ("Identifiers and salts MUST be encoded in
 * UTF-8 prior to hashing"). The salt goes in the member's export only (IdentityObject.salt).
 */
export function identityHash(name: string, salt: string): string {
  return `sha256$${createHash("sha256")
    .update(normaliseName(name) + salt, "utf8")
    .digest("hex")}`;
}

/** What a previous signature said of the member's hashed name and of the achievement. */
function previousClaims(vc: string | null): {
  identityHash: string | null;
  achievement: IssueInput["achievement"] | null;
} {
  if (vc === null) return { identityHash: null, achievement: null };
  try {
    const subject = decodeJwt(vc).credentialSubject as
      | {
          identifier?: { identityType?: string; identityHash?: string }[];
          achievement?: { name?: string; description?: string };
        }
      | undefined;
    const hash = subject?.identifier?.find((i) => i.identityType === "name")?.identityHash;
    const a = subject?.achievement;
    return {
      identityHash: IdentityHash.safeParse(hash).success ? (hash as string) : null,
      achievement:
        typeof a?.name === "string"
          ? { name: a.name, description: typeof a.description === "string" ? a.description : null }
          : null,
    };
  } catch {
    return { identityHash: null, achievement: null };
  }
}

export function createCredentialIssuer(deps: {
  nodeId: string;
  /** The fabrique's name: the issuer Profile's `name`. */
  issuerName: string;
  key: NodeKey;
  /** The hub's base URL: status lists are published there (`/credentials/status/<nodeId>`). */
  hubUrl: string;
  now?: (() => Date) | undefined;
}) {
  const { nodeId, key } = deps;
  const now = deps.now ?? (() => new Date());
  const listUrl = statusListUrlOf(deps.hubUrl, nodeId);
  const signer = { nodeId, privateKey: key.privateKey };

  /** A free index at random in the list as long as it must be with one more entry. */
  async function drawIndex(tx: SqlSession, credentialId: string) {
    const before = await credentialStatusRepository.countEntries(tx);
    const length = listLength(before + 1);
    for (let attempt = 0; attempt < 64; attempt++) {
      const index = randomInt(length);
      if (await credentialStatusRepository.claimIndex(tx, index, credentialId)) {
        return { index, grew: length !== listLength(before) };
      }
    }
    // At most half the list is used: 64 misses in a row has odds below 2^-64.
    throw new Error("no free status list index found");
  }

  /** Signs this node's status list as it stands, stores it, and sends it (STATUS_LIST). */
  async function publishStatusList(tx: SqlSession, changes: ChangeLog): Promise<void> {
    const at = now();
    const vc = await signStatusList({
      nodeId,
      privateKey: key.privateKey,
      listUrl,
      length: listLength(await credentialStatusRepository.countEntries(tx)),
      revoked: await credentialStatusRepository.revokedIndexes(tx),
      at,
    });
    await credentialStatusRepository.saveOwnList(tx, nodeId, vc, at);
    await changes.append({
      entity: "STATUS_LIST",
      entityId: nodeId,
      op: "UPSERT",
      payload: { vc, updatedAt: at.toISOString() },
    });
  }

  /**
   * The member's hashed name (Open Badges IdentityHash), at its home node: made with a salt
   * kept here only (created the first time). Null when the member has no name. NOT_FOUND
   * for a member not homed here: only the home node knows a name.
   */
  async function identityHashOf(tx: SqlSession, memberId: string): Promise<string | null> {
    const member = await identityRepository.findHomeMemberForUpdate(tx, memberId);
    if (!member) {
      throw new MaillageError("NOT_FOUND", `no member ${memberId} homed here`, {
        field: "memberId",
      });
    }
    if (member.displayName === null || normaliseName(member.displayName) === "") return null;
    const salt =
      member.salt ??
      (await identityRepository.setSalt(tx, memberId, randomBytes(16).toString("hex")));
    return identityHash(member.displayName, salt);
  }

  /** Its status entry (an index drawn, or the one it has) and its signed credential. */
  async function sign(
    tx: SqlSession,
    credentialId: string,
    facts: Omit<IssueInput, "achievement"> & { achievement: IssueInput["achievement"] },
  ): Promise<{ vc: string; grew: boolean }> {
    const existing = await credentialStatusRepository.indexOf(tx, credentialId);
    const { index, grew } =
      existing === undefined ? await drawIndex(tx, credentialId) : { index: existing, grew: false };
    const vc = await signVcJwt(
      openBadgeCredential({
        credentialId,
        issuer: { nodeId, name: deps.issuerName },
        memberId: facts.memberId,
        type: facts.type,
        issuedAt: facts.issuedAt,
        expiresAt: facts.expiresAt,
        trainingId: facts.trainingId,
        identityHash: facts.identityHash,
        achievement: facts.achievement,
        status: { listUrl, index },
      }),
      signer,
    );
    return { vc, grew };
  }

  return {
    /** This node's status list URL (what its credentials' credentialStatus names). */
    statusListUrl: listUrl,

    /**
     * Issues a credential: status index, signed Open Badges credential, owned row, CREDENTIAL
     * event (and STATUS_LIST when the list is new or grew), in the caller's transaction.
     */
    async issue(tx: SqlSession, changes: ChangeLog, raw: IssueInput): Promise<CredentialRecord> {
      const input = parseInput(IssueInputSchema, raw);
      const id = ulid();
      const { vc, grew } = await sign(tx, id, input);
      const credential = await credentialRepository.insertOwned(
        tx,
        {
          id,
          memberId: input.memberId,
          type: input.type,
          issuedAt: input.issuedAt,
          expiresAt: input.expiresAt,
          trainingId: input.trainingId,
          vc,
        },
        nodeId,
      );
      await changes.append({
        entity: "CREDENTIAL",
        entityId: credential.id,
        op: "UPSERT",
        payload: credentialPayloadOf(credential),
      });
      if (grew || !(await credentialStatusRepository.findList(tx, nodeId))) {
        await publishStatusList(tx, changes);
      }
      return credential;
    },

    /**
     * Signs again an owned credential this node has not signed: granted before signing
     * existed, or handed over from the node this one replaced (that node's key is withdrawn,
     * so its signature no longer verifies). What the old signature said of the member's hashed
     * name and of the achievement is kept; a member homed here gets its hash made here.
     * Sends the CREDENTIAL again (its new vc) and, if needed, the status list.
     */
    async signAgain(
      tx: SqlSession,
      changes: ChangeLog,
      credential: CredentialRecord,
    ): Promise<CredentialRecord> {
      const previous = previousClaims(credential.vc);
      const home = await identityRepository.findHomeMember(tx, credential.memberId);
      const { vc, grew } = await sign(tx, credential.id, {
        memberId: credential.memberId,
        type: credential.type,
        issuedAt: credential.issuedAt,
        expiresAt: credential.expiresAt,
        trainingId: credential.trainingId,
        identityHash: home ? await identityHashOf(tx, credential.memberId) : previous.identityHash,
        achievement: previous.achievement ?? { name: credential.type, description: null },
      });
      await credentialRepository.setSignature(tx, credential.id, vc, nodeId);
      const signed = { ...credential, vc };
      await changes.append({
        entity: "CREDENTIAL",
        entityId: credential.id,
        op: "UPSERT",
        payload: credentialPayloadOf(signed),
      });
      if (grew || !(await credentialStatusRepository.findList(tx, nodeId))) {
        await publishStatusList(tx, changes);
      }
      return signed;
    },

    /**
     * Revokes a credential this node issued: its row goes, its DELETE travels. NOT_FOUND for
     * an unknown one, FORBIDDEN for one another node issued (that node revokes it).
     */
    async revoke(
      tx: SqlSession,
      changes: ChangeLog,
      credentialId: string,
    ): Promise<CredentialRecord> {
      const credential = await credentialRepository.find(tx, credentialId);
      if (!credential) {
        throw new MaillageError("NOT_FOUND", `no credential ${credentialId}`, { id: credentialId });
      }
      if (!credential.owned) {
        throw new MaillageError(
          "FORBIDDEN",
          "this credential was issued by another node: it is revoked there",
          { id: credentialId },
        );
      }
      await credentialRepository.deleteOwned(tx, credentialId);
      await changes.append({
        entity: "CREDENTIAL",
        entityId: credentialId,
        op: "DELETE",
        payload: null,
      });
      // Its bit set, the list re-signed and sent; one issued before lists existed has none.
      const index = await credentialStatusRepository.markRevoked(tx, credentialId, now());
      if (index !== undefined) await publishStatusList(tx, changes);
      return credential;
    },

    identityHashOf,
  };
}

import { createHash, randomBytes } from "node:crypto";
import { CredentialType, MaillageError, parseInput } from "@maillage/schema";
import type { SqlSession } from "@maillage/storage";
import { ulid } from "ulid";
import { z } from "zod";
import type { ChangeLog } from "../../outbox/local-writer.ts";
import {
  type CredentialRecord,
  credentialPayloadOf,
  credentialRepository,
} from "../resources/credential.repository.ts";
import { identityRepository } from "./identity.repository.ts";

/**
 * The one road by which this node issues and revokes credentials: the home team's grants
 * (credential.service.ts) and a training's attendance (the trainings module) both come here.
 * `issue` writes the owned credential row (for a member of ANY network: a training's organiser
 * issues to other networks' members too) and appends its CREDENTIAL event, in the caller's
 * transaction; `revoke` deletes it and appends the DELETE. Authorisation is the caller's.
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
    identityHash: z
      .string()
      .regex(/^sha256\$[0-9a-f]{64}$/)
      .nullable(),
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
 * Open Badges 3.0 §B.1.x IdentityHash: "sha256$" + the lower-case hex SHA-256 of the identifier
 * followed by the salt, both UTF-8.
 */
export function identityHash(name: string, salt: string): string {
  return `sha256$${createHash("sha256")
    .update(normaliseName(name) + salt, "utf8")
    .digest("hex")}`;
}

export function createCredentialIssuer(_deps: { nodeId: string }) {
  return {
    /** Writes the owned credential and appends its CREDENTIAL event (caller's transaction). */
    async issue(tx: SqlSession, changes: ChangeLog, raw: IssueInput): Promise<CredentialRecord> {
      const input = parseInput(IssueInputSchema, raw);
      const credential = await credentialRepository.insertOwned(tx, {
        id: ulid(),
        memberId: input.memberId,
        type: input.type,
        issuedAt: input.issuedAt,
        expiresAt: input.expiresAt,
        trainingId: input.trainingId,
        vc: null,
      });
      await changes.append({
        entity: "CREDENTIAL",
        entityId: credential.id,
        op: "UPSERT",
        payload: credentialPayloadOf(credential),
      });
      return credential;
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
      return credential;
    },

    /**
     * The member's hashed name (Open Badges IdentityHash), at its home node: made with a salt
     * kept here only (created the first time). Null when the member has no name. NOT_FOUND
     * for a member not homed here: only the home node knows a name.
     */
    async identityHashOf(tx: SqlSession, memberId: string): Promise<string | null> {
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
    },
  };
}

import { CredentialType, MaillageError, parseInput } from "@maillage/schema";
import type { SqlStore } from "@maillage/storage";
import { z } from "zod";
import type { Viewer } from "../../context.ts";
import type { LocalWriter } from "../../outbox/local-writer.ts";
import type { CredentialIssuer } from "../credentials/issuer.ts";
import { memberRepository } from "../members/member.repository.ts";
import { type CredentialRecord, credentialRepository } from "./credential.repository.ts";

/**
 * Credentials (issue 5, point 6): the fabrique's team grants them to members homed in this
 * network (NOT_FOUND for an unknown member, FORBIDDEN for another network's: their home node
 * grants them) and revokes them, through the node's issuer (credentials/issuer.ts: the signed
 * Open Badges credential, its status entry, the CREDENTIAL event or its DELETE), so every owner
 * can check them before a booking. Credentials of other networks' members arrive
 * by the pull and are only read here (revoking one is FORBIDDEN).
 */
export type CredentialService = ReturnType<typeof createCredentialService>;

const GrantInput = z
  .object({
    memberId: z.string().trim().min(1).max(64),
    type: CredentialType,
    expiresAt: z.date().nullish(),
  })
  .strict();

function assertTeam(viewer: Viewer) {
  if (viewer.role !== "FABRIQUE_ADMIN") {
    throw new MaillageError("FORBIDDEN", "the fabrique's team manages credentials");
  }
}

export function createCredentialService(deps: {
  store: SqlStore;
  writer: LocalWriter;
  issuer: CredentialIssuer;
  now?: (() => Date) | undefined;
}) {
  const { store, writer, issuer } = deps;
  const now = deps.now ?? (() => new Date());

  return {
    /** A member's credentials (granted here or replicated): the team, or the member itself. */
    async ofMember(viewer: Viewer, memberId: string): Promise<CredentialRecord[]> {
      if (!(viewer.role === "FABRIQUE_ADMIN" || viewer.memberId === memberId)) {
        throw new MaillageError("FORBIDDEN", "a member sees its own credentials only");
      }
      return credentialRepository.ofMember(store, memberId);
    },

    async grant(viewer: Viewer, raw: unknown): Promise<CredentialRecord> {
      assertTeam(viewer);
      const input = parseInput(GrantInput, raw);
      const issuedAt = now();
      if (input.expiresAt && input.expiresAt.getTime() <= issuedAt.getTime()) {
        throw new MaillageError("BAD_USER_INPUT", "expiresAt: must be in the future", {
          field: "expiresAt",
        });
      }
      return writer.write(async (tx, changes) => {
        const member = await memberRepository.find(tx, input.memberId);
        if (!member) {
          throw new MaillageError("NOT_FOUND", `no member ${input.memberId}`, {
            field: "memberId",
          });
        }
        if (!member.owned) {
          throw new MaillageError(
            "FORBIDDEN",
            "this member is homed in another network: its home node grants its credentials",
            { field: "memberId" },
          );
        }
        return issuer.issue(tx, changes, {
          memberId: member.id,
          type: input.type,
          issuedAt,
          expiresAt: input.expiresAt ?? null,
          trainingId: null,
          identityHash: await issuer.identityHashOf(tx, member.id),
          achievement: { name: input.type, description: null },
        });
      });
    },

    /**
     * Signs the owned credentials this node has not signed (granted before signing existed,
     * or handed over from the node it replaced), a batch per transaction; how many. Runs at
     * start and with the decider's minute.
     */
    async signUnsigned(batch = 50): Promise<number> {
      let signed = 0;
      for (;;) {
        const done = await writer.write(async (tx, changes) => {
          const pending = await credentialRepository.ownedUnsigned(tx, batch);
          for (const credential of pending) await issuer.signAgain(tx, changes, credential);
          return pending.length;
        });
        signed += done;
        if (done < batch) return signed;
      }
    },

    async revoke(viewer: Viewer, id: string): Promise<CredentialRecord> {
      assertTeam(viewer);
      return writer.write((tx, changes) => issuer.revoke(tx, changes, id));
    },
  };
}

import { MaillageError, parseInput } from "@maillage/schema";
import type { SqlSession, SqlStore } from "@maillage/storage";
import { ulid } from "ulid";
import { z } from "zod";
import type { Viewer } from "../../context.ts";
import type { ChangeLog, LocalWriter } from "../../outbox/local-writer.ts";
import type { CredentialIssuer } from "../credentials/issuer.ts";
import { credentialRepository } from "../resources/credential.repository.ts";
import { spaceRepository } from "../spaces/space.repository.ts";
import { type MemberRecord, memberRepository } from "./member.repository.ts";
import { memberDataRepository } from "./member-data.repository.ts";

/**
 * Members whose home is a space of this fabrique's network. Their personal data (display
 * name, email, phone) lives in this agent only: the events carry the pseudonymous id and the
 * home space, nothing else (MemberPayload is strict), and a change of personal data alone
 * emits no event at all. Erasure deletes the row and emits a DELETE tombstone.
 *
 * Who: the fabrique's team for every member of the network; a satellite for the members of
 * its own space (it cannot register or move members elsewhere); a member reads its own record.
 *
 * Rights (GDPR arts. 15 and 17, docs/mobility.md): the member or its home team exports
 * everything this node holds about the member; erasure at home revokes the member's passes
 * (ERASED, sent) and the credentials this node issued (status bit set, list re-signed, DELETE
 * sent), anonymises its visits, deletes its disclosures, and sends the MEMBER tombstone, on
 * which every other node does its part (member-sync.ts) in the same pull; an organiser's
 * credentials are revoked right after (settleErasures).
 */
export type MemberService = ReturnType<typeof createMemberService>;

const DisplayName = z.string().trim().min(1, "at least 1 character").max(120);
const Email = z.string().trim().toLowerCase().pipe(z.email("an email address")).nullable();
const Phone = z
  .string()
  .trim()
  .regex(/^\+?[0-9][0-9 .()-]{4,24}$/, "a phone number such as +33 4 75 00 00 00")
  .nullable();

const ShortText = z.string().trim().min(1, "at least 1 character").max(120).nullable();

export const RegisterMemberInput = z.object({
  homeSpaceId: z.string().trim().min(1),
  displayName: DisplayName,
  email: Email.default(null),
  phone: Phone.default(null),
  /** What a pass may disclose besides email and phone (docs/mobility.md). */
  firstName: ShortText.default(null),
  organisation: ShortText.default(null),
});

export const UpdateMemberInput = z.object({
  homeSpaceId: z.string().trim().min(1).optional(),
  displayName: DisplayName.optional(),
  /** null clears it. */
  email: Email.optional(),
  phone: Phone.optional(),
  firstName: ShortText.optional(),
  organisation: ShortText.optional(),
});

export function canSeeMember(viewer: Viewer, member: Pick<MemberRecord, "id" | "homeSpaceId">) {
  if (viewer.role === "FABRIQUE_ADMIN") return true;
  if (viewer.role === "SATELLITE") return viewer.spaceId === member.homeSpaceId;
  return viewer.memberId === member.id;
}

/** What an erasure asks of the mobility module at home: the member's active pass revoked. */
export type RevokePassesOnErasure = (
  tx: SqlSession,
  changes: ChangeLog,
  memberId: string,
) => Promise<unknown>;

/** How many pulled erasures one settleErasures pass handles. */
const ERASURE_BATCH = 50;

export function createMemberService(deps: {
  store: SqlStore;
  writer: LocalWriter;
  fabriqueId: string;
  /** Revokes (status bit) the credentials this node issued. */
  issuer: Pick<CredentialIssuer, "revoke">;
  /** Revokes the member's pass (ERASED) and sends it; the mobility module's. */
  revokePasses: RevokePassesOnErasure;
  /**
   * After a change of the member's personal fields or home: re-issues its pass when what the
   * pass carries no longer matches (the mobility module's; absent: nothing to do).
   */
  refreshPass?: RevokePassesOnErasure;
  now?: (() => Date) | undefined;
}) {
  const { store, writer, fabriqueId, issuer } = deps;
  const now = deps.now ?? (() => new Date());

  /** The caller may manage members of this space (a satellite: its own only). */
  function assertMayManageIn(viewer: Viewer, spaceId: string) {
    if (viewer.role === "FABRIQUE_ADMIN") return;
    if (viewer.role === "SATELLITE" && viewer.spaceId === spaceId) return;
    throw new MaillageError(
      "FORBIDDEN",
      viewer.role === "SATELLITE"
        ? "a satellite manages the members of its own space only"
        : "only the fabrique's team or the member's space manage members",
    );
  }

  /** A home must be an open space of this network: the fabrique or a satellite it owns. */
  async function assertHome(db: SqlSession, spaceId: string) {
    const space = await spaceRepository.find(db, spaceId);
    const ours =
      spaceId === fabriqueId ||
      (space?.owned === true && space.kind === "SATELLITE" && space.fabriqueId === fabriqueId);
    if (!ours) {
      throw new MaillageError("NOT_FOUND", `no space ${spaceId} in this network`, {
        id: spaceId,
      });
    }
    if (space?.status === "CLOSED") {
      throw new MaillageError("SPACE_CLOSED", "the space is closed", { id: spaceId });
    }
  }

  async function loadManaged(db: SqlSession, viewer: Viewer, id: string): Promise<MemberRecord> {
    const member = await memberRepository.find(db, id);
    if (!member || !canSeeMember(viewer, member)) {
      throw new MaillageError("NOT_FOUND", `no member ${id}`, { id });
    }
    assertMayManageIn(viewer, member.homeSpaceId);
    if (!member.owned) {
      throw new MaillageError("FORBIDDEN", "this member's home is another node", { id });
    }
    return member;
  }

  return {
    async ofSpace(viewer: Viewer, spaceId: string): Promise<MemberRecord[]> {
      if (viewer.role === "MEMBER") {
        throw new MaillageError("FORBIDDEN", "a member reads its own record only");
      }
      assertMayManageIn(viewer, spaceId);
      return memberRepository.ofSpace(store, spaceId);
    },

    /** Null when absent or not visible to the caller. */
    async find(viewer: Viewer, id: string): Promise<MemberRecord | null> {
      const member = await memberRepository.find(store, id);
      return member && canSeeMember(viewer, member) ? member : null;
    },

    async register(viewer: Viewer, raw: unknown): Promise<MemberRecord> {
      const input = parseInput(RegisterMemberInput, raw);
      assertMayManageIn(viewer, input.homeSpaceId);
      return writer.write(async (tx, changes) => {
        await assertHome(tx, input.homeSpaceId);
        const member = await memberRepository.insertOwned(tx, { id: ulid(), ...input });
        await changes.append({
          entity: "MEMBER",
          entityId: member.id,
          op: "UPSERT",
          payload: { homeSpaceId: member.homeSpaceId },
        });
        return member;
      });
    },

    async update(viewer: Viewer, id: string, raw: unknown): Promise<MemberRecord> {
      const input = parseInput(UpdateMemberInput, raw);
      return writer.write(async (tx, changes) => {
        const member = await loadManaged(tx, viewer, id);
        const homeSpaceId = input.homeSpaceId ?? member.homeSpaceId;
        if (homeSpaceId !== member.homeSpaceId) {
          assertMayManageIn(viewer, homeSpaceId);
          await assertHome(tx, homeSpaceId);
        }
        const updated = await memberRepository.updateOwned(tx, id, {
          homeSpaceId,
          displayName: input.displayName ?? member.displayName,
          email: input.email === undefined ? member.email : input.email,
          phone: input.phone === undefined ? member.phone : input.phone,
          firstName: input.firstName === undefined ? member.firstName : input.firstName,
          organisation: input.organisation === undefined ? member.organisation : input.organisation,
        });
        // Personal data stays here: only a new home is news for the network.
        if (homeSpaceId !== member.homeSpaceId) {
          await changes.append({
            entity: "MEMBER",
            entityId: id,
            op: "UPSERT",
            payload: { homeSpaceId },
          });
        }
        // A pass never shows a field's old value nor an old home.
        await deps.refreshPass?.(tx, changes, id);
        return updated;
      });
    },

    /**
     * Right of access: everything this node holds about a member homed here, as JSON text:
     * its record and consent, passes, visits, disclosures, bookings, booking requests,
     * enrolments, credentials. The member itself or its home team (a satellite: its own
     * space's members); FORBIDDEN for anyone else; NOT_FOUND for a member not homed here.
     */
    async dataExport(viewer: Viewer, id: string): Promise<string> {
      const member = await memberRepository.find(store, id);
      if (viewer.role === "MEMBER" && viewer.memberId !== id) {
        throw new MaillageError("FORBIDDEN", "a member exports its own data only");
      }
      if (member && !canSeeMember(viewer, member)) {
        throw new MaillageError("FORBIDDEN", "the member's home team or the member exports it");
      }
      if (!member?.owned) {
        throw new MaillageError("NOT_FOUND", `no member ${id} homed here`, { id });
      }
      return store.transaction(async (tx) => {
        const record = await memberDataRepository.memberRow(tx, id);
        const held = await memberDataRepository.heldAbout(tx, id);
        return JSON.stringify({
          exportedAt: now().toISOString(),
          fabriqueId,
          member: record ?? null,
          consent: (record?.pass_consent as string[] | undefined) ?? [],
          ...held,
        });
      });
    },

    /**
     * Erasure at home, in one transaction: the member's pass revoked (ERASED, sent) and the
     * signed passes stripped; the credentials this node issued revoked (status bit, signed
     * list, DELETE sent) and the replicas of others' deleted; visits anonymised; disclosures
     * deleted; the record deleted and its tombstone sent to every replica.
     */
    async erase(viewer: Viewer, id: string): Promise<string> {
      return writer.write(async (tx, changes) => {
        await loadManaged(tx, viewer, id);
        await deps.revokePasses(tx, changes, id);
        await memberDataRepository.stripOwnedPasses(tx, id);
        for (const credentialId of await memberDataRepository.ownedCredentialIds(tx, id)) {
          await issuer.revoke(tx, changes, credentialId);
        }
        await credentialRepository.deleteReplicasOfMember(tx, id);
        await memberDataRepository.anonymiseVisits(tx, id);
        await memberDataRepository.deleteDisclosures(tx, id);
        await memberRepository.deleteOwned(tx, id);
        await changes.append({ entity: "MEMBER", entityId: id, op: "DELETE", payload: null });
        return id;
      });
    },

    /**
     * Pulled erasures of other nodes' members this node issued credentials to (a training's
     * organiser): each such credential revoked (status bit set, list re-signed, DELETE sent),
     * then the erasure forgotten. Runs after each pull, at start and every minute. The count.
     */
    async settleErasures(): Promise<number> {
      let settled = 0;
      for (;;) {
        const batch = await memberDataRepository.pendingErasures(store, ERASURE_BATCH);
        for (const memberId of batch) {
          await writer.write(async (tx, changes) => {
            for (const credentialId of await memberDataRepository.ownedCredentialIds(
              tx,
              memberId,
            )) {
              await issuer.revoke(tx, changes, credentialId);
            }
            await memberDataRepository.erasureDone(tx, memberId);
          });
          settled += 1;
        }
        if (batch.length < ERASURE_BATCH) return settled;
      }
    },
  };
}

import { MaillageError, parseInput } from "@maillage/schema";
import type { SqlSession, SqlStore } from "@maillage/storage";
import { ulid } from "ulid";
import { z } from "zod";
import type { Viewer } from "../../context.ts";
import type { LocalWriter } from "../../outbox/local-writer.ts";
import { credentialRepository } from "../resources/credential.repository.ts";
import { spaceRepository } from "../spaces/space.repository.ts";
import { type MemberRecord, memberRepository } from "./member.repository.ts";

/**
 * Members whose home is a space of this fabrique's network. Their personal data (display
 * name, email, phone) lives in this agent only: the events carry the pseudonymous id and the
 * home space, nothing else (MemberPayload is strict), and a change of personal data alone
 * emits no event at all. Erasure deletes the row and emits a DELETE tombstone.
 *
 * Who: the fabrique's team for every member of the network; a satellite for the members of
 * its own space (it cannot register or move members elsewhere); a member reads its own record.
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

export function createMemberService(deps: {
  store: SqlStore;
  writer: LocalWriter;
  fabriqueId: string;
}) {
  const { store, writer, fabriqueId } = deps;

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
        return updated;
      });
    },

    /**
     * Deletes the member's personal data here and sends a tombstone to every replica; the
     * credentials granted to the member go too (a CREDENTIAL DELETE each), in one transaction.
     */
    async erase(viewer: Viewer, id: string): Promise<string> {
      return writer.write(async (tx, changes) => {
        await loadManaged(tx, viewer, id);
        for (const credentialId of await credentialRepository.deleteOwnedOfMember(tx, id)) {
          await changes.append({
            entity: "CREDENTIAL",
            entityId: credentialId,
            op: "DELETE",
            payload: null,
          });
        }
        await memberRepository.deleteOwned(tx, id);
        await changes.append({ entity: "MEMBER", entityId: id, op: "DELETE", payload: null });
        return id;
      });
    },
  };
}

import {
  CONSENT_FIELDS,
  type ConsentField,
  MaillageError,
  type PassRevocationReason,
  parseInput,
} from "@maillage/schema";
import type { SqlSession, SqlStore } from "@maillage/storage";
import { ulid } from "ulid";
import { z } from "zod";
import type { Viewer } from "../../context.ts";
import type { NodeKey } from "../../identity/keys.ts";
import type { ChangeLog, LocalWriter } from "../../outbox/local-writer.ts";
import { spaceRepository } from "../spaces/space.repository.ts";
import { renderCard, renderQr } from "./card.ts";
import { mobilityRepository, type PassRecord, passPayloadOf } from "./mobility.repository.ts";
import { disclosedValue, issueSdJwt, parseIssued, present } from "./sd-jwt.ts";
import { formatShortCode, newShortCode, shortCodeHash } from "./short-code.ts";

/**
 * The member's pass, at its home node (docs/mobility.md):
 * - consent, field by field, set by the member only (MEMBER token); default none. A change
 *   re-issues the pass (the old one REVOKED with REPLACED), so a pass never carries a field the
 *   member no longer agrees to show;
 * - issue/renew (the member or its home team): a new SD-JWT VC signed with this node's key,
 *   carrying as disclosures exactly the consented fields the member has, and a new short code;
 *   the PASS event (nothing personal: validity, status and the short code's hash) goes to every
 *   node;
 * - presentation: the compact SD-JWT with the disclosures the member chooses among those the
 *   pass carries (default none), its QR (SVG, PNG), the printable card, the short code;
 * - revocation by the home team (LOST, LEFT) or the member (LOST).
 */
export type PassService = ReturnType<typeof createPassService>;

export type PassView = PassRecord & { consent: ConsentField[] };

export type Presentation = {
  passId: string;
  sdJwt: string;
  disclosed: ConsentField[];
  qrSvg: string;
  qrPngBase64: string;
};

const Id = z.string().trim().min(1).max(64);
const ConsentInput = z
  .object({ memberId: Id, fields: z.array(z.enum(CONSENT_FIELDS)).max(CONSENT_FIELDS.length) })
  .strict();

const DAY_MS = 86_400_000;

export function createPassService(deps: {
  store: SqlStore;
  writer: LocalWriter;
  nodeId: string;
  key: NodeKey;
  fabriqueId: string;
  validityDays: number;
  now?: (() => Date) | undefined;
}) {
  const { store, writer } = deps;
  const now = deps.now ?? (() => new Date());

  /** The member must be homed here; the member itself or its home team (by role). */
  async function holderFor(db: SqlSession, viewer: Viewer, memberId: string) {
    const holder = await mobilityRepository.findHolder(db, memberId);
    const visible =
      holder !== undefined &&
      (viewer.role === "FABRIQUE_ADMIN" ||
        (viewer.role === "SATELLITE" && viewer.spaceId === holder.homeSpaceId) ||
        (viewer.role === "MEMBER" && viewer.memberId === memberId));
    if (!holder || !visible) {
      throw new MaillageError("NOT_FOUND", `no member ${memberId} homed here`, {
        field: "memberId",
      });
    }
    return holder;
  }

  /** Signs and stores a new pass for the member (its active one, if any, REPLACED first). */
  async function issueFor(
    tx: SqlSession,
    changes: ChangeLog,
    memberId: string,
  ): Promise<PassRecord> {
    const holder = await mobilityRepository.findHolder(tx, memberId);
    if (!holder) throw new MaillageError("NOT_FOUND", `no member ${memberId} homed here`);
    const previous = await mobilityRepository.activeOwnedPass(tx, memberId, { forUpdate: true });
    if (previous) await revokeIn(tx, changes, previous, "REPLACED");
    const fields: Partial<Record<ConsentField, string>> = {};
    for (const field of holder.consent) {
      const value = holder.fields[field];
      if (value !== null && value !== "") fields[field] = value;
    }
    const id = ulid();
    const issuedAt = now();
    const validFrom = new Date(Math.floor(issuedAt.getTime() / 1000) * 1000);
    const validUntil = new Date(validFrom.getTime() + deps.validityDays * DAY_MS);
    const issued = await issueSdJwt(
      {
        passId: id,
        nodeId: deps.nodeId,
        memberId,
        homeSpaceId: holder.homeSpaceId,
        validFrom,
        validUntil,
        issuedAt,
      },
      fields,
      deps.key.privateKey,
    );
    const shortCode = newShortCode();
    const pass = await mobilityRepository.insertOwnedPass(tx, {
      id,
      memberId,
      homeSpaceId: holder.homeSpaceId,
      validFrom,
      validUntil,
      shortCodeHash: shortCodeHash(shortCode),
      // The full SD-JWT: every disclosure, the member picks among them at each presentation.
      sdJwt: present(issued, CONSENT_FIELDS),
      shortCode,
    });
    await changes.append({
      entity: "PASS",
      entityId: id,
      op: "UPSERT",
      payload: passPayloadOf(pass),
    });
    return pass;
  }

  async function revokeIn(
    tx: SqlSession,
    changes: ChangeLog,
    pass: PassRecord,
    reason: PassRevocationReason,
  ): Promise<PassRecord> {
    const revoked = await mobilityRepository.revokeOwnedPass(tx, pass.id, reason);
    await changes.append({
      entity: "PASS",
      entityId: pass.id,
      op: "UPSERT",
      payload: passPayloadOf(revoked),
    });
    return revoked;
  }

  async function view(db: SqlSession, pass: PassRecord): Promise<PassView> {
    const holder = await mobilityRepository.findHolder(db, pass.memberId);
    return { ...pass, consent: holder?.consent ?? [] };
  }

  return {
    /** The member's current (active) pass at home, or null; the member or its home team. */
    async current(viewer: Viewer, memberId: string): Promise<PassView | null> {
      await holderFor(store, viewer, memberId);
      const pass = await mobilityRepository.activeOwnedPass(store, memberId);
      return pass ? view(store, pass) : null;
    },

    /** The member's passes, newest first (revoked ones too). */
    async history(viewer: Viewer, memberId: string): Promise<PassView[]> {
      const holder = await holderFor(store, viewer, memberId);
      const passes = await mobilityRepository.passesOf(store, memberId);
      return passes.filter((p) => p.owned).map((p) => ({ ...p, consent: holder.consent }));
    },

    async consentOf(viewer: Viewer, memberId: string): Promise<ConsentField[]> {
      return (await holderFor(store, viewer, memberId)).consent;
    },

    /**
     * The member's consent (the member only); a change re-issues the pass when it has one or
     * when consent is given for the first time. Answers the member's active pass.
     */
    async setConsent(
      viewer: Viewer,
      raw: { memberId: string; fields: ConsentField[] },
    ): Promise<PassView | null> {
      const input = parseInput(ConsentInput, raw);
      if (viewer.role !== "MEMBER" || viewer.memberId !== input.memberId) {
        throw new MaillageError("FORBIDDEN", "only the member sets what its pass may show");
      }
      const fields = CONSENT_FIELDS.filter((f) => input.fields.includes(f));
      return writer.write(async (tx, changes) => {
        const holder = await holderFor(tx, viewer, input.memberId);
        const same =
          holder.consent.length === fields.length &&
          fields.every((f) => holder.consent.includes(f));
        const active = await mobilityRepository.activeOwnedPass(tx, input.memberId, {
          forUpdate: true,
        });
        if (same) return active ? view(tx, active) : null;
        await mobilityRepository.setConsent(tx, input.memberId, [...fields]);
        const pass = await issueFor(tx, changes, input.memberId);
        return view(tx, pass);
      });
    },

    /** A new pass (the first, or a renewal: the active one is REPLACED): the member or its team. */
    async renew(viewer: Viewer, memberId: string): Promise<PassView> {
      return writer.write(async (tx, changes) => {
        await holderFor(tx, viewer, memberId);
        return view(tx, await issueFor(tx, changes, memberId));
      });
    },

    /**
     * Revokes a pass issued here: the home team (LOST, LEFT) or the member itself (LOST).
     * ERASED and REPLACED are the system's (erasure, re-issue). NOT_FOUND for a pass not
     * issued here or not visible; INVALID_TRANSITION when already revoked.
     */
    async revoke(viewer: Viewer, passId: string, reason: PassRevocationReason): Promise<PassView> {
      return writer.write(async (tx, changes) => {
        const pass = await mobilityRepository.findPass(tx, passId);
        if (!pass?.owned) throw new MaillageError("NOT_FOUND", `no pass ${passId} issued here`);
        await holderFor(tx, viewer, pass.memberId);
        const allowed: PassRevocationReason[] =
          viewer.role === "MEMBER" ? ["LOST"] : ["LOST", "LEFT"];
        if (!allowed.includes(reason)) {
          throw new MaillageError("FORBIDDEN", `${viewer.role} cannot revoke a pass as ${reason}`, {
            field: "reason",
          });
        }
        if (pass.status === "REVOKED") {
          throw new MaillageError("INVALID_TRANSITION", "the pass is already revoked");
        }
        return view(tx, await revokeIn(tx, changes, pass, reason));
      });
    },

    /**
     * After the member's record changed (members module, caller's transaction): when the active
     * pass no longer carries exactly the consented fields' current values, or names an old
     * home, a new pass replaces it (REPLACED). Answers the new pass, or null when none was due.
     */
    async refreshIn(
      tx: SqlSession,
      changes: ChangeLog,
      memberId: string,
    ): Promise<PassRecord | null> {
      const active = await mobilityRepository.activeOwnedPass(tx, memberId, { forUpdate: true });
      const holder = await mobilityRepository.findHolder(tx, memberId);
      if (!active?.sdJwt || !holder) return null;
      const carried = parseIssued(active.sdJwt).disclosures;
      const stale =
        active.homeSpaceId !== holder.homeSpaceId ||
        CONSENT_FIELDS.some((field) => {
          const value = holder.consent.includes(field) ? holder.fields[field] || null : null;
          const shown = carried[field];
          return (shown === undefined ? null : disclosedValue(shown)) !== value;
        });
      return stale ? issueFor(tx, changes, memberId) : null;
    },

    /** Revokes the member's active pass in the caller's transaction (erasure: ERASED). */
    async revokeActiveIn(
      tx: SqlSession,
      changes: ChangeLog,
      memberId: string,
      reason: PassRevocationReason,
    ): Promise<PassRecord | null> {
      const active = await mobilityRepository.activeOwnedPass(tx, memberId, { forUpdate: true });
      return active ? revokeIn(tx, changes, active, reason) : null;
    },

    /**
     * The compact SD-JWT showing `disclose` (the member's choice, default none) among the
     * fields the pass carries, and its QR. The member only: a presentation is the member's act.
     */
    async presentation(
      viewer: Viewer,
      pass: PassRecord,
      disclose: ConsentField[],
    ): Promise<Presentation> {
      if (viewer.role !== "MEMBER" || viewer.memberId !== pass.memberId || !pass.sdJwt) {
        throw new MaillageError("FORBIDDEN", "only the member presents its pass");
      }
      const issued = parseIssued(pass.sdJwt);
      const chosen = CONSENT_FIELDS.filter(
        (f) => disclose.includes(f) && issued.disclosures[f] !== undefined,
      );
      const sdJwt = present(issued, chosen);
      const qr = await renderQr(sdJwt);
      return {
        passId: pass.id,
        sdJwt,
        disclosed: chosen,
        qrSvg: qr.svg,
        qrPngBase64: qr.pngBase64,
      };
    },

    /** XXXX-XXXX-XXXX, to the member and its home team. */
    shortCodeOf(pass: PassRecord): string | null {
      return pass.shortCode === null ? null : formatShortCode(pass.shortCode);
    },

    /**
     * The printable card (SVG): the QR of the presentation without disclosures, the short
     * code, the home place and the validity; nothing personal on it.
     */
    async card(pass: PassRecord): Promise<string> {
      if (!pass.sdJwt || !pass.shortCode) throw new MaillageError("NOT_FOUND", "not issued here");
      const space = await spaceRepository.find(store, pass.homeSpaceId);
      return renderCard({
        presentation: present(parseIssued(pass.sdJwt), []),
        shortCode: formatShortCode(pass.shortCode),
        homePlace: space?.name ?? pass.homeSpaceId,
        validFrom: pass.validFrom,
        validUntil: pass.validUntil,
        revoked: pass.status === "REVOKED",
      });
    },
  };
}

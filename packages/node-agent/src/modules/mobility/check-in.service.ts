import {
  type CheckInMethod,
  type ConsentField,
  localDate,
  MaillageError,
  parseInput,
} from "@maillage/schema";
import type { SqlSession, SqlStore } from "@maillage/storage";
import { importJWK, type JWK, type KeyObject } from "jose";
import { ulid } from "ulid";
import { z } from "zod";
import type { Viewer } from "../../context.ts";
import type { NodeKey } from "../../identity/keys.ts";
import type { LocalWriter } from "../../outbox/local-writer.ts";
import { credentialStatusRepository } from "../credentials/credential-status.repository.ts";
import type { ResourcePubSub } from "../resources/live.ts";
import { spaceRepository } from "../spaces/space.repository.ts";
import {
  type DisclosureRecord,
  mobilityRepository,
  type VisitRecord,
  type VisitScope,
  visitPayloadOf,
} from "./mobility.repository.ts";
import { verifySdJwt } from "./sd-jwt.ts";
import { normaliseShortCode, shortCodeHash } from "./short-code.ts";

/**
 * Check-in at the visited node (docs/mobility.md), OFFLINE: the pass is checked against the
 * replicated node keys (this node's own key too) and the PASS replicas, never the hub.
 * - by presentation: signature, `typ`, `iss`/`kid`, every disclosure's digest (sd-jwt.ts),
 *   validity at the arrival, the PASS replica not REVOKED; the issuing node must be the home
 *   space's node when that space is known here;
 * - by short code: the PASS replica with that hash (NOT_FOUND if none), not revoked, valid.
 * Refusals: PASS_INVALID (malformed, bad signature, altered disclosure or signed part),
 * PASS_UNKNOWN_ISSUER (a key not among the network's node keys: forged, or another network),
 * PASS_EXPIRED, PASS_REVOKED; bad input: BAD_USER_INPUT (arrival in the future, departure not
 * after arrival), NOT_FOUND (unknown space or not this node's), SPACE_CLOSED. Nothing is
 * written on a refusal.
 * The Visit and its VISIT event are written in one transaction (outbox: works offline, pushed
 * later); the disclosures presented are kept in `visit_disclosure` at this node only, until the
 * retention sweeper deletes them.
 */
export type CheckInService = ReturnType<typeof createCheckInService>;

export type VisitView = VisitRecord & { disclosure: DisclosureRecord | null };

const Id = z.string().trim().min(1).max(64);
const Instant = z.coerce.date();
const MAX_DURATION_MINUTES = 7 * 24 * 60;
/** Clocks of a tablet and of the agent may differ this much without the arrival being "future". */
const CLOCK_SKEW_MS = 2 * 60_000;

const CheckInInput = z
  .object({
    spaceId: Id,
    pass: z.string().trim().min(1).max(8_000).optional(),
    shortCode: z.string().trim().min(1).max(40).optional(),
    arrivedAt: Instant.optional(),
    departedAt: Instant.optional(),
    durationMinutes: z.number().int().min(1).max(MAX_DURATION_MINUTES).optional(),
  })
  .strict()
  .refine((i) => (i.pass === undefined) !== (i.shortCode === undefined), {
    path: ["pass"],
    message: "give the pass or its short code (one of them)",
  })
  .refine((i) => i.departedAt === undefined || i.durationMinutes === undefined, {
    path: ["durationMinutes"],
    message: "give the departure or the duration, not both",
  });
export type CheckInInput = z.input<typeof CheckInInput>;

const DAY_MS = 86_400_000;
const TIME_ZONE = "Europe/Paris";

function refuse(
  code: "PASS_INVALID" | "PASS_UNKNOWN_ISSUER" | "PASS_EXPIRED" | "PASS_REVOKED",
  message: string,
): never {
  throw new MaillageError(code, message, { field: "pass" });
}

function badInput(field: string, message: string): never {
  throw new MaillageError("BAD_USER_INPUT", `${field}: ${message}`, { field });
}

export type VisitRecordedUpdate = VisitRecord;

export function createCheckInService(deps: {
  store: SqlStore;
  writer: LocalWriter;
  pubsub: ResourcePubSub;
  nodeId: string;
  fabriqueId: string;
  key: NodeKey;
  retentionDays: number;
  now?: (() => Date) | undefined;
}) {
  const { store, writer } = deps;
  const now = deps.now ?? (() => new Date());
  /** Imported node keys by their `x` (a replaced key has another x: never a stale hit). */
  const imported = new Map<string, KeyObject | CryptoKey>();

  /**
   * The network's node keys as this agent holds them now (replicated NODE_KEY; a DELETE has
   * removed a replaced node's), with this node's own: the verifier's `keyOf` and the issuer's
   * fabrique.
   */
  async function nodeKeys() {
    const keys = await credentialStatusRepository.nodeKeys(store);
    const fabriqueOf = new Map(keys.map((k) => [k.nodeId, k.fabriqueId]));
    const keyOf = async (nodeId: string): Promise<KeyObject | CryptoKey | undefined> => {
      if (nodeId === deps.nodeId) return deps.key.publicKey;
      const found = keys.find((k) => k.nodeId === nodeId);
      if (!found) return undefined;
      const jwk = found.publicJwk as JWK;
      const cacheKey = `${nodeId}:${jwk.x}`;
      let key = imported.get(cacheKey);
      if (!key) {
        key = (await importJWK(jwk, "EdDSA")) as KeyObject | CryptoKey;
        imported.set(cacheKey, key);
      }
      return key;
    };
    return { keyOf, fabriqueOf };
  }

  function assertCheckInRole(viewer: Viewer, spaceId: string) {
    if (viewer.role === "MEMBER" || (viewer.role === "SATELLITE" && viewer.spaceId !== spaceId)) {
      throw new MaillageError("FORBIDDEN", "check-in is for the visited place's team");
    }
  }

  /** The visited space: this node's, open; FABRIQUE_ADMIN any of them, SATELLITE its own. */
  async function visitedSpace(db: SqlSession, viewer: Viewer, spaceId: string) {
    assertCheckInRole(viewer, spaceId);
    const space = await spaceRepository.find(db, spaceId);
    const ours =
      spaceId === deps.fabriqueId ||
      (space?.owned === true && space.kind === "SATELLITE" && space.fabriqueId === deps.fabriqueId);
    if (!ours) {
      throw new MaillageError("NOT_FOUND", `no space ${spaceId} of this network`, {
        field: "spaceId",
      });
    }
    if (space?.status === "CLOSED") throw new MaillageError("SPACE_CLOSED", "the space is closed");
  }

  function checkTimes(input: z.output<typeof CheckInInput>, at: Date) {
    const arrivedAt = input.arrivedAt ?? at;
    if (Number.isNaN(arrivedAt.getTime())) badInput("arrivedAt", "not an instant");
    if (arrivedAt.getTime() > at.getTime() + CLOCK_SKEW_MS)
      badInput("arrivedAt", "is in the future");
    const departedAt =
      input.durationMinutes !== undefined
        ? new Date(arrivedAt.getTime() + input.durationMinutes * 60_000)
        : (input.departedAt ?? null);
    if (departedAt !== null) {
      if (Number.isNaN(departedAt.getTime())) badInput("departedAt", "not an instant");
      if (departedAt.getTime() <= arrivedAt.getTime()) {
        badInput(
          input.durationMinutes !== undefined ? "durationMinutes" : "departedAt",
          "must be after the arrival",
        );
      }
      if (departedAt.getTime() > at.getTime() + CLOCK_SKEW_MS) {
        badInput(
          input.durationMinutes !== undefined ? "durationMinutes" : "departedAt",
          "is in the future",
        );
      }
    }
    return { arrivedAt, departedAt };
  }

  function checkValidity(validFrom: Date, validUntil: Date, arrivedAt: Date) {
    if (arrivedAt.getTime() >= validUntil.getTime()) {
      refuse("PASS_EXPIRED", `the pass expired on ${validUntil.toISOString()}`);
    }
    if (arrivedAt.getTime() < validFrom.getTime() - CLOCK_SKEW_MS) {
      refuse("PASS_INVALID", "the pass is not valid yet at the arrival");
    }
  }

  /** The fabrique and its satellites: this node's spaces. */
  async function networkSpaceIds(): Promise<string[]> {
    const owned = await mobilityRepository.ownedSpaceIds(store);
    return owned.includes(deps.fabriqueId) ? owned : [deps.fabriqueId, ...owned];
  }

  async function attach(db: SqlSession, visits: VisitRecord[], withDisclosures: boolean) {
    const disclosures = withDisclosures
      ? await mobilityRepository.disclosuresOf(
          db,
          visits.filter((v) => v.owned).map((v) => v.id),
        )
      : [];
    const byVisit = new Map(disclosures.map((d) => [d.visitId, d]));
    return visits.map((v) => ({ ...v, disclosure: byVisit.get(v.id) ?? null }));
  }

  return {
    async checkIn(viewer: Viewer, raw: CheckInInput): Promise<VisitView> {
      const input = parseInput(CheckInInput, raw);
      const at = now();
      assertCheckInRole(viewer, input.spaceId); // the space itself is checked in the transaction
      const { arrivedAt, departedAt } = checkTimes(input, at);

      // The signature checked before the write lock is taken (crypto, no shared state).
      let method: CheckInMethod;
      let claimed: {
        passId: string;
        memberId: string;
        homeSpaceId: string;
        issuerNodeId: string | null;
        /** The signing node's fabrique (another node's pass), from its replicated key. */
        issuerFabriqueId: string | null;
        disclosed: Partial<Record<ConsentField, string>>;
      } | null = null;
      let codeHash: string | null = null;
      if (input.pass !== undefined) {
        method = "PASS";
        const keys = await nodeKeys();
        const verified = await verifySdJwt(input.pass, keys.keyOf);
        if (!verified.ok) refuse(verified.failure.code, verified.failure.reason);
        const p = verified.pass;
        checkValidity(p.validFrom, p.validUntil, arrivedAt);
        claimed = {
          passId: p.passId,
          memberId: p.memberId,
          homeSpaceId: p.homeSpaceId,
          issuerNodeId: p.issuerNodeId,
          issuerFabriqueId:
            p.issuerNodeId === deps.nodeId ? null : (keys.fabriqueOf.get(p.issuerNodeId) ?? null),
          disclosed: p.disclosed,
        };
      } else {
        method = "SHORT_CODE";
        const code = normaliseShortCode(input.shortCode as string);
        if (code === null) badInput("shortCode", "12 characters, XXXX-XXXX-XXXX");
        codeHash = shortCodeHash(code);
      }

      const visit = await writer.write(async (tx, changes) => {
        await visitedSpace(tx, viewer, input.spaceId);
        let pass = claimed;
        if (codeHash !== null) {
          const replica = await mobilityRepository.findPassByShortCodeHash(tx, codeHash);
          if (!replica)
            throw new MaillageError("NOT_FOUND", "no pass has this short code", {
              field: "shortCode",
            });
          if (replica.status === "REVOKED")
            refuse("PASS_REVOKED", `the pass was revoked (${replica.revocationReason})`);
          checkValidity(replica.validFrom, replica.validUntil, arrivedAt);
          pass = {
            passId: replica.id,
            memberId: replica.memberId,
            homeSpaceId: replica.homeSpaceId,
            issuerNodeId: null,
            issuerFabriqueId: null,
            disclosed: {},
          };
        } else if (pass !== null) {
          // Revocation from the PASS replica (a pass not replicated yet verifies on its signature).
          const replica = await mobilityRepository.findPass(tx, pass.passId);
          if (replica?.status === "REVOKED") {
            refuse("PASS_REVOKED", `the pass was revoked (${replica.revocationReason})`);
          }
          if (
            replica &&
            (replica.memberId !== pass.memberId || replica.homeSpaceId !== pass.homeSpaceId)
          ) {
            refuse("PASS_INVALID", "the pass does not match the network's record of it");
          }
          // The issuer must be the home place's node: this node for a home in this network;
          // another node for a home of its own fabrique, when that space is known here.
          const home = await spaceRepository.find(tx, pass.homeSpaceId);
          const homeFabrique =
            pass.homeSpaceId === deps.fabriqueId
              ? deps.fabriqueId
              : home
                ? home.kind === "FABRIQUE"
                  ? home.id
                  : home.fabriqueId
                : null;
          const homeHere = homeFabrique === deps.fabriqueId;
          const issuedHere = pass.issuerNodeId === deps.nodeId;
          if (
            issuedHere !== homeHere ||
            (!issuedHere && homeFabrique !== null && homeFabrique !== pass.issuerFabriqueId)
          ) {
            refuse("PASS_INVALID", "the pass was not issued by its home place's node");
          }
        }
        if (pass === null) throw new Error("unreachable: no pass");
        const visit = await mobilityRepository.insertOwnedVisit(tx, {
          id: ulid(),
          memberId: pass.memberId,
          homeSpaceId: pass.homeSpaceId,
          spaceId: input.spaceId,
          day: localDate(arrivedAt, TIME_ZONE),
          arrivedAt,
          departedAt,
          method,
          passId: pass.passId,
        });
        await changes.append({
          entity: "VISIT",
          entityId: visit.id,
          op: "UPSERT",
          payload: visitPayloadOf(visit),
        });
        const d = pass.disclosed;
        let disclosure: DisclosureRecord | null = null;
        if (Object.keys(d).length > 0) {
          disclosure = {
            visitId: visit.id,
            memberId: pass.memberId,
            firstName: d.firstName ?? null,
            email: d.email ?? null,
            phone: d.phone ?? null,
            organisation: d.organisation ?? null,
            disclosedAt: at,
            expiresAt: new Date(at.getTime() + deps.retentionDays * DAY_MS),
          };
          await mobilityRepository.insertDisclosure(tx, disclosure);
        }
        return { ...visit, disclosure };
      });
      const { disclosure: _kept, ...record } = visit;
      deps.pubsub.publish("visitRecorded", record);
      return visit;
    },

    /** Sets the departure (default now) of a visit recorded here; the visited place's team. */
    async checkOut(
      viewer: Viewer,
      visitId: string,
      departedAtRaw?: Date | null,
    ): Promise<VisitView> {
      const at = now();
      const visit = await writer.write(async (tx, changes) => {
        const visit = await mobilityRepository.findVisit(tx, visitId, { forUpdate: true });
        if (!visit?.owned)
          throw new MaillageError("NOT_FOUND", `no visit ${visitId} recorded here`);
        await visitedSpace(tx, viewer, visit.spaceId).catch((error: MaillageError) => {
          if (error.code === "SPACE_CLOSED") return;
          throw error.code === "FORBIDDEN"
            ? new MaillageError("NOT_FOUND", `no visit ${visitId} recorded here`)
            : error;
        });
        if (visit.departedAt !== null) {
          throw new MaillageError("INVALID_TRANSITION", "the visit already has its departure");
        }
        const departedAt = departedAtRaw ?? at;
        if (departedAt.getTime() <= visit.arrivedAt.getTime()) {
          badInput("departedAt", "must be after the arrival");
        }
        if (departedAt.getTime() > at.getTime() + CLOCK_SKEW_MS)
          badInput("departedAt", "is in the future");
        const updated = await mobilityRepository.setDeparture(tx, visitId, departedAt);
        await changes.append({
          entity: "VISIT",
          entityId: visitId,
          op: "UPSERT",
          payload: visitPayloadOf(updated),
        });
        return updated;
      });
      deps.pubsub.publish("visitRecorded", visit);
      const [withDisclosure] = await attach(store, [visit], true);
      return withDisclosure as VisitView;
    },

    /**
     * Visits recorded at this node's spaces (the visited team's view, with the disclosures
     * while they are kept): FABRIQUE_ADMIN any of them, SATELLITE its own space.
     */
    async visitsHere(viewer: Viewer, spaceId: string | null, limit: number): Promise<VisitView[]> {
      let scope: VisitScope;
      if (viewer.role === "MEMBER")
        throw new MaillageError("FORBIDDEN", "for the visited place's team");
      if (viewer.role === "SATELLITE") {
        if (spaceId !== null && spaceId !== viewer.spaceId) {
          throw new MaillageError("FORBIDDEN", "a satellite sees its own space's visits");
        }
        scope = { kind: "space", spaceId: viewer.spaceId as string };
      } else if (spaceId !== null) {
        scope = { kind: "space", spaceId };
      } else {
        scope = { kind: "spacesOf", spaceIds: await networkSpaceIds() };
      }
      const visits = (await mobilityRepository.listVisits(store, scope, limit)).filter(
        (v) => v.owned,
      );
      return attach(store, visits, true);
    },

    /**
     * Visits of members homed here, wherever they went (the home team's view; no disclosure:
     * those stay at the visited place): FABRIQUE_ADMIN all, SATELLITE its own members'.
     */
    async homeVisits(viewer: Viewer, limit: number): Promise<VisitView[]> {
      if (viewer.role === "MEMBER") throw new MaillageError("FORBIDDEN", "for the home team");
      const spaceIds =
        viewer.role === "SATELLITE" ? [viewer.spaceId as string] : await networkSpaceIds();
      const visits = await mobilityRepository.listVisits(
        store,
        { kind: "homeSpaces", spaceIds },
        limit,
      );
      return visits.map((v) => ({ ...v, disclosure: null }));
    },

    /** The member's own visits (MEMBER token at home). */
    async myVisits(viewer: Viewer, limit: number): Promise<VisitView[]> {
      if (viewer.role !== "MEMBER" || !viewer.memberId) {
        throw new MaillageError("FORBIDDEN", "a member's own visits");
      }
      const visits = await mobilityRepository.listVisits(
        store,
        { kind: "member", memberId: viewer.memberId },
        limit,
      );
      return visits.map((v) => ({ ...v, disclosure: null }));
    },

    /** The retention sweeper: deletes the disclosures past their retention; how many went. */
    async sweepDisclosures(): Promise<number> {
      return mobilityRepository.deleteExpiredDisclosures(store, now());
    },
  };
}

/**
 * Who sees a visit live: the node's team (every visit published here was recorded at one of its
 * spaces or routed here as its member's home), a satellite the visits at its space and of its
 * members, a member its own.
 */
export function canSeeVisit(viewer: Viewer, visit: VisitRecord): boolean {
  if (viewer.role === "FABRIQUE_ADMIN") return true;
  if (viewer.role === "SATELLITE")
    return viewer.spaceId === visit.spaceId || viewer.spaceId === visit.homeSpaceId;
  return viewer.role === "MEMBER" && viewer.memberId === visit.memberId;
}

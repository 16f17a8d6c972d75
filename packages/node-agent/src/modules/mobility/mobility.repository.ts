import type {
  CheckInMethod,
  ConsentField,
  PassPayload,
  PassRevocationReason,
  PassStatus,
  VisitPayload,
} from "@maillage/schema";
import type { SqlSession } from "@maillage/storage";

/** The only file that reads and writes `pass`, `visit`, `visit_disclosure` and the member's consent. */

export type PassRecord = {
  id: string;
  memberId: string;
  homeSpaceId: string;
  validFrom: Date;
  validUntil: Date;
  shortCodeHash: string;
  status: PassStatus;
  revocationReason: PassRevocationReason | null;
  owned: boolean;
  /** At home only: the signed SD-JWT with every disclosure, and the short code. */
  sdJwt: string | null;
  shortCode: string | null;
  createdAt: Date;
};

type PassRow = {
  id: string;
  member_id: string;
  home_space_id: string;
  valid_from: Date;
  valid_until: Date;
  short_code_hash: string;
  status: PassStatus;
  revocation_reason: PassRevocationReason | null;
  owned: boolean;
  sd_jwt: string | null;
  short_code: string | null;
  created_at: Date;
};

const PASS_COLUMNS = `id, member_id, home_space_id, valid_from, valid_until, short_code_hash, status,
  revocation_reason, owned, sd_jwt, short_code, created_at`;

function toPass(r: PassRow): PassRecord {
  return {
    id: r.id,
    memberId: r.member_id,
    homeSpaceId: r.home_space_id,
    validFrom: new Date(r.valid_from),
    validUntil: new Date(r.valid_until),
    shortCodeHash: r.short_code_hash,
    status: r.status,
    revocationReason: r.revocation_reason,
    owned: r.owned,
    sdJwt: r.sd_jwt,
    shortCode: r.short_code,
    createdAt: new Date(r.created_at),
  };
}

export function passPayloadOf(p: PassRecord): PassPayload {
  return {
    memberId: p.memberId,
    homeSpaceId: p.homeSpaceId,
    validFrom: p.validFrom.toISOString(),
    validUntil: p.validUntil.toISOString(),
    shortCodeHash: p.shortCodeHash,
    status: p.status,
    revocationReason: p.revocationReason,
  };
}

export type VisitRecord = {
  id: string;
  memberId: string | null;
  homeSpaceId: string;
  spaceId: string;
  day: string;
  arrivedAt: Date;
  departedAt: Date | null;
  method: CheckInMethod;
  passId: string | null;
  owned: boolean;
};

type VisitRow = {
  id: string;
  member_id: string | null;
  home_space_id: string;
  space_id: string;
  day: string;
  arrived_at: Date;
  departed_at: Date | null;
  method: CheckInMethod;
  pass_id: string | null;
  owned: boolean;
};

const VISIT_COLUMNS = `id, member_id, home_space_id, space_id, to_char(day, 'YYYY-MM-DD') AS day,
  arrived_at, departed_at, method, pass_id, owned`;

function toVisit(r: VisitRow): VisitRecord {
  return {
    id: r.id,
    memberId: r.member_id,
    homeSpaceId: r.home_space_id,
    spaceId: r.space_id,
    day: r.day,
    arrivedAt: new Date(r.arrived_at),
    departedAt: r.departed_at === null ? null : new Date(r.departed_at),
    method: r.method,
    passId: r.pass_id,
    owned: r.owned,
  };
}

export function visitPayloadOf(v: VisitRecord): VisitPayload {
  return {
    memberId: v.memberId,
    homeSpaceId: v.homeSpaceId,
    spaceId: v.spaceId,
    day: v.day,
    arrivedAt: v.arrivedAt.toISOString(),
    departedAt: v.departedAt?.toISOString() ?? null,
    method: v.method,
    passId: v.passId,
  };
}

export type DisclosureRecord = {
  visitId: string;
  memberId: string;
  firstName: string | null;
  email: string | null;
  phone: string | null;
  organisation: string | null;
  disclosedAt: Date;
  expiresAt: Date;
};

/** A member at home, with what a pass may carry. */
export type PassHolder = {
  id: string;
  homeSpaceId: string;
  consent: ConsentField[];
  fields: Record<ConsentField, string | null>;
};

export type VisitScope =
  | { kind: "space"; spaceId: string }
  | { kind: "spacesOf"; spaceIds: string[] }
  | { kind: "member"; memberId: string }
  | { kind: "homeSpaces"; spaceIds: string[] };

export const mobilityRepository = {
  /** This node's spaces (the visited team's and the home team's scope). */
  async ownedSpaceIds(db: SqlSession): Promise<string[]> {
    const rows = await db.query<{ id: string }>("SELECT id FROM space WHERE owned ORDER BY id");
    return rows.map((r) => r.id);
  },

  async findHolder(db: SqlSession, memberId: string): Promise<PassHolder | undefined> {
    const rows = await db.query<{
      id: string;
      home_space_id: string;
      pass_consent: string[];
      first_name: string | null;
      email: string | null;
      phone: string | null;
      organisation: string | null;
    }>(
      `SELECT id, home_space_id, pass_consent, first_name, email, phone, organisation
       FROM member WHERE id = $1 AND owned`,
      [memberId],
    );
    const r = rows[0];
    return (
      r && {
        id: r.id,
        homeSpaceId: r.home_space_id,
        consent: r.pass_consent as ConsentField[],
        fields: {
          firstName: r.first_name,
          email: r.email,
          phone: r.phone,
          organisation: r.organisation,
        },
      }
    );
  },

  async setConsent(db: SqlSession, memberId: string, fields: ConsentField[]): Promise<void> {
    await db.query(
      "UPDATE member SET pass_consent = $2, updated_at = now() WHERE id = $1 AND owned",
      [memberId, fields],
    );
  },

  async insertOwnedPass(
    db: SqlSession,
    p: Omit<PassRecord, "owned" | "createdAt" | "status" | "revocationReason">,
  ): Promise<PassRecord> {
    const rows = await db.query<PassRow>(
      `INSERT INTO pass (id, member_id, home_space_id, valid_from, valid_until, short_code_hash,
         status, owned, sd_jwt, short_code)
       VALUES ($1, $2, $3, $4, $5, $6, 'ACTIVE', TRUE, $7, $8) RETURNING ${PASS_COLUMNS}`,
      [
        p.id,
        p.memberId,
        p.homeSpaceId,
        p.validFrom,
        p.validUntil,
        p.shortCodeHash,
        p.sdJwt,
        p.shortCode,
      ],
    );
    return toPass(rows[0] as PassRow);
  },

  async findPass(db: SqlSession, id: string): Promise<PassRecord | undefined> {
    const rows = await db.query<PassRow>(`SELECT ${PASS_COLUMNS} FROM pass WHERE id = $1`, [id]);
    return rows[0] && toPass(rows[0]);
  },

  async findPassByShortCodeHash(db: SqlSession, hash: string): Promise<PassRecord | undefined> {
    const rows = await db.query<PassRow>(
      `SELECT ${PASS_COLUMNS} FROM pass WHERE short_code_hash = $1`,
      [hash],
    );
    return rows[0] && toPass(rows[0]);
  },

  /** The member's active pass at home (locked: issuing and revoking are serialised). */
  async activeOwnedPass(
    db: SqlSession,
    memberId: string,
    options: { forUpdate?: boolean } = {},
  ): Promise<PassRecord | undefined> {
    const rows = await db.query<PassRow>(
      `SELECT ${PASS_COLUMNS} FROM pass WHERE member_id = $1 AND owned AND status = 'ACTIVE'
       ${options.forUpdate ? "FOR UPDATE" : ""}`,
      [memberId],
    );
    return rows[0] && toPass(rows[0]);
  },

  async passesOf(db: SqlSession, memberId: string): Promise<PassRecord[]> {
    const rows = await db.query<PassRow>(
      `SELECT ${PASS_COLUMNS} FROM pass WHERE member_id = $1 ORDER BY created_at DESC, id DESC`,
      [memberId],
    );
    return rows.map(toPass);
  },

  async revokeOwnedPass(
    db: SqlSession,
    id: string,
    reason: PassRevocationReason,
  ): Promise<PassRecord> {
    const rows = await db.query<PassRow>(
      `UPDATE pass SET status = 'REVOKED', revocation_reason = $2, updated_at = now()
       WHERE id = $1 AND owned RETURNING ${PASS_COLUMNS}`,
      [id, reason],
    );
    return toPass(rows[0] as PassRow);
  },

  /** A PASS replica; a pass this node owns is never overwritten by a copy. A revoked one stays revoked. */
  async upsertPassReplica(db: SqlSession, id: string, p: PassPayload): Promise<boolean> {
    const rows = await db.query(
      `INSERT INTO pass (id, member_id, home_space_id, valid_from, valid_until, short_code_hash,
         status, revocation_reason, owned)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, FALSE)
       ON CONFLICT (id) DO UPDATE SET member_id = EXCLUDED.member_id,
         home_space_id = EXCLUDED.home_space_id, valid_from = EXCLUDED.valid_from,
         valid_until = EXCLUDED.valid_until, short_code_hash = EXCLUDED.short_code_hash,
         status = CASE WHEN pass.status = 'REVOKED' THEN pass.status ELSE EXCLUDED.status END,
         revocation_reason = COALESCE(pass.revocation_reason, EXCLUDED.revocation_reason),
         updated_at = now()
       WHERE NOT pass.owned
       RETURNING id`,
      [
        id,
        p.memberId,
        p.homeSpaceId,
        p.validFrom,
        p.validUntil,
        p.shortCodeHash,
        p.status,
        p.revocationReason,
      ],
    );
    return rows.length > 0;
  },

  async deletePassReplica(db: SqlSession, id: string): Promise<boolean> {
    const rows = await db.query("DELETE FROM pass WHERE id = $1 AND NOT owned RETURNING id", [id]);
    return rows.length > 0;
  },

  async insertOwnedVisit(db: SqlSession, v: Omit<VisitRecord, "owned">): Promise<VisitRecord> {
    const rows = await db.query<VisitRow>(
      `INSERT INTO visit (id, member_id, home_space_id, space_id, day, arrived_at, departed_at,
         method, pass_id, owned)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, TRUE) RETURNING ${VISIT_COLUMNS}`,
      [
        v.id,
        v.memberId,
        v.homeSpaceId,
        v.spaceId,
        v.day,
        v.arrivedAt,
        v.departedAt,
        v.method,
        v.passId,
      ],
    );
    return toVisit(rows[0] as VisitRow);
  },

  async findVisit(
    db: SqlSession,
    id: string,
    options: { forUpdate?: boolean } = {},
  ): Promise<VisitRecord | undefined> {
    const rows = await db.query<VisitRow>(
      `SELECT ${VISIT_COLUMNS} FROM visit WHERE id = $1 ${options.forUpdate ? "FOR UPDATE" : ""}`,
      [id],
    );
    return rows[0] && toVisit(rows[0]);
  },

  async setDeparture(db: SqlSession, id: string, departedAt: Date): Promise<VisitRecord> {
    const rows = await db.query<VisitRow>(
      `UPDATE visit SET departed_at = $2, updated_at = now() WHERE id = $1 AND owned
       RETURNING ${VISIT_COLUMNS}`,
      [id, departedAt],
    );
    return toVisit(rows[0] as VisitRow);
  },

  /** A VISIT replica (at the member's home); an owned visit is never overwritten. */
  async upsertVisitReplica(
    db: SqlSession,
    id: string,
    v: VisitPayload,
  ): Promise<VisitRecord | undefined> {
    const rows = await db.query<VisitRow>(
      `INSERT INTO visit (id, member_id, home_space_id, space_id, day, arrived_at, departed_at,
         method, pass_id, owned)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, FALSE)
       ON CONFLICT (id) DO UPDATE SET member_id = EXCLUDED.member_id,
         home_space_id = EXCLUDED.home_space_id, space_id = EXCLUDED.space_id, day = EXCLUDED.day,
         arrived_at = EXCLUDED.arrived_at, departed_at = EXCLUDED.departed_at,
         method = EXCLUDED.method, pass_id = EXCLUDED.pass_id, updated_at = now()
       WHERE NOT visit.owned
       RETURNING ${VISIT_COLUMNS}`,
      [
        id,
        v.memberId,
        v.homeSpaceId,
        v.spaceId,
        v.day,
        v.arrivedAt,
        v.departedAt,
        v.method,
        v.passId,
      ],
    );
    return rows[0] && toVisit(rows[0]);
  },

  async deleteVisitReplica(db: SqlSession, id: string): Promise<boolean> {
    const rows = await db.query("DELETE FROM visit WHERE id = $1 AND NOT owned RETURNING id", [id]);
    return rows.length > 0;
  },

  /** Visits, newest arrival first, at most `limit`. */
  async listVisits(db: SqlSession, scope: VisitScope, limit: number): Promise<VisitRecord[]> {
    const where =
      scope.kind === "space"
        ? { sql: "space_id = $1", param: scope.spaceId as unknown }
        : scope.kind === "spacesOf"
          ? { sql: "space_id = ANY($1::text[])", param: scope.spaceIds }
          : scope.kind === "member"
            ? { sql: "member_id = $1", param: scope.memberId }
            : { sql: "home_space_id = ANY($1::text[])", param: scope.spaceIds };
    const rows = await db.query<VisitRow>(
      `SELECT ${VISIT_COLUMNS} FROM visit WHERE ${where.sql}
       ORDER BY arrived_at DESC, id DESC LIMIT $2`,
      [where.param, limit],
    );
    return rows.map(toVisit);
  },

  async insertDisclosure(db: SqlSession, d: DisclosureRecord): Promise<void> {
    await db.query(
      `INSERT INTO visit_disclosure (visit_id, member_id, first_name, email, phone, organisation,
         disclosed_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        d.visitId,
        d.memberId,
        d.firstName,
        d.email,
        d.phone,
        d.organisation,
        d.disclosedAt,
        d.expiresAt,
      ],
    );
  },

  async disclosuresOf(db: SqlSession, visitIds: string[]): Promise<DisclosureRecord[]> {
    if (visitIds.length === 0) return [];
    const rows = await db.query<{
      visit_id: string;
      member_id: string;
      first_name: string | null;
      email: string | null;
      phone: string | null;
      organisation: string | null;
      disclosed_at: Date;
      expires_at: Date;
    }>(
      `SELECT visit_id, member_id, first_name, email, phone, organisation, disclosed_at, expires_at
       FROM visit_disclosure WHERE visit_id = ANY($1::text[]) AND expires_at > now()`,
      [visitIds],
    );
    return rows.map((r) => ({
      visitId: r.visit_id,
      memberId: r.member_id,
      firstName: r.first_name,
      email: r.email,
      phone: r.phone,
      organisation: r.organisation,
      disclosedAt: new Date(r.disclosed_at),
      expiresAt: new Date(r.expires_at),
    }));
  },

  /** The retention sweeper: disclosures past their time go. */
  async deleteExpiredDisclosures(db: SqlSession, at: Date): Promise<number> {
    const rows = await db.query(
      "DELETE FROM visit_disclosure WHERE expires_at <= $1 RETURNING visit_id",
      [at],
    );
    return rows.length;
  },

  /** The next disclosure to expire (the sweeper's timer), or null. */
  async nextDisclosureExpiry(db: SqlSession): Promise<Date | null> {
    const rows = await db.query<{ at: Date | null }>(
      "SELECT min(expires_at) AS at FROM visit_disclosure",
    );
    return rows[0]?.at ? new Date(rows[0].at) : null;
  },
};

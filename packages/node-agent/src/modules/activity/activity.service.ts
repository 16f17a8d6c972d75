import { createHash } from "node:crypto";
import {
  ActivityDate,
  ActivityPayload,
  activityDateProblem,
  activityEntityId,
  isFutureDate,
  MaillageError,
  parseInput,
} from "@maillage/schema";
import type { SqlSession, SqlStore } from "@maillage/storage";
import { z } from "zod";
import type { Viewer } from "../../context.ts";
import type { ChangeLog, LocalWriter } from "../../outbox/local-writer.ts";
import { spaceRepository } from "../spaces/space.repository.ts";
import {
  type ActivityReport,
  activityPayloadOf,
  activityRepository,
} from "./activity.repository.ts";
import { type ActivityImportError, NOTE_MAX_LENGTH, parseActivityCsv } from "./activity-csv.ts";

/**
 * Activity reports: one per space of this network (the fabrique or a satellite this node owns)
 * and day. Rules:
 * - the fabrique's team reports for every space of the network, a satellite for itself only;
 * - a day in the future, a count out of the contract's range, a space that is unknown
 *   (NOT_FOUND), not of this network (FORBIDDEN) or closed (SPACE_CLOSED) are refused and
 *   nothing is written;
 * - a later report for the same day replaces the earlier one and sends an ACTIVITY UPSERT with
 *   the new counts (none when only the note changed: the note never leaves the agent);
 * - a request carries an optional client-chosen idempotency key: the same key with the same
 *   content returns the stored report and writes nothing; with other content it is refused
 *   (BAD_USER_INPUT, field idempotencyKey);
 * - the fabrique's team withdraws a day's report: the row goes, an ACTIVITY DELETE follows;
 * - a CSV import is all or nothing: every line is checked first, and the reports and their
 *   events are written in one transaction (a later line for the same space and day wins).
 */
export type ActivityService = ReturnType<typeof createActivityService>;

const Note = z.string().trim().max(NOTE_MAX_LENGTH).nullable();

export const ReportActivityInput = ActivityPayload.extend({
  note: Note.default(null),
  idempotencyKey: z
    .string()
    .trim()
    .min(8, "at least 8 characters")
    .max(128, "at most 128 characters")
    .optional(),
}).strict();
export type ReportActivityInput = z.output<typeof ReportActivityInput>;

const ActivityRange = z
  .object({ spaceId: z.string().min(1), from: ActivityDate, to: ActivityDate })
  .refine((r) => r.from <= r.to, { path: ["to"], message: "must not be before from" });

const DayOfSpace = z.object({ spaceId: z.string().min(1), date: ActivityDate });

export function canSeeActivity(viewer: Viewer, report: Pick<ActivityReport, "spaceId">) {
  if (viewer.role === "FABRIQUE_ADMIN") return true;
  return viewer.role === "SATELLITE" && viewer.spaceId === report.spaceId;
}

/** The content a request's idempotency key stands for. */
function requestHash(input: ReportActivityInput): string {
  const content = [
    input.spaceId,
    input.date,
    input.visitors,
    input.events,
    input.participants,
    input.openHours,
    input.note,
  ];
  return createHash("sha256").update(JSON.stringify(content)).digest("hex");
}

export function createActivityService(deps: {
  store: SqlStore;
  writer: LocalWriter;
  fabriqueId: string;
  now?: () => Date;
}) {
  const { store, writer, fabriqueId } = deps;
  const now = deps.now ?? (() => new Date());

  /** Why this caller may not report for this space, or null. */
  function refusalOf(viewer: Viewer, spaceId: string): string | null {
    if (viewer.role === "FABRIQUE_ADMIN") return null;
    if (viewer.role === "SATELLITE" && viewer.spaceId === spaceId) return null;
    return viewer.role === "SATELLITE"
      ? "a satellite reports the activity of its own space only"
      : "only the fabrique's team or the space itself report its activity";
  }

  function assertMayReport(viewer: Viewer, spaceId: string) {
    const refusal = refusalOf(viewer, spaceId);
    if (refusal) throw new MaillageError("FORBIDDEN", refusal, { spaceId });
  }

  /** The space is of this network: the fabrique, or a satellite this node owns. */
  async function problemOfSpace(
    db: SqlSession,
    spaceId: string,
    options: { open: boolean },
  ): Promise<MaillageError | null> {
    const space = await spaceRepository.find(db, spaceId);
    if (!space && spaceId !== fabriqueId) {
      return new MaillageError("NOT_FOUND", `no space ${spaceId}`, { spaceId });
    }
    const ours =
      spaceId === fabriqueId ||
      (space?.owned === true && space.kind === "SATELLITE" && space.fabriqueId === fabriqueId);
    if (!ours) {
      return new MaillageError(
        "FORBIDDEN",
        "this space is not of this fabrique's network: its activity is reported at its own node",
        { spaceId },
      );
    }
    if (options.open && space?.status === "CLOSED") {
      return new MaillageError("SPACE_CLOSED", "the space is closed", { spaceId });
    }
    return null;
  }

  async function assertSpace(db: SqlSession, spaceId: string, options: { open: boolean }) {
    const problem = await problemOfSpace(db, spaceId, options);
    if (problem) throw problem;
  }

  /**
   * Which day rule applies to a space: its zone and registration. The fabrique itself may be
   * missing from its own table: its zone is then metropolitan.
   */
  async function dayRuleOf(db: SqlSession, spaceId: string) {
    const space = await spaceRepository.find(db, spaceId);
    return { id: spaceId, communeCode: space?.communeCode ?? "" };
  }

  function assertNotFuture(date: string) {
    // A first, zone-free bound (the easternmost French zone); dateProblem is the exact one.
    if (isFutureDate(date, now())) {
      throw new MaillageError("BAD_USER_INPUT", `date: ${date} is in the future`, {
        field: "date",
      });
    }
  }

  /** Writes the day's report and, when its counts changed, its ACTIVITY UPSERT. */
  async function saveReport(
    tx: SqlSession,
    changes: ChangeLog,
    report: ActivityPayload & { note: string | null },
  ): Promise<{ report: ActivityReport; emitted: boolean }> {
    const before = await activityRepository.find(tx, report.spaceId, report.date);
    const saved = await activityRepository.save(tx, report);
    const payload = activityPayloadOf(saved);
    if (before && JSON.stringify(activityPayloadOf(before)) === JSON.stringify(payload)) {
      return { report: saved, emitted: false }; // only the note changed: nothing to replicate
    }
    await changes.append({
      entity: "ACTIVITY",
      entityId: activityEntityId(report.spaceId, report.date),
      op: "UPSERT",
      payload,
    });
    return { report: saved, emitted: true };
  }

  return {
    async list(viewer: Viewer, raw: unknown): Promise<ActivityReport[]> {
      const range = parseInput(ActivityRange, raw);
      assertMayReport(viewer, range.spaceId);
      return activityRepository.between(store, range.spaceId, range.from, range.to);
    },

    async report(viewer: Viewer, raw: unknown): Promise<ActivityReport> {
      const input = parseInput(ReportActivityInput, raw);
      assertMayReport(viewer, input.spaceId);
      assertNotFuture(input.date);
      const hash = requestHash(input);
      return writer.write(async (tx, changes) => {
        // Under the local-write lock: two re-sends of one request cannot both get through.
        if (input.idempotencyKey !== undefined) {
          const earlier = await activityRepository.findRequest(tx, input.idempotencyKey);
          if (earlier) {
            if (earlier.requestHash !== hash) {
              throw new MaillageError(
                "BAD_USER_INPUT",
                "idempotencyKey: this key was already used for another report; choose a new key for each report",
                { field: "idempotencyKey" },
              );
            }
            const stored = await activityRepository.find(tx, earlier.spaceId, earlier.date);
            if (!stored) {
              throw new MaillageError(
                "NOT_FOUND",
                "the report of this request has been withdrawn since",
                { spaceId: earlier.spaceId, date: earlier.date },
              );
            }
            return stored;
          }
        }
        await assertSpace(tx, input.spaceId, { open: true });
        const problem = activityDateProblem(input.date, await dayRuleOf(tx, input.spaceId), now());
        if (problem) {
          throw new MaillageError("BAD_USER_INPUT", `date: ${problem}`, { field: "date" });
        }
        const { report } = await saveReport(tx, changes, input);
        if (input.idempotencyKey !== undefined) {
          await activityRepository.recordRequest(tx, {
            idempotencyKey: input.idempotencyKey,
            spaceId: input.spaceId,
            date: input.date,
            requestHash: hash,
          });
        }
        return report;
      });
    },

    /** Deletes the day's report and sends a tombstone. The fabrique's team only. */
    async withdraw(viewer: Viewer, raw: unknown): Promise<ActivityReport> {
      if (viewer.role !== "FABRIQUE_ADMIN") {
        throw new MaillageError("FORBIDDEN", "only the fabrique's team withdraws a report");
      }
      const { spaceId, date } = parseInput(DayOfSpace, raw);
      return writer.write(async (tx, changes) => {
        // A closed space's reports may still be corrected.
        await assertSpace(tx, spaceId, { open: false });
        const deleted = await activityRepository.delete(tx, spaceId, date);
        if (!deleted) {
          throw new MaillageError("NOT_FOUND", `no report for ${spaceId} on ${date}`, {
            spaceId,
            date,
          });
        }
        await changes.append({
          entity: "ACTIVITY",
          entityId: activityEntityId(spaceId, date),
          op: "DELETE",
          payload: null,
        });
        return deleted;
      });
    },

    /**
     * Imports a CSV log (see activity-csv.ts), all or nothing. On any problem, throws
     * BAD_USER_INPUT with `details.errors`: every problem with its line number.
     */
    async importCsv(
      viewer: Viewer,
      text: string,
    ): Promise<{ imported: number; emitted: number; reports: ActivityReport[] }> {
      const { rows, errors } = parseActivityCsv(text, now());
      const fail = (all: ActivityImportError[]): never => {
        const sorted = [...all].sort((a, b) => a.line - b.line);
        throw new MaillageError(
          "BAD_USER_INPUT",
          `the file has ${sorted.length} problem${sorted.length === 1 ? "" : "s"}; nothing was imported`,
          { errors: sorted },
        );
      };
      for (const row of rows) {
        const refusal = refusalOf(viewer, row.spaceId);
        if (refusal) errors.push({ line: row.line, field: "space_id", message: refusal });
      }
      if (errors.length > 0) fail(errors);
      return writer.write(async (tx, changes) => {
        // One look at each space of the file, not one per line.
        const problems = new Map<string, MaillageError | null>();
        const dayRules = new Map<string, { id: string; communeCode: string }>();
        for (const spaceId of new Set(rows.map((r) => r.spaceId))) {
          problems.set(spaceId, await problemOfSpace(tx, spaceId, { open: true }));
          dayRules.set(spaceId, await dayRuleOf(tx, spaceId));
        }
        for (const row of rows) {
          const problem = problems.get(row.spaceId);
          if (problem) {
            errors.push({ line: row.line, field: "space_id", message: problem.message });
            continue;
          }
          const rule = dayRules.get(row.spaceId) ?? { id: row.spaceId, communeCode: "" };
          const dated = activityDateProblem(row.date, rule, now());
          if (dated) errors.push({ line: row.line, field: "date", message: dated });
        }
        if (errors.length > 0) fail(errors);
        // A later line for the same space and day wins.
        const latest = new Map<string, (typeof rows)[number]>();
        for (const row of rows) latest.set(activityEntityId(row.spaceId, row.date), row);
        let emitted = 0;
        const reports: ActivityReport[] = [];
        for (const { line: _line, ...row } of latest.values()) {
          const saved = await saveReport(tx, changes, row);
          if (saved.emitted) emitted += 1;
          reports.push(saved.report);
        }
        return { imported: reports.length, emitted, reports };
      });
    },
  };
}

import type { SqlSession } from "@maillage/storage";
import { ulid } from "ulid";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type OutboxEntry, outboxRepository } from "../../outbox/outbox.repository.ts";
import { type Backend, startTestAgent, type TestAgent } from "../../testing/fixture.ts";
import { sseEvents, subscribeSse } from "../../testing/sse.ts";
import { enrolmentRepository } from "./enrolment.repository.ts";
import { trainingRepository } from "./training.repository.ts";

/**
 * Trainings at their organiser, on every storage backend (training.test.ts: PGlite,
 * training.integration.test.ts: PostgreSQL): creation, weekly series on the Paris wall clock,
 * refusals that write nothing, local enrolment with the store enforcing capacity (30 at once
 * for 10 seats), the waitlist and its promotions, offers that expire, the cancel deadline.
 */
export function registerTrainingTests(backend: Backend) {
  describe(`trainings (${backend})`, () => {
    let t: TestAgent;
    let admin: string;
    /** The agent's clock runs this many ms ahead (deadlines, offers). */
    let shift = 0;

    beforeAll(async () => {
      t = await startTestAgent(backend, { now: () => new Date(Date.now() + shift) });
      admin = await t.admin();
    });
    afterAll(() => t?.close());

    const HOUR = 3_600_000;
    let base = 0;
    beforeEach(async () => {
      await t.reset();
      shift = 0;
      base = Math.ceil(Date.now() / HOUR) * HOUR;
    });
    /** A whole hour, `hours` from now (fixed per test). */
    const at = (hours: number) => new Date(base + hours * HOUR).toISOString();

    type Errors = { errors?: { extensions?: Record<string, unknown> & { code?: string } }[] };
    const codes = (r: Errors) => r.errors?.map((e) => e.extensions?.code);
    const fields = (r: Errors) => r.errors?.map((e) => e.extensions?.field);
    const TRAINING = `id title topic tags spaceId venueSpaceId onlineUrl online startsAt endsAt seriesId
      capacity minimum decisionAt scope prerequisites grants { type validityDays } trainerName
      cancelDeadlineMinutes offerHours status cancelReasonCode owned
      seats { capacity taken left waitlisted attended noShow }`;
    const ENROLMENT =
      "id trainingId memberId status position offerExpiresAt reasonCode credentialId";
    type Enrolment = {
      id: string;
      status: string;
      position: number | null;
      offerExpiresAt: string | null;
      reasonCode: string | null;
      memberId: string;
    };

    async function ok<T>(promise: Promise<{ data?: T | null } & Errors>): Promise<T> {
      const r = await promise;
      expect(r.errors).toBeUndefined();
      return r.data as T;
    }

    function createTraining(input: Record<string, unknown> = {}, token = admin) {
      return t.gql<{ createTraining: (Record<string, unknown> & { id: string })[] }>(
        `mutation($input: CreateTrainingInput!) { createTraining(input: $input) { ${TRAINING} } }`,
        {
          input: {
            spaceId: t.fabrique.id,
            title: "Sécurité découpeuse laser",
            topic: "MACHINE_SAFETY",
            venueSpaceId: t.fabrique.id,
            startsAt: at(48),
            endsAt: at(50),
            capacity: 10,
            ...input,
          },
        },
        token,
      );
    }

    async function training(input: Record<string, unknown> = {}) {
      const data = await ok(createTraining(input));
      return data.createTraining[0] as Record<string, unknown> & { id: string };
    }

    async function registerMembers(count: number): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const data = await ok(
          t.gql<{ registerMember: { id: string } }>(
            `mutation($home: ID!, $name: String!) { registerMember(homeSpaceId: $home, displayName: $name) { id } }`,
            { home: t.fabrique.id, name: `Membre ${i + 1}` },
            admin,
          ),
        );
        ids.push(data.registerMember.id);
      }
      return ids;
    }

    function enrol(trainingId: string, memberId: string, token = admin) {
      return t.gql<{ enrol: Enrolment }>(
        `mutation($t: ID!, $m: ID!) { enrol(trainingId: $t, memberId: $m) { ${ENROLMENT} } }`,
        { t: trainingId, m: memberId },
        token,
      );
    }

    function cancel(id: string, token = admin) {
      return t.gql<{ cancelEnrolment: Enrolment }>(
        `mutation($id: ID!) { cancelEnrolment(id: $id) { ${ENROLMENT} } }`,
        { id },
        token,
      );
    }

    async function places(trainingId: string): Promise<Enrolment[]> {
      const data = await ok(
        t.gql<{ enrolments: Enrolment[] }>(
          `query($t: ID!) { enrolments(trainingId: $t) { ${ENROLMENT} } }`,
          { t: trainingId },
          admin,
        ),
      );
      return data.enrolments;
    }

    const outbox = (): Promise<OutboxEntry[]> => outboxRepository.list(t.agent.store);
    const eventsOf = async (entity: string) => (await outbox()).filter((e) => e.entity === entity);

    it("creates a training, sends it, changes and cancels it", async () => {
      const created = await training({
        tags: ["Laser", "laser", "sécurité"],
        scope: "NETWORK",
        grants: { type: "laser-safety", validityDays: 365 },
        prerequisites: ["first-aid"],
        trainerName: "Ada Martin",
        cancelDeadlineMinutes: 1440,
      });
      expect(created).toMatchObject({
        tags: ["laser", "sécurité"],
        online: false,
        seriesId: null,
        scope: "NETWORK",
        status: "SCHEDULED",
        owned: true,
        grants: { type: "laser-safety", validityDays: 365 },
        seats: { capacity: 10, taken: 0, left: 10, waitlisted: 0, attended: 0, noShow: 0 },
      });
      const [sent] = await eventsOf("TRAINING");
      expect(sent?.entityId).toBe(created.id);
      expect(sent?.payload).toMatchObject({
        spaceId: t.fabrique.id,
        trainerName: "Ada Martin",
        seats: { taken: 0, waitlisted: 0, attended: 0, noShow: 0 },
      });

      const updated = await ok(
        t.gql<{ updateTraining: Record<string, unknown> }>(
          `mutation($id: ID!) { updateTraining(id: $id, input: { onlineUrl: "https://visio.example/laser", capacity: 12, trainerName: null }) { ${TRAINING} } }`,
          { id: created.id },
          admin,
        ),
      );
      expect(updated.updateTraining).toMatchObject({
        venueSpaceId: null,
        online: true,
        capacity: 12,
        trainerName: null,
        cancelDeadlineMinutes: 1440,
      });
      const cancelled = await ok(
        t.gql<{ cancelTraining: Record<string, unknown> }>(
          "mutation($id: ID!) { cancelTraining(id: $id) { status cancelReasonCode } }",
          { id: created.id },
          admin,
        ),
      );
      expect(cancelled.cancelTraining).toEqual({
        status: "CANCELLED",
        cancelReasonCode: "CANCELLED_BY_ORGANISER",
      });
      const again = await t.gql(
        "mutation($id: ID!) { cancelTraining(id: $id) { status } }",
        { id: created.id },
        admin,
      );
      expect(codes(again)).toEqual(["INVALID_TRANSITION"]);
      expect((await eventsOf("TRAINING")).map((e) => e.entityId)).toEqual([
        created.id,
        created.id,
        created.id,
      ]);
    });

    it("creates a weekly series at the same Paris wall-clock time across the change of hour", async () => {
      // Tuesdays and Thursdays 18:00–20:00 Paris, from a Tuesday before the end of October's
      // DST to the next weeks (UTC+2 then UTC+1): 18:00 stays 18:00 on the wall clock.
      const year = new Date(base).getUTCFullYear() + 1;
      const lastSunday = (() => {
        const d = new Date(Date.UTC(year, 9, 31));
        d.setUTCDate(31 - d.getUTCDay());
        return d;
      })();
      const tuesdayBefore = new Date(lastSunday.getTime() - 5 * 86_400_000); // a Tuesday
      const day = tuesdayBefore.toISOString().slice(0, 10);
      const until = new Date(lastSunday.getTime() + 8 * 86_400_000).toISOString().slice(0, 10);
      const data = await ok(
        createTraining({
          startsAt: `${day}T18:00:00+02:00`,
          endsAt: `${day}T20:00:00+02:00`,
          minimum: 3,
          decisionAt: `${day}T08:00:00+02:00`,
          series: { rrule: "FREQ=WEEKLY;BYDAY=TU,TH", until },
        }),
      );
      const sessions = data.createTraining as {
        id: string;
        startsAt: string;
        endsAt: string;
        seriesId: string;
        decisionAt: string;
      }[];
      expect(sessions.map((s) => s.startsAt)).toEqual([
        new Date(`${day}T16:00:00Z`).toISOString(),
        new Date(Date.parse(`${day}T16:00:00Z`) + 2 * 86_400_000).toISOString(),
        // After the change of hour: 18:00 Paris is 17:00 UTC.
        new Date(Date.parse(`${day}T17:00:00Z`) + 7 * 86_400_000).toISOString(),
        new Date(Date.parse(`${day}T17:00:00Z`) + 9 * 86_400_000).toISOString(),
      ]);
      expect(sessions.map((s) => (Date.parse(s.endsAt) - Date.parse(s.startsAt)) / HOUR)).toEqual([
        2, 2, 2, 2,
      ]);
      expect(new Set(sessions.map((s) => s.seriesId))).toEqual(new Set([sessions[0]?.id]));
      expect(
        sessions.map((s) => (Date.parse(s.startsAt) - Date.parse(s.decisionAt)) / HOUR),
      ).toEqual([10, 10, 10, 10]);
      // A day outside the rule, or more than 52 sessions: refused, nothing written.
      const wrongDay = await createTraining({
        startsAt: `${day}T18:00:00+02:00`,
        endsAt: `${day}T20:00:00+02:00`,
        series: { rrule: "FREQ=WEEKLY;BYDAY=WE", until },
      });
      expect(codes(wrongDay)).toEqual(["BAD_USER_INPUT"]);
      expect(fields(wrongDay)).toEqual(["series.rrule"]);
      const tooMany = await createTraining({
        startsAt: `${day}T18:00:00+02:00`,
        endsAt: `${day}T20:00:00+02:00`,
        series: { rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU", until: `${year + 1}-12-31` },
      });
      expect(fields(tooMany)).toEqual(["series.until"]);
      expect(await eventsOf("TRAINING")).toHaveLength(4);
    });

    it("refuses bad input with documented codes and writes nothing", async () => {
      const refusals: [Record<string, unknown>, string, string][] = [
        [{ capacity: 0 }, "BAD_USER_INPUT", "capacity"],
        [{ capacity: -3 }, "BAD_USER_INPUT", "capacity"],
        [{ endsAt: at(47) }, "BAD_USER_INPUT", "endsAt"],
        [{ minimum: 11, decisionAt: at(24) }, "BAD_USER_INPUT", "minimum"],
        [{ minimum: 2 }, "BAD_USER_INPUT", "decisionAt"],
        [{ minimum: 2, decisionAt: at(49) }, "BAD_USER_INPUT", "decisionAt"],
        [{ startsAt: at(-2), endsAt: at(-1) }, "BAD_USER_INPUT", "startsAt"],
        [{ venueSpaceId: ulid() }, "NOT_FOUND", "venueSpaceId"],
        // An id that is not a Maillage id is bad input, not an unknown record.
        [{ venueSpaceId: "xyz" }, "BAD_USER_INPUT", "venueSpaceId"],
        [{ spaceId: "xyz" }, "BAD_USER_INPUT", "spaceId"],
        // A decision deadline is for a minimum; a session lasts at most 14 days.
        [{ decisionAt: at(24) }, "BAD_USER_INPUT", "decisionAt"],
        [{ endsAt: at(48 + 14 * 24 + 1) }, "BAD_USER_INPUT", "endsAt"],
        [
          { series: { rrule: "FREQ=WEEKLY;BYDAY=MO", until: "bad" } },
          "BAD_USER_INPUT",
          "series.until",
        ],
        [{ onlineUrl: "https://visio.example/x" }, "BAD_USER_INPUT", "venueSpaceId"],
        [{ prerequisites: ["unheard-of"] }, "UNKNOWN_CREDENTIAL_TYPE", "prerequisites"],
        [{ grants: { type: "Laser Safety" } }, "BAD_USER_INPUT", "grants.type"],
      ];
      for (const [input, code, field] of refusals) {
        const r = await createTraining(input);
        expect([input, codes(r), fields(r)]).toEqual([input, [code], [field]]);
      }
      expect(
        await trainingRepository.search(t.agent.store, {
          topic: null,
          tag: null,
          from: null,
          to: null,
          online: null,
          hasSeats: null,
          credential: null,
          limit: 10,
        }),
      ).toEqual([]);
      expect(await outbox()).toEqual([]);
      // A type granted by a training known here may be a prerequisite.
      await training({ grants: { type: "bike-repair", validityDays: null } });
      await training({ prerequisites: ["bike-repair"] });
      // Members and satellites do not organise; a satellite organises at its own space only.
      const member = await t.token({ role: "MEMBER", memberId: "M1" });
      expect(codes(await createTraining({}, member))).toEqual(["FORBIDDEN"]);
      const satellite = await t.token({ role: "SATELLITE", spaceId: "S1" });
      expect(codes(await createTraining({}, satellite))).toEqual(["FORBIDDEN"]);
    });

    it("refuses an update moving a date into the past, a date once started, or a session too long", async () => {
      const { id } = await training({ minimum: 1, decisionAt: at(24) });
      const update = (input: Record<string, unknown>) =>
        t.gql<{ updateTraining: Record<string, unknown> }>(
          `mutation($id: ID!, $input: UpdateTrainingInput!) { updateTraining(id: $id, input: $input) { ${TRAINING} } }`,
          { id, input },
          admin,
        );
      const refusals: [Record<string, unknown>, string, string][] = [
        [{ startsAt: at(-2), endsAt: at(-1), decisionAt: at(-3) }, "BAD_USER_INPUT", "startsAt"],
        [{ decisionAt: at(-1) }, "BAD_USER_INPUT", "decisionAt"],
        [{ endsAt: at(48 + 14 * 24 + 1) }, "BAD_USER_INPUT", "endsAt"],
        [{ minimum: 0 }, "BAD_USER_INPUT", "decisionAt"],
        [{ venueSpaceId: "xyz" }, "BAD_USER_INPUT", "venueSpaceId"],
      ];
      for (const [input, code, field] of refusals) {
        const r = await update(input);
        expect([input, codes(r), fields(r)]).toEqual([input, [code], [field]]);
      }
      expect(await eventsOf("TRAINING")).toHaveLength(1);
      // Another id that is not a Maillage id: bad input too; a well-formed unknown one is not found.
      for (const [other, code] of [
        ["xyz", "BAD_USER_INPUT"],
        [ulid(), "NOT_FOUND"],
      ]) {
        const r = await t.gql(
          'mutation($id: ID!) { updateTraining(id: $id, input: { title: "x" }) { id } }',
          { id: other },
          admin,
        );
        expect([other, codes(r)]).toEqual([other, [code]]);
        const c = await t.gql(
          "mutation($id: ID!) { cancelTraining(id: $id) { id } }",
          { id: other },
          admin,
        );
        expect([other, codes(c)]).toEqual([other, [code]]);
      }
      // Exactly 14 days is a session; the minimum goes with its deadline.
      expect((await ok(update({ endsAt: at(48 + 14 * 24) }))).updateTraining.endsAt).toBe(
        at(48 + 14 * 24),
      );
      expect(
        (await ok(update({ endsAt: at(50), minimum: 0, decisionAt: null }))).updateTraining,
      ).toMatchObject({ minimum: 0, decisionAt: null, endsAt: at(50) });
      await ok(update({ minimum: 1, decisionAt: at(24) }));
      // The deadline has come (not the start): left as it is, the rest still changes; moved,
      // it must be in the future. (The agent's clock at base + 25 h.)
      shift = base + 25 * HOUR - Date.now();
      expect((await ok(update({ title: "Laser : les bases" }))).updateTraining.title).toBe(
        "Laser : les bases",
      );
      expect(fields(await update({ decisionAt: at(24.5) }))).toEqual(["decisionAt"]);
      expect(fields(await update({ startsAt: at(25), endsAt: at(27) }))).toEqual(["startsAt"]);
      // Started: its dates stay; the rest may still change.
      shift = base + 49 * HOUR - Date.now();
      const started: [Record<string, unknown>, string][] = [
        [{ startsAt: at(72), endsAt: at(74) }, "startsAt"],
        [{ endsAt: at(51) }, "endsAt"],
        [{ minimum: 0, decisionAt: null }, "decisionAt"],
      ];
      for (const [input, field] of started) {
        const r = await update(input);
        expect(r.errors?.[0]?.extensions).toMatchObject({
          code: "INVALID_TRANSITION",
          reason: "STARTED",
          field,
        });
      }
      expect((await ok(update({ trainerName: "Ada Martin" }))).updateTraining).toMatchObject({
        trainerName: "Ada Martin",
        startsAt: at(48),
        endsAt: at(50),
      });
    });

    it("answers bad filters and bad days with BAD_USER_INPUT naming the field", async () => {
      const trainings = (filter: Record<string, unknown>) =>
        t.gql("query($f: TrainingFilter) { trainings(filter: $f) { id } }", { f: filter }, admin);
      const backwards = await trainings({ from: at(48), to: at(24) });
      expect([codes(backwards), fields(backwards)]).toEqual([["BAD_USER_INPUT"], ["filter.to"]]);
      // `from` defaults to now.
      expect(fields(await trainings({ to: at(-1) }))).toEqual(["filter.to"]);
      expect((await trainings({ to: at(1) })).errors).toBeUndefined();
      for (const [from, to, field] of [
        ["bad", "2026-01-02", "from"],
        ["2026-01-01", "2026-13-45", "to"],
        ["2026-01-02", "2026-01-01", "to"],
      ]) {
        const r = await t.gql(
          "query($f: String!, $to: String!) { trainingStatisticsCsv(from: $f, to: $to) }",
          { f: from, to },
          admin,
        );
        expect([from, to, codes(r), fields(r)]).toEqual([from, to, ["BAD_USER_INPUT"], [field]]);
      }
    });

    it("takes exactly the seats there are in 30 concurrent transactions by the store's statement alone (no write lock)", async () => {
      // The local writer's lock serialises every write of the agent; this race goes around it,
      // so that only the store's statement (trainingRepository.takeSeat: taken < capacity in the
      // UPDATE) keeps the count. On PostgreSQL, 30 connections, each in its own transaction,
      // all started before any takes its seat; PGlite has one connection, so it runs them in turn.
      const { id } = await training({ capacity: 10 });
      const N = 30;
      const driver = t.agent.store.driver;
      type Outcome = { enrolled: true } | { enrolled: false; position: number };
      const seat = async (db: SqlSession): Promise<Outcome> =>
        (await trainingRepository.takeSeat(db, id))
          ? { enrolled: true }
          : { enrolled: false, position: await trainingRepository.joinWaitlist(db, id) };
      let outcomes: PromiseSettledResult<Outcome>[];
      if (driver.kind === "postgres") {
        const agentPool = driver.pool;
        // A pool of N connections like the agent's (same database), so that all N are open.
        const Pool = agentPool.constructor as new (
          options: typeof agentPool.options,
        ) => typeof agentPool;
        const pool = new Pool({ ...agentPool.options, max: N });
        try {
          let begun = 0;
          let go: () => void = () => {};
          const allBegun = new Promise<void>((resolve) => {
            go = resolve;
          });
          outcomes = await Promise.allSettled(
            Array.from({ length: N }, async () => {
              const client = await pool.connect();
              const db: SqlSession = {
                exec: async (sql) => {
                  await client.query(sql);
                },
                query: async <Row>(sql: string, params?: unknown[]) =>
                  (await client.query(sql, params)).rows as Row[],
              };
              try {
                await db.exec("BEGIN");
                // Every transaction has begun (and holds its connection) before any takes a seat.
                await db.query("SELECT txid_current()");
                begun += 1;
                if (begun === N) go();
                await allBegun;
                const outcome = await seat(db);
                await db.exec("COMMIT");
                return outcome;
              } catch (error) {
                await db.exec("ROLLBACK");
                throw error;
              } finally {
                client.release();
              }
            }),
          );
        } finally {
          await pool.end();
        }
      } else {
        outcomes = await Promise.allSettled(
          Array.from({ length: N }, () => t.agent.store.transaction(seat)),
        );
      }
      const failed = outcomes.filter((o) => o.status === "rejected");
      expect(failed.map((o) => String((o as PromiseRejectedResult).reason))).toEqual([]);
      const done = outcomes.map((o) => (o as PromiseFulfilledResult<Outcome>).value);
      expect(done.filter((o) => o.enrolled)).toHaveLength(10);
      expect(done.flatMap((o) => (o.enrolled ? [] : [o.position])).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      expect((await trainingRepository.find(t.agent.store, id))?.seats).toMatchObject({
        taken: 10,
        waitlisted: 20,
      });
    });

    it("takes exactly the seats there are under 30 concurrent enrolments, the rest waitlisted in order", async () => {
      const { id } = await training({ capacity: 10 });
      const members = await registerMembers(30);
      const answers = await Promise.all(members.map((m) => enrol(id, m)));
      for (const r of answers) expect(r.errors).toBeUndefined();
      const enrolled = answers.filter((r) => r.data?.enrol.status === "ENROLLED");
      const waitlisted = answers
        .map((r) => r.data?.enrol)
        .filter((e): e is Enrolment => e?.status === "WAITLISTED");
      expect(enrolled).toHaveLength(10);
      expect(waitlisted.map((e) => e.position).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      const stored = await trainingRepository.find(t.agent.store, id);
      expect(stored?.seats).toEqual({ taken: 10, waitlisted: 20, attended: 0, noShow: 0 });
      // The store itself refuses an eleventh seat.
      await expect(
        t.agent.store.query("UPDATE training SET taken = capacity + 1 WHERE id = $1", [id]),
      ).rejects.toThrow(/training_capacity/);
      // Every place travelled (no person in it), and the training's seats with them.
      const sent = await eventsOf("ENROLMENT");
      expect(sent).toHaveLength(30);
      expect(Object.keys(sent[0]?.payload as object).sort()).toEqual(
        [
          "credentialId",
          "memberId",
          "offerExpiresAt",
          "position",
          "reason",
          "reasonCode",
          "requestedAt",
          "status",
          "trainingId",
          "updatedAt",
        ].sort(),
      );
      // One member, one place.
      const twice = await enrol(id, members[0] as string);
      expect(codes(twice)).toEqual(["ALREADY_ENROLLED"]);
    });

    it("promotes the first in line when a seat is freed, and moves the line up", async () => {
      const { id } = await training({ capacity: 2 });
      const [a, b, c, d] = await registerMembers(4);
      const ea = (await ok(enrol(id, a as string))).enrol;
      await ok(enrol(id, b as string));
      const ec = (await ok(enrol(id, c as string))).enrol;
      const ed = (await ok(enrol(id, d as string))).enrol;
      expect([ec.position, ed.position]).toEqual([1, 2]);
      const before = (await outbox()).length;
      const left = (await ok(cancel(ea.id))).cancelEnrolment;
      expect(left).toMatchObject({ status: "CANCELLED", reasonCode: "CANCELLED_BY_MEMBER" });
      const now = await places(id);
      expect(now.find((e) => e.id === ec.id)).toMatchObject({ status: "ENROLLED", position: null });
      expect(now.find((e) => e.id === ed.id)).toMatchObject({ status: "WAITLISTED", position: 1 });
      // Sent: the cancellation, the promotion, the new position, and the training's seats once.
      const sent = (await outbox()).slice(before);
      expect(sent.map((e) => [e.entity, e.entityId])).toEqual([
        ["ENROLMENT", ea.id],
        ["ENROLMENT", ec.id],
        ["ENROLMENT", ed.id],
        ["TRAINING", id],
      ]);
      expect(sent.at(-1)?.payload).toMatchObject({ seats: { taken: 2, waitlisted: 1 } });
      // Raising the capacity takes the next one in at once.
      await ok(
        t.gql(
          "mutation($id: ID!) { updateTraining(id: $id, input: { capacity: 3 }) { id } }",
          { id },
          admin,
        ),
      );
      expect((await places(id)).find((e) => e.id === ed.id)?.status).toBe("ENROLLED");
      // Lowering it below the seats taken is refused.
      const lower = await t.gql(
        "mutation($id: ID!) { updateTraining(id: $id, input: { capacity: 2 }) { id } }",
        { id },
        admin,
      );
      expect(codes(lower)).toEqual(["BAD_USER_INPUT"]);
    });

    it("offers a freed seat for offerHours; an offer not taken passes to the next", async () => {
      const { id } = await training({ capacity: 1, offerHours: 2 });
      const [a, b, c] = await registerMembers(3);
      const ea = (await ok(enrol(id, a as string))).enrol;
      const eb = (await ok(enrol(id, b as string))).enrol;
      const ec = (await ok(enrol(id, c as string))).enrol;
      await ok(cancel(ea.id));
      let now = await places(id);
      const offer = now.find((e) => e.id === eb.id);
      expect(offer?.status).toBe("OFFERED");
      expect(Date.parse(offer?.offerExpiresAt ?? "") - Date.now()).toBeGreaterThan(1.9 * HOUR);
      expect(now.find((e) => e.id === ec.id)).toMatchObject({ status: "WAITLISTED", position: 1 });
      // Three hours later the offer has expired: accepting is refused, the sweeper passes it on.
      shift = 3 * HOUR;
      const member = await t.token({ role: "MEMBER", memberId: b as string });
      const late = await t.gql(
        "mutation($id: ID!) { acceptEnrolmentOffer(id: $id) { status } }",
        { id: eb.id },
        member,
      );
      expect(codes(late)).toEqual(["OFFER_EXPIRED"]);
      expect(await t.agent.services.enrolments.sweep()).toBe(1);
      now = await places(id);
      expect(now.find((e) => e.id === eb.id)).toMatchObject({
        status: "CANCELLED",
        reasonCode: "OFFER_EXPIRED",
      });
      expect(now.find((e) => e.id === ec.id)?.status).toBe("OFFERED");
      // The next one accepts in time: ENROLLED.
      const accepted = await ok(
        t.gql<{ acceptEnrolmentOffer: Enrolment }>(
          "mutation($id: ID!) { acceptEnrolmentOffer(id: $id) { status offerExpiresAt } }",
          { id: ec.id },
          await t.token({ role: "MEMBER", memberId: c as string }),
        ),
      );
      expect(accepted.acceptEnrolmentOffer).toEqual({ status: "ENROLLED", offerExpiresAt: null });
      expect((await trainingRepository.find(t.agent.store, id))?.seats.taken).toBe(1);
    });

    it("lets a member cancel until the cancellation deadline; who may enrol whom", async () => {
      const { id } = await training({ cancelDeadlineMinutes: 24 * 60 });
      const [a, b] = await registerMembers(2);
      const member = await t.token({ role: "MEMBER", memberId: a as string });
      const ea = (await ok(enrol(id, a as string, member))).enrol;
      // A member enrols itself only (FORBIDDEN); another's enrolment is unknown to it; an id
      // that is not a Maillage id is bad input.
      const other = await enrol(id, b as string, member);
      expect([codes(other), fields(other)]).toEqual([["FORBIDDEN"], ["memberId"]]);
      expect(codes(await enrol(id, "01JUNKNOWNMEMBER0000000000", member))).toEqual([
        "BAD_USER_INPUT",
      ]);
      expect(codes(await enrol(id, ulid()))).toEqual(["NOT_FOUND"]);
      const eb = (await ok(enrol(id, b as string))).enrol;
      expect(codes(await cancel(eb.id, member))).toEqual(["NOT_FOUND"]);
      expect(codes(await cancel("xyz", member))).toEqual(["BAD_USER_INPUT"]);
      const accept = await t.gql('mutation { acceptEnrolmentOffer(id: "xyz") { id } }', {}, member);
      expect([codes(accept), fields(accept)]).toEqual([["BAD_USER_INPUT"], ["id"]]);
      // 47 hours later the training starts within a day: too late to give the seat back.
      shift = 47 * HOUR;
      const late = await cancel(ea.id, member);
      expect(codes(late)).toEqual(["CANCEL_DEADLINE_PASSED"]);
      expect((await enrolmentRepository.find(t.agent.store, ea.id))?.status).toBe("ENROLLED");
      // Started: closed to new enrolments.
      shift = 49 * HOUR;
      const [c] = await registerMembers(1);
      expect(codes(await enrol(id, c as string))).toEqual(["ENROLMENT_CLOSED"]);
    });

    it("refuses a member without a valid prerequisite credential", async () => {
      const { id } = await training({ prerequisites: ["laser-safety"] });
      const [a] = await registerMembers(1);
      const refused = await enrol(id, a as string);
      expect(codes(refused)).toEqual(["PREREQUISITE_MISSING"]);
      expect(refused.errors?.[0]?.extensions?.credential).toBe("laser-safety");
      // Expiring before the training starts does not count.
      await ok(
        t.gql(
          `mutation($m: ID!, $e: DateTime) { grantCredential(memberId: $m, type: "laser-safety", expiresAt: $e) { id } }`,
          { m: a, e: at(30) },
          admin,
        ),
      );
      expect(codes(await enrol(id, a as string))).toEqual(["PREREQUISITE_MISSING"]);
      await ok(
        t.gql(
          `mutation($m: ID!) { grantCredential(memberId: $m, type: "laser-safety") { id } }`,
          { m: a },
          admin,
        ),
      );
      expect((await ok(enrol(id, a as string))).enrol.status).toBe("ENROLLED");
    });

    it("shows trainings in the venue's calendar feed and a member's enrolments in its own", async () => {
      const held = await training({ title: "Initiation soudure" });
      const [a, b] = await registerMembers(2);
      const memberA = await t.token({ role: "MEMBER", memberId: a as string });
      await ok(enrol(held.id, a as string, memberA));
      const full = await training({
        title: "Atelier complet",
        capacity: 1,
        startsAt: at(72),
        endsAt: at(73),
      });
      await ok(enrol(full.id, b as string));
      await ok(enrol(full.id, a as string));
      const feed = async (target: Record<string, unknown>, token: string) => {
        const created = await ok(
          t.gql<{ createCalendarFeed: { url: string } }>(
            "mutation($s: ID, $m: ID) { createCalendarFeed(spaceId: $s, memberId: $m) { url } }",
            target,
            token,
          ),
        );
        const response = await t.agent.fetch(`http://agent.test${created.createCalendarFeed.url}`);
        expect(response.status).toBe(200);
        return response.text();
      };
      const venue = await feed({ s: t.fabrique.id }, admin);
      expect(venue).toContain(`UID:${held.id}@maillage`);
      expect(venue).toContain("SUMMARY:Formation : Initiation soudure");
      const own = await feed({ m: a }, memberA);
      expect(own).toContain(`X-WR-CALNAME:Mes formations — ${t.fabrique.name}`);
      expect(own).toContain("SUMMARY:Formation : Atelier complet");
      expect(own).toContain(`UID:${held.id}@maillage`);
      expect(own).toMatch(new RegExp(`UID:${full.id}@maillage[\\s\\S]*STATUS:TENTATIVE`));
      // No person in it, and another member's feed is not for this member to make.
      expect(own).not.toMatch(/Membre/);
      const other = await t.gql(
        "mutation($m: ID) { createCalendarFeed(memberId: $m) { url } }",
        { m: b },
        memberA,
      );
      expect(codes(other)).toEqual(["FORBIDDEN"]);
    });

    it("exports statistics by session date with the hub's columns, cancelled places never counted as filled", async () => {
      // 11 enrolments for 9 seats, 2 of the enrolled cancel: 9 filled, none waitlisted.
      const inRange = await training({
        capacity: 9,
        startsAt: at(48),
        endsAt: at(51),
        grants: { type: "laser-safety", validityDays: null },
      });
      const members = await registerMembers(11);
      const placed = [];
      for (const m of members) placed.push((await ok(enrol(inRange.id, m))).enrol);
      await ok(cancel(placed[0]?.id as string));
      await ok(cancel(placed[1]?.id as string));
      // A cancelled session (its title a would-be formula): no seat offered, its 2 places
      // (1 enrolled, 1 in line) count as cancellations only.
      const dropped = await training({
        title: "=1+2",
        capacity: 1,
        startsAt: at(49),
        endsAt: at(50),
      });
      await ok(enrol(dropped.id, members[2] as string));
      await ok(enrol(dropped.id, members[3] as string));
      await ok(
        t.gql("mutation($id: ID!) { cancelTraining(id: $id) { id } }", { id: dropped.id }, admin),
      );
      const later = await training({ startsAt: at(24 * 40), endsAt: at(24 * 40 + 1) });
      // Started: 3 attend, one credential is revoked since, one attendance is corrected to
      // NO_SHOW (its credential revoked with it: no attendance, no credential issued).
      shift = 49 * HOUR;
      const attend = async (id: string, status: string) =>
        (
          await ok(
            t.gql<{ markAttendance: { credentialId: string | null } }>(
              "mutation($id: ID!, $s: AttendanceStatus!) { markAttendance(id: $id, status: $s) { credentialId } }",
              { id, s: status },
              admin,
            ),
          )
        ).markAttendance;
      await attend(placed[2]?.id as string, "ATTENDED");
      const revoked = await attend(placed[3]?.id as string, "ATTENDED");
      await ok(
        t.gql(
          "mutation($id: ID!) { revokeCredential(id: $id) { id } }",
          { id: revoked.credentialId },
          admin,
        ),
      );
      await attend(placed[4]?.id as string, "ATTENDED");
      await attend(placed[4]?.id as string, "NO_SHOW");
      const day = (iso: string) =>
        new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Paris" }).format(new Date(iso));
      const csv = await ok(
        t.gql<{ trainingStatisticsCsv: string }>(
          "query($f: String!, $to: String!) { trainingStatisticsCsv(from: $f, to: $to) }",
          { f: day(at(48)), to: day(at(51)) },
          admin,
        ),
      );
      const [header, ...lines] = csv.trainingStatisticsCsv.trim().split("\r\n");
      const columns = (header ?? "").split(",");
      // The hub's training CSV figures (maillage hub report --section training), in its order.
      const hub = [
        "seats_offered",
        "seats_filled",
        "fill_rate",
        "waitlisted",
        "waitlist_pressure",
        "attended",
        "no_show",
        "attendance_rate",
        "no_show_rate",
        "hours_delivered",
        "credentials_issued",
        "cross_node_enrolments",
        "cross_node_share",
        "cancellations",
      ];
      const first = columns.indexOf("seats_offered");
      expect(columns.slice(first, first + hub.length)).toEqual(hub);
      expect(lines).toHaveLength(2);
      const rows = lines.map((line) =>
        Object.fromEntries(line.split(",").map((v, i) => [columns[i], v])),
      );
      expect(rows[0]).toMatchObject({
        training_id: inRange.id,
        capacity: "9",
        seats_offered: "9",
        seats_filled: "9",
        fill_rate: "1",
        waitlisted: "0",
        waitlist_pressure: "0",
        attended: "2",
        no_show: "1",
        attendance_rate: "0.667",
        hours_delivered: "6",
        credentials_issued: "2",
        credentials_revoked: "1",
        cancellations: "2",
      });
      expect(rows[1]).toMatchObject({
        training_id: dropped.id,
        title: "'=1+2",
        status: "CANCELLED",
        capacity: "1",
        seats_offered: "0",
        seats_filled: "0",
        fill_rate: "",
        waitlisted: "0",
        cancellations: "2",
      });
      expect(csv.trainingStatisticsCsv).not.toContain(later.id);
      const member = await t.token({ role: "MEMBER", memberId: members[0] as string });
      const refused = await t.gql(
        `{ trainingStatisticsCsv(from: "2026-01-01", to: "2026-01-02") }`,
        {},
        member,
      );
      expect(codes(refused)).toEqual(["FORBIDDEN"]);
    });

    it("cancels under its minimum by the timer at the decision deadline, without a sweep called", async () => {
      const decisionAt = at(24);
      const { id } = await training({ minimum: 2, decisionAt });
      const [a] = await registerMembers(1);
      const placed = (await ok(enrol(id, a as string))).enrol;
      // The clock moves to 300 ms before the deadline; the timer, set again, fires at it.
      shift = Date.parse(decisionAt) - Date.now() - 300;
      t.agent.services.enrolments.rearm();
      await new Promise((r) => setTimeout(r, 300));
      await expect
        .poll(async () => (await trainingRepository.find(t.agent.store, id))?.status, {
          timeout: 5_000,
          interval: 50,
        })
        .toBe("CANCELLED");
      expect(await trainingRepository.find(t.agent.store, id)).toMatchObject({
        status: "CANCELLED",
        cancelReasonCode: "MINIMUM_NOT_REACHED",
      });
      expect(await enrolmentRepository.find(t.agent.store, placed.id)).toMatchObject({
        status: "CANCELLED",
        reasonCode: "MINIMUM_NOT_REACHED",
      });
    });

    it("lets a satellite organise at its own space only, and see its trainings' places and its members'", async () => {
      const sat = await ok(
        t.gql<{ createSatellite: { id: string } }>(
          `mutation { createSatellite(input: { name: "Le Bercail", communeCode: "07186" }) { id } }`,
          {},
          admin,
        ),
      );
      const satId = sat.createSatellite.id;
      const satellite = await t.token({ role: "SATELLITE", spaceId: satId });
      const own = (await ok(createTraining({ spaceId: satId, venueSpaceId: satId }, satellite)))
        .createTraining[0] as { id: string };
      expect(codes(await createTraining({}, satellite))).toEqual(["FORBIDDEN"]);
      const fabriques = await training();
      const change = (id: string) =>
        t.gql(
          "mutation($id: ID!) { updateTraining(id: $id, input: { capacity: 5 }) { id } }",
          { id },
          satellite,
        );
      expect((await change(own.id)).errors).toBeUndefined();
      expect(codes(await change(fabriques.id))).toEqual(["FORBIDDEN"]);
      const [a, b] = await registerMembers(2);
      const inOwn = (await ok(enrol(own.id, a as string))).enrol;
      const inOther = (await ok(enrol(fabriques.id, b as string))).enrol;
      const seen = await ok(
        t.gql<{ enrolments: { id: string }[] }>("{ enrolments { id } }", {}, satellite),
      );
      expect(seen.enrolments.map((e) => e.id)).toEqual([inOwn.id]);
      // Attendance is its organiser's: not before the start, never another's training.
      const attend = (id: string) =>
        t.gql(
          "mutation($id: ID!) { markAttendance(id: $id, status: ATTENDED) { id } }",
          { id },
          satellite,
        );
      expect((await attend(inOwn.id)).errors?.[0]?.extensions).toMatchObject({
        code: "INVALID_TRANSITION",
        reason: "NOT_STARTED",
      });
      expect(codes(await attend(inOther.id))).toEqual(["NOT_FOUND"]);
      // A member sees its own places only.
      const member = await t.token({ role: "MEMBER", memberId: a as string });
      const mine = await ok(
        t.gql<{ enrolments: { id: string }[] }>(
          "query($m: ID) { enrolments(memberId: $m) { id } }",
          { m: b },
          member,
        ),
      );
      expect(mine.enrolments).toEqual([]);
      expect(
        codes(
          await t.gql(
            "mutation($id: ID!) { markAttendance(id: $id, status: ATTENDED) { id } }",
            { id: inOwn.id },
            member,
          ),
        ),
      ).toEqual(["FORBIDDEN"]);
    });

    it("decides the minimum once, at the deadline: places given back later do not cancel it", async () => {
      const { id } = await training({ minimum: 1, decisionAt: at(24) });
      const [a] = await registerMembers(1);
      const placed = (await ok(enrol(id, a as string))).enrol;
      shift = 25 * HOUR;
      expect(await t.agent.services.enrolments.sweep()).toBe(0);
      await ok(cancel(placed.id));
      expect(await t.agent.services.enrolments.sweep()).toBe(0);
      expect((await trainingRepository.find(t.agent.store, id))?.status).toBe("SCHEDULED");
      // Without a decision yet, the same training is cancelled at the deadline.
      const other = await training({ minimum: 1, decisionAt: at(30) });
      shift = 31 * HOUR;
      expect(await t.agent.services.enrolments.sweep()).toBe(1);
      expect(await trainingRepository.find(t.agent.store, other.id)).toMatchObject({
        status: "CANCELLED",
        cancelReasonCode: "MINIMUM_NOT_REACHED",
      });
    });

    it("publishes seats and enrolments live, scoped by role", async () => {
      const { id } = await training({ capacity: 1 });
      const [a, b] = await registerMembers(2);
      const subscribe = async (query: string, token: string) => {
        const sub = await subscribeSse(t.agent.fetch, token, query);
        return { stop: async () => sseEvents(await sub.stop()) };
      };
      const memberA = await t.token({ role: "MEMBER", memberId: a as string });
      const satellite = await t.token({ role: "SATELLITE", spaceId: "01JSOMEOTHERSPACE000000000" });
      const seats = await subscribe(
        `subscription { trainingSeatsChanged(trainingId: "${id}") { id seats { taken waitlisted left } } }`,
        memberA,
      );
      const mine = await subscribe(
        "subscription { enrolmentUpdated { memberId status } }",
        memberA,
      );
      const sat = await subscribe(
        "subscription { enrolmentUpdated { memberId status } }",
        satellite,
      );
      await new Promise((r) => setTimeout(r, 300));
      await ok(enrol(id, a as string));
      await ok(enrol(id, b as string));
      await new Promise((r) => setTimeout(r, 300));
      expect(await seats.stop()).toEqual([
        { data: { trainingSeatsChanged: { id, seats: { taken: 1, waitlisted: 0, left: 0 } } } },
        { data: { trainingSeatsChanged: { id, seats: { taken: 1, waitlisted: 1, left: 0 } } } },
      ]);
      expect(await mine.stop()).toEqual([
        { data: { enrolmentUpdated: { memberId: a, status: "ENROLLED" } } },
      ]);
      expect(await sat.stop()).toEqual([]);
    });
  });
}

import { localDate } from "@maillage/schema";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { outboxRepository } from "../../outbox/outbox.repository.ts";
import { type Backend, startTestAgent, type TestAgent } from "../../testing/fixture.ts";
import { sendActivityImport } from "./remote-import.ts";

/**
 * Activity at the agent, on every storage backend (activity.test.ts: PGlite,
 * activity.integration.test.ts: PostgreSQL): one report per space and day, revisions,
 * idempotent re-sends, refusals that write nothing, the satellite's limits, the CSV import.
 */
export function registerActivityTests(backend: Backend) {
  describe(`activity (${backend})`, () => {
    let t: TestAgent;
    let admin: string;
    // Satellites join the network on 1 January 2025 (their ULIDs say so); reports come later.
    const JOINED = new Date("2025-01-01T09:00:00Z");
    let joining = false;

    beforeAll(async () => {
      t = await startTestAgent(backend, { now: () => (joining ? JOINED : new Date()) });
      admin = await t.admin();
    });
    afterAll(() => t?.close());
    beforeEach(() => t.reset());

    const REPORT = "spaceId date visitors events participants openHours note";
    const codes = (r: { errors?: { extensions?: { code?: string } }[] }) =>
      r.errors?.map((e) => e.extensions?.code);
    const activityEvents = async () =>
      (await outboxRepository.list(t.agent.store)).filter((e) => e.entity === "ACTIVITY");

    async function createSatellite(name: string) {
      joining = true;
      const r = await t
        .gql<{ createSatellite: { id: string } }>(
          "mutation($input: CreateSpaceInput!) { createSatellite(input: $input) { id } }",
          { input: { name, communeCode: "07186" } },
          admin,
        )
        .finally(() => {
          joining = false;
        });
      expect(r.errors).toBeUndefined();
      return r.data?.createSatellite.id as string;
    }

    function report(input: Record<string, unknown>, token = admin) {
      return t.gql<{ reportActivity: Record<string, unknown> }>(
        `mutation($input: ReportActivityInput!) { reportActivity(input: $input) { ${REPORT} } }`,
        { input },
        token,
      );
    }

    async function stored(spaceId: string, token = admin) {
      const r = await t.gql<{ activity: Record<string, unknown>[] }>(
        `query($id: ID!) { activity(spaceId: $id, from: "2000-01-01", to: "2100-01-01") { ${REPORT} } }`,
        { id: spaceId },
        token,
      );
      expect(r.errors).toBeUndefined();
      return r.data?.activity ?? [];
    }

    function importCsv(csv: string, token = admin) {
      return t.gql<{ importActivity: { imported: number; emitted: number } }>(
        "mutation($csv: String!) { importActivity(csv: $csv) { imported emitted } }",
        { csv },
        token,
      );
    }

    const day = (spaceId: string, date = "2025-03-14") => ({
      spaceId,
      date,
      visitors: 42,
      events: 2,
      participants: 17,
      openHours: 7.5,
    });

    it("keeps one report per day: a revision replaces it and sends the new state", async () => {
      const id = await createSatellite("Le Bercail");
      const first = await report({ ...day(id), note: "atelier vélo, pluie" });
      expect(first.errors).toBeUndefined();
      expect(first.data?.reportActivity).toMatchObject({ visitors: 42, openHours: 7.5 });
      const revised = await report({ ...day(id), visitors: 45, note: "recompté" });
      expect(revised.errors).toBeUndefined();

      expect(await stored(id)).toEqual([{ ...day(id), visitors: 45, note: "recompté" }]);
      const events = await activityEvents();
      expect(events.map((e) => [e.op, e.entityId, e.payload])).toEqual([
        ["UPSERT", `${id}:2025-03-14`, day(id)],
        ["UPSERT", `${id}:2025-03-14`, { ...day(id), visitors: 45 }],
      ]);
      // The note never travels.
      expect(JSON.stringify(await outboxRepository.list(t.agent.store))).not.toContain("recompté");
      // A change of the note alone: stored, nothing to send.
      await report({ ...day(id), visitors: 45, note: "recompté deux fois" });
      expect(await activityEvents()).toHaveLength(2);
      expect((await stored(id))[0]?.note).toBe("recompté deux fois");
    });

    it("changes nothing on a re-send with the same idempotency key, refuses the key reused", async () => {
      const id = await createSatellite("Le Bercail");
      const sat = await t.token({ role: "SATELLITE", spaceId: id });
      const input = { ...day(id), note: "journée portes ouvertes", idempotencyKey: "k-0001-abcd" };
      const first = await report(input, sat);
      const again = await report(input, sat);
      expect(again.errors).toBeUndefined();
      expect(again.data?.reportActivity).toEqual(first.data?.reportActivity);
      expect(await activityEvents()).toHaveLength(1);

      const reused = await report({ ...input, visitors: 1 }, sat);
      expect(codes(reused)).toEqual(["BAD_USER_INPUT"]);
      expect(reused.errors?.[0]?.extensions).toMatchObject({ field: "idempotencyKey" });
      expect(await stored(id)).toEqual([{ ...day(id), note: "journée portes ouvertes" }]);
      expect(await activityEvents()).toHaveLength(1);
    });

    it("refuses a future day, bad counts, other networks' spaces and closed ones, writing nothing", async () => {
      const id = await createSatellite("Le Bercail");
      const closed = await createSatellite("La Grange");
      await t.gql("mutation($id: ID!) { closeSatellite(id: $id) { id } }", { id: closed }, admin);
      t.hub.appendLog({
        originNodeId: "another-node",
        entity: "SPACE",
        entityId: "THEIR-SATELLITE",
        op: "UPSERT",
        payload: {
          kind: "SATELLITE",
          fabriqueId: "another-fabrique",
          name: "Ailleurs",
          communeCode: "07185",
          services: [],
          openingHours: [],
          status: "OPEN",
        },
        targetNodeId: null,
      });
      expect((await t.agent.sync.pullNow()).kind).toBe("caught-up");
      const before = (await outboxRepository.list(t.agent.store)).length;

      const tomorrow = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
      expect(codes(await report(day(id, tomorrow)))).toEqual(["BAD_USER_INPUT"]);
      // Before the satellite joined the network (1 January 2025): 1990, and the day before.
      for (const date of ["1990-06-01", "2024-12-31"]) {
        const early = await report(day(id, date));
        expect(early.errors?.[0]?.extensions).toMatchObject({
          code: "BAD_USER_INPUT",
          field: "date",
        });
      }
      expect(codes(await report({ ...day(id), visitors: -1 }))).toEqual(["BAD_USER_INPUT"]);
      expect(codes(await report({ ...day(id), events: 5000 }))).toEqual(["BAD_USER_INPUT"]);
      expect(codes(await report({ ...day(id), openHours: 25 }))).toEqual(["BAD_USER_INPUT"]);
      expect(codes(await report({ ...day(id), date: "2025-02-30" }))).toEqual(["BAD_USER_INPUT"]);
      expect(codes(await report(day("THEIR-SATELLITE")))).toEqual(["FORBIDDEN"]);
      expect(codes(await report(day("NO-SUCH-SPACE")))).toEqual(["NOT_FOUND"]);
      expect(codes(await report(day(closed)))).toEqual(["SPACE_CLOSED"]);

      expect((await outboxRepository.list(t.agent.store)).length).toBe(before);
      expect(await stored(id)).toEqual([]);
      expect(await stored(closed)).toEqual([]);
      // The fabrique reports for itself too (it joined the network when the test began).
      const today = localDate(new Date(), "Europe/Paris");
      expect((await report(day(t.fabrique.id, today))).errors).toBeUndefined();
    });

    it("limits a satellite's token to its own space", async () => {
      const own = await createSatellite("Le Bercail");
      const other = await createSatellite("La Grange");
      const sat = await t.token({ role: "SATELLITE", spaceId: own });
      expect((await report(day(own), sat)).errors).toBeUndefined();
      expect(codes(await report(day(other), sat))).toEqual(["FORBIDDEN"]);
      expect(await stored(own, sat)).toHaveLength(1);
      const theirs = await t.gql(
        'query($id: ID!) { activity(spaceId: $id, from: "2025-01-01", to: "2025-12-31") { date } }',
        { id: other },
        sat,
      );
      expect(codes(theirs)).toEqual(["FORBIDDEN"]);
      const withdrawn = await t.gql(
        'mutation($id: ID!) { withdrawActivity(spaceId: $id, date: "2025-03-14") { date } }',
        { id: own },
        sat,
      );
      expect(codes(withdrawn)).toEqual(["FORBIDDEN"]);
      const csv = `space_id,date,visitors,events,participants,open_hours\n${own},2025-03-15,1,0,0,2\n${other},2025-03-15,1,0,0,2\n`;
      const imported = await importCsv(csv, sat);
      expect(codes(imported)).toEqual(["BAD_USER_INPUT"]);
      expect(imported.errors?.[0]?.extensions?.errors).toEqual([
        { line: 3, field: "space_id", message: expect.stringMatching(/own space/) },
      ]);
      expect(await activityEvents()).toHaveLength(1);
      const member = await t.token({ role: "MEMBER", memberId: "M1" });
      expect(codes(await report(day(own), member))).toEqual(["FORBIDDEN"]);
    });

    it("withdraws a day's report with a tombstone", async () => {
      const id = await createSatellite("Le Bercail");
      await report(day(id));
      const withdraw = () =>
        t.gql<{ withdrawActivity: { visitors: number } }>(
          'mutation($id: ID!) { withdrawActivity(spaceId: $id, date: "2025-03-14") { visitors } }',
          { id },
          admin,
        );
      expect((await withdraw()).data?.withdrawActivity).toEqual({ visitors: 42 });
      expect(codes(await withdraw())).toEqual(["NOT_FOUND"]);
      expect(await stored(id)).toEqual([]);
      expect((await activityEvents()).map((e) => [e.op, e.entityId, e.payload])).toEqual([
        ["UPSERT", `${id}:2025-03-14`, day(id)],
        ["DELETE", `${id}:2025-03-14`, null],
      ]);
    });

    it("imports a good CSV file in one transaction, a later line of the same day winning", async () => {
      const a = await createSatellite("Le Bercail");
      const b = await createSatellite("La Grange");
      const csv = [
        "space_id,date,visitors,events,participants,open_hours,note",
        `${a},2025-03-10,12,1,8,6,"atelier ""réparer"", puis café"`,
        `${a},2025-03-11,0,0,0,0,`,
        "",
        `${b},2025-03-10,30,2,25,"7,5",fermé tôt`,
        `${a},2025-03-10,14,1,9,6,recompté`,
      ].join("\r\n");
      const transaction = vi.spyOn(t.agent.store, "transaction");
      const r = await importCsv(csv);
      expect(r.errors).toBeUndefined();
      expect(r.data?.importActivity).toEqual({ imported: 3, emitted: 3 });
      expect(transaction).toHaveBeenCalledTimes(1);
      transaction.mockRestore();
      expect(await stored(a)).toEqual([
        {
          ...day(a, "2025-03-10"),
          visitors: 14,
          events: 1,
          participants: 9,
          openHours: 6,
          note: "recompté",
        },
        {
          ...day(a, "2025-03-11"),
          visitors: 0,
          events: 0,
          participants: 0,
          openHours: 0,
          note: null,
        },
      ]);
      expect(await stored(b)).toEqual([
        {
          ...day(b, "2025-03-10"),
          visitors: 30,
          events: 2,
          participants: 25,
          openHours: 7.5,
          note: "fermé tôt",
        },
      ]);
      expect(await activityEvents()).toHaveLength(3);
    });

    it("refuses in a CSV file a day before the space joined the network, naming the line", async () => {
      const a = await createSatellite("Le Bercail");
      const csv = [
        "space_id,date,visitors,events,participants,open_hours",
        `${a},2025-01-02,12,1,8,6`,
        `${a},2024-12-31,3,0,0,2`,
      ].join("\n");
      const r = await importCsv(csv);
      expect(codes(r)).toEqual(["BAD_USER_INPUT"]);
      const errors = r.errors?.[0]?.extensions?.errors as { line: number; field: string }[];
      expect(errors.map((e) => [e.line, e.field])).toEqual([[3, "date"]]);
      expect(await stored(a)).toEqual([]);
    });

    it("reports every bad line of a CSV file with its number and writes nothing", async () => {
      const a = await createSatellite("Le Bercail");
      const csv = [
        "space_id,date,visitors,events,participants,open_hours,note",
        `${a},2025-03-10,12,1,8,6,"une note, avec virgule"`,
        `${a},2025-03-11,-3,0,0,0,`,
        `${a},2025-03-12,5,0,2,4,`,
        `${a},2999-01-01,5,0,2,30,`,
        `NO-SUCH-SPACE,2025-03-12,5,0,2,4,`,
      ].join("\n");
      const before = (await outboxRepository.list(t.agent.store)).length;
      const r = await importCsv(csv);
      expect(codes(r)).toEqual(["BAD_USER_INPUT"]);
      const errors = r.errors?.[0]?.extensions?.errors as { line: number; field: string }[];
      expect(errors.map((e) => [e.line, e.field])).toEqual([
        [3, "visitors"],
        [5, "open_hours"],
      ]);
      expect(await stored(a)).toEqual([]);
      expect((await outboxRepository.list(t.agent.store)).length).toBe(before);

      // With the field errors fixed, the unknown space is reported, still writing nothing.
      const fixed = csv.replace(",-3,", ",3,").replace("2999-01-01,5,0,2,30", "2025-03-13,5,0,2,3");
      const second = await importCsv(fixed);
      expect(second.errors?.[0]?.extensions?.errors).toEqual([
        { line: 6, field: "space_id", message: "no space NO-SUCH-SPACE" },
      ]);
      expect(await stored(a)).toEqual([]);
      expect((await outboxRepository.list(t.agent.store)).length).toBe(before);
    });

    it("takes a CSV over HTTP from `maillage agent import-activity` with a node-signed token", async () => {
      const a = await createSatellite("Le Bercail");
      const send = (csv: string) =>
        sendActivityImport({
          dataDir: t.dataDir,
          csv,
          url: "http://agent.test",
          fetch: (url, init) => t.agent.fetch(url, init),
        });
      const header = "space_id,date,visitors,events,participants,open_hours";
      expect(await send(`${header}\n${a},2025-03-10,1,0,0,1\n`)).toEqual({
        ok: true,
        imported: 1,
        emitted: 1,
      });
      expect(await send(`${header}\n${a},2025-03-10,-1,0,0,1\n`)).toEqual({
        ok: false,
        errors: [{ line: 2, field: "visitors", message: "cannot be negative" }],
      });
      await expect(sendActivityImport({ dataDir: t.dataDir, csv: header })).rejects.toThrow(
        /not running/,
      );
    });

    it("skips other networks' activity pulled from the hub", async () => {
      t.hub.appendLog({
        originNodeId: "another-node",
        entity: "ACTIVITY",
        entityId: "THEIR-SATELLITE:2025-03-14",
        op: "UPSERT",
        payload: day("THEIR-SATELLITE"),
        targetNodeId: null,
      });
      t.hub.appendLog({
        originNodeId: "another-node",
        entity: "ACTIVITY",
        entityId: "THEIR-SATELLITE:2025-03-14",
        op: "DELETE",
        payload: null,
        targetNodeId: null,
      });
      const pulled = await t.agent.sync.pullNow();
      expect(pulled).toMatchObject({ kind: "caught-up", applied: 2 });
      expect(await stored("THEIR-SATELLITE")).toEqual([]);
    });
  });
}

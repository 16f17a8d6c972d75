import { ulid } from "ulid";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAgent } from "../../app.ts";
import { outboxRepository } from "../../outbox/outbox.repository.ts";
import { startTestAgent, type TestAgent } from "../../testing/fixture.ts";
import { subscribeSse } from "../../testing/sse.ts";
import { credentialRepository } from "../resources/credential.repository.ts";
import { enrolmentRepository } from "./enrolment.repository.ts";
import { trainingRepository } from "./training.repository.ts";

/**
 * Trainings across nodes at the agents: two agents enrolled with one fake hub, `organiser`
 * (its trainings) and `home` (its members enrol in them), driven by explicit pushes and pulls:
 * replicas and discovery, a remote enrolment with either side offline, a withdrawal promoting
 * another node's member, a decision the organiser alone can make, attendance issuing a
 * credential that gates a booking elsewhere, and the sweeper surviving a restart.
 */
describe("trainings across nodes", () => {
  let organiser: TestAgent;
  let home: TestAgent;
  let organiserAdmin: string;
  let homeAdmin: string;
  /** The organiser's clock runs this many ms ahead (attendance after the start). */
  let shift = 0;

  beforeAll(async () => {
    organiser = await startTestAgent("pglite", { now: () => new Date(Date.now() + shift) });
    home = await startTestAgent("pglite", {
      sharedHubOf: organiser,
      fabriqueName: "La Quincaillerie",
    });
    organiserAdmin = await organiser.admin();
    homeAdmin = await home.admin();
  });
  afterAll(async () => {
    await home?.close();
    await organiser?.close();
  });

  const HOUR = 3_600_000;
  let base = 0;
  beforeEach(async () => {
    await organiser.reset();
    await home.reset();
    shift = 0;
    base = Math.ceil(Date.now() / HOUR) * HOUR;
  });
  const at = (hours: number) => new Date(base + hours * HOUR).toISOString();

  type Errors = { errors?: { extensions?: Record<string, unknown> & { code?: string } }[] };
  const codes = (r: Errors) => r.errors?.map((e) => e.extensions?.code);
  const ENROLMENT = "id trainingId memberId status position offerExpiresAt reasonCode credentialId";
  type Enrolment = {
    id: string;
    status: string;
    position: number | null;
    reasonCode: string | null;
    credentialId: string | null;
  };

  async function ok<T>(promise: Promise<{ data?: T | null } & Errors>): Promise<T> {
    const r = await promise;
    expect(r.errors).toBeUndefined();
    return r.data as T;
  }
  async function push(t: TestAgent) {
    expect((await t.agent.sync.flush()).kind).toBe("idle");
  }
  async function pull(t: TestAgent) {
    expect((await t.agent.sync.pullNow()).kind).toBe("caught-up");
  }
  /** home → hub → organiser (decides) → hub → home. */
  async function roundTrip() {
    await push(home);
    await pull(organiser);
    await push(organiser);
    await pull(home);
  }

  async function createTraining(input: Record<string, unknown> = {}) {
    const data = await ok(
      organiser.gql<{ createTraining: { id: string }[] }>(
        "mutation($input: CreateTrainingInput!) { createTraining(input: $input) { id } }",
        {
          input: {
            spaceId: organiser.fabrique.id,
            title: "Sécurité découpeuse laser",
            topic: "MACHINE_SAFETY",
            venueSpaceId: organiser.fabrique.id,
            startsAt: at(48),
            endsAt: at(50),
            capacity: 10,
            scope: "NETWORK",
            ...input,
          },
        },
        organiserAdmin,
      ),
    );
    const id = data.createTraining[0]?.id as string;
    await push(organiser);
    await pull(home);
    return id;
  }

  async function members(t: TestAgent, names: string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const name of names) {
      const data = await ok(
        t.gql<{ registerMember: { id: string } }>(
          `mutation($home: ID!, $name: String!) { registerMember(homeSpaceId: $home, displayName: $name) { id } }`,
          { home: t.fabrique.id, name },
          t === home ? homeAdmin : organiserAdmin,
        ),
      );
      ids.push(data.registerMember.id);
    }
    return ids;
  }

  function enrol(t: TestAgent, trainingId: string, memberId: string, token: string) {
    return t.gql<{ enrol: Enrolment }>(
      `mutation($t: ID!, $m: ID!) { enrol(trainingId: $t, memberId: $m) { ${ENROLMENT} } }`,
      { t: trainingId, m: memberId },
      token,
    );
  }

  async function seen(t: TestAgent, id: string) {
    return enrolmentRepository.find(t.agent.store, id);
  }

  /** Subscribes over server-sent events; `stop` ends it and returns what came. */
  async function subscribe(t: TestAgent, query: string, token: string) {
    const { frames: items, stop } = await subscribeSse(t.agent.fetch, token, query);
    await new Promise((r) => setTimeout(r, 300));
    return {
      items,
      stop: async () => {
        await new Promise((r) => setTimeout(r, 300));
        await stop();
        return items;
      },
    };
  }

  it("adopts the trainings and places the hub hands over at enrolment, seats and waitlist recounted, and a replica follows the new owner", async () => {
    const nodeId = organiser.credentials.identity.nodeId;
    const trainingId = ulid();
    const [e0, e1, e2] = [ulid(), ulid(), ulid()];
    const [alice, bruno] = await members(organiser, ["Alice Martin", "Bruno Roux"]);
    const [camille, dominique] = await members(home, ["Camille Durand", "Dominique Petit"]);
    const payload = {
      spaceId: organiser.fabrique.id,
      title: "Sécurité découpeuse laser",
      topic: "MACHINE_SAFETY",
      tags: [],
      description: null,
      venueSpaceId: organiser.fabrique.id,
      onlineUrl: null,
      startsAt: at(48),
      endsAt: at(50),
      seriesId: null,
      capacity: 2,
      minimum: 0,
      decisionAt: null,
      scope: "NETWORK",
      prerequisites: [],
      grants: null,
      trainerName: null,
      cancelDeadlineMinutes: 0,
      offerHours: null,
      status: "SCHEDULED",
      cancelReasonCode: null,
      // The hub's counters, never trusted: the places adopted say 2 taken, 1 in line.
      seats: { taken: 5, waitlisted: 7, attended: 0, noShow: 0 },
    };
    const place = (memberId: string, status: string, position: number | null = null) => ({
      trainingId,
      memberId,
      status,
      position,
      offerExpiresAt: null,
      reasonCode: null,
      reason: null,
      credentialId: null,
      requestedAt: new Date(base - HOUR).toISOString(),
      updatedAt: new Date(base - HOUR).toISOString(),
    });
    const handover = (event: Record<string, unknown>) =>
      organiser.hub.appendLog({
        originNodeId: null,
        targetNodeId: nodeId,
        op: "UPSERT",
        ...event,
      } as Parameters<TestAgent["hub"]["appendLog"]>[0]);
    handover({ entity: "TRAINING", entityId: trainingId, payload });
    handover({ entity: "ENROLMENT", entityId: e0, payload: place(alice as string, "ENROLLED") });
    handover({
      entity: "ENROLMENT",
      entityId: e1,
      payload: place(camille as string, "ENROLLED"),
    });
    handover({
      entity: "ENROLMENT",
      entityId: e2,
      payload: place(dominique as string, "WAITLISTED", 1),
    });
    await pull(organiser);

    const adopted = await trainingRepository.find(organiser.agent.store, trainingId);
    expect(adopted).toMatchObject({
      owned: true,
      ownerNodeId: null,
      seats: { taken: 2, waitlisted: 1, attended: 0, noShow: 0 },
    });
    expect(await seen(organiser, e1)).toMatchObject({
      organisedHere: true,
      status: "ENROLLED",
    });
    // Organised here now: a local member enrols at once, behind the one already in line.
    const queued = (await ok(enrol(organiser, trainingId, bruno as string, organiserAdmin))).enrol;
    expect(queued).toMatchObject({ status: "WAITLISTED", position: 2 });
    // A seat given back goes to position 1, another node's member, told through the hub.
    await ok(
      organiser.gql(
        "mutation($id: ID!) { cancelEnrolment(id: $id) { id } }",
        { id: e0 },
        organiserAdmin,
      ),
    );
    expect(await seen(organiser, e2)).toMatchObject({ status: "ENROLLED", position: null });
    expect(await seen(organiser, queued.id)).toMatchObject({ status: "WAITLISTED", position: 1 });
    const sent = (await outboxRepository.unpushed(organiser.agent.store, 100)).filter(
      (e) => e.entity === "ENROLMENT" && e.entityId === e2,
    );
    expect(sent.map((e) => (e.payload as { status: string }).status)).toEqual(["ENROLLED"]);

    // At another node, a replica from the fabrique's previous node follows the new one.
    const replica = (originNodeId: string) =>
      home.hub.appendLog({
        originNodeId,
        targetNodeId: null,
        op: "UPSERT",
        entity: "TRAINING",
        entityId: "01JHREPLICA000000000000000",
        payload: {
          ...payload,
          spaceId: "01JHOTHERSPACE000000000000",
          venueSpaceId: null,
          onlineUrl: "https://visio.example/x",
        },
      } as Parameters<TestAgent["hub"]["appendLog"]>[0]);
    replica("01JHOLDNODE000000000000000");
    await pull(home);
    replica("01JHNEWNODE000000000000000");
    await pull(home);
    expect(
      await trainingRepository.find(home.agent.store, "01JHREPLICA000000000000000"),
    ).toMatchObject({ owned: false, ownerNodeId: "01JHNEWNODE000000000000000" });
  });

  it("replicates NETWORK trainings for discovery, offline too, and drops one gone LOCAL", async () => {
    const satellite = await ok(
      organiser.gql<{ createSatellite: { id: string } }>(
        `mutation { createSatellite(input: { name: "Le Bercail", communeCode: "07186" }) { id } }`,
        {},
        organiserAdmin,
      ),
    );
    const shared = await createTraining({
      venueSpaceId: satellite.createSatellite.id,
      tags: ["laser"],
    });
    const online = await createTraining({
      venueSpaceId: null,
      onlineUrl: "https://visio.example/mediation",
      topic: "DIGITAL_MEDIATION",
      scope: "NATIONAL",
    });
    const local = await createTraining({ scope: "LOCAL" });
    home.hub.down = true;
    const member = await home.token({ role: "MEMBER", memberId: "M-any" });
    const list = async (filter: Record<string, unknown>) =>
      (
        await ok(
          home.gql<{ trainings: { id: string; owned: boolean; ownerNodeId: string }[] }>(
            "query($f: TrainingFilter) { trainings(filter: $f) { id owned ownerNodeId } }",
            { f: filter },
            member,
          ),
        )
      ).trainings;
    expect((await list({})).map((tr) => tr.id)).toEqual([shared, online]);
    expect((await list({}))[0]).toMatchObject({
      owned: false,
      ownerNodeId: organiser.credentials.identity.nodeId,
    });
    expect((await list({ department: "07" })).map((tr) => tr.id)).toEqual([shared]);
    expect((await list({ region: "84", tag: "laser" })).map((tr) => tr.id)).toEqual([shared]);
    expect((await list({ online: true })).map((tr) => tr.id)).toEqual([online]);
    // Around a commune: the place's proximity (the satellite's commune, here).
    expect(
      (await list({ near: { communeCode: "07186", within: "COMMUNE" } })).map((tr) => tr.id),
    ).toEqual([shared]);
    expect(await list({ near: { communeCode: "75056", within: "DEPARTMENT" } })).toEqual([]);
    const badRegion = await home.gql(`{ trainings(filter: { region: "99" }) { id } }`, {}, member);
    expect(codes(badRegion)).toEqual(["BAD_USER_INPUT"]);
    expect((await list({ topic: "DIGITAL_MEDIATION", hasSeats: true })).map((tr) => tr.id)).toEqual(
      [online],
    );
    // Another network's LOCAL training is unknown here.
    const unknown = await home.gql<{ training: unknown }>(
      "query($id: ID!) { training(id: $id) { id } }",
      { id: local },
      member,
    );
    expect(unknown.data?.training).toBeNull();
    home.hub.down = false;
    // Back to LOCAL: the replica goes.
    await ok(
      organiser.gql(
        "mutation($id: ID!) { updateTraining(id: $id, input: { scope: LOCAL }) { id } }",
        { id: shared },
        organiserAdmin,
      ),
    );
    await push(organiser);
    await pull(home);
    expect(await trainingRepository.find(home.agent.store, shared)).toBeUndefined();
    expect((await list({})).map((tr) => tr.id)).toEqual([online]);
  });

  it("enrols another node's member: PENDING while the organiser is offline, decided when it is back, delivered to a requester that was offline", async () => {
    const trainingId = await createTraining({ capacity: 1 });
    const [camille, dominique] = await members(home, ["Camille Durand", "Dominique Petit"]);
    const member = await home.token({ role: "MEMBER", memberId: camille as string });
    const live = await subscribe(
      home,
      `subscription { enrolmentUpdated { id status position } }`,
      member,
    );
    // The organiser is offline: the request waits at the hub, PENDING at home.
    const made = (await ok(enrol(home, trainingId, camille as string, member))).enrol;
    expect(made.status).toBe("PENDING");
    const [request] = (await outboxRepository.list(home.agent.store)).filter(
      (e) => e.entity === "ENROLMENT_REQUEST",
    );
    expect(request?.payload).toMatchObject({
      trainingId,
      memberId: camille,
      acceptOffer: false,
      cancelled: false,
    });
    expect((request?.payload as { identityHash?: string } | undefined)?.identityHash).toMatch(
      /^sha256\$[0-9a-f]{64}$/,
    );
    // Nothing personal travels.
    expect(JSON.stringify(await outboxRepository.list(home.agent.store))).not.toMatch(
      /Camille|Durand/,
    );
    await push(home);
    const second = (await ok(enrol(home, trainingId, dominique as string, homeAdmin))).enrol;
    await push(home);
    expect((await seen(home, made.id))?.status).toBe("PENDING");

    // The organiser comes back and decides; the requester is offline meanwhile.
    await pull(organiser);
    expect((await seen(organiser, made.id))?.status).toBe("ENROLLED");
    expect(await seen(organiser, second.id)).toMatchObject({ status: "WAITLISTED", position: 1 });
    await push(organiser);
    expect((await seen(home, made.id))?.status).toBe("PENDING");
    // Back online, the decision arrives, live too.
    await pull(home);
    expect((await seen(home, made.id))?.status).toBe("ENROLLED");
    expect(await seen(home, second.id)).toMatchObject({ status: "WAITLISTED", position: 1 });
    const mine = await ok(
      home.gql<{
        myEnrolments: {
          id: string;
          status: string;
          training: { seats: { taken: number; waitlisted: number } };
        }[];
      }>("{ myEnrolments { id status training { seats { taken waitlisted } } } }", {}, member),
    );
    expect(mine.myEnrolments).toEqual([
      { id: made.id, status: "ENROLLED", training: { seats: { taken: 1, waitlisted: 1 } } },
    ]);
    expect(await live.stop()).toEqual([
      { data: { enrolmentUpdated: { id: made.id, status: "PENDING", position: null } } },
      { data: { enrolmentUpdated: { id: made.id, status: "ENROLLED", position: null } } },
    ]);
  });

  it("a withdrawal at home frees the seat at the organiser, which promotes position 1 of another node, and that node hears it", async () => {
    const trainingId = await createTraining({ capacity: 1, cancelDeadlineMinutes: 60 });
    const [first, next] = await members(home, ["Alix", "Basile"]);
    const a = (await ok(enrol(home, trainingId, first as string, homeAdmin))).enrol;
    await roundTrip();
    const b = (await ok(enrol(home, trainingId, next as string, homeAdmin))).enrol;
    await roundTrip();
    expect(await seen(home, b.id)).toMatchObject({ status: "WAITLISTED", position: 1 });
    const nextToken = await home.token({ role: "MEMBER", memberId: next as string });
    const live = await subscribe(
      home,
      "subscription { enrolmentUpdated { id status } }",
      nextToken,
    );
    const withdrawn = await ok(
      home.gql<{ cancelEnrolment: Enrolment }>(
        `mutation($id: ID!) { cancelEnrolment(id: $id) { ${ENROLMENT} } }`,
        { id: a.id },
        homeAdmin,
      ),
    );
    expect(withdrawn.cancelEnrolment).toMatchObject({
      status: "CANCELLED",
      reasonCode: "CANCELLED_BY_MEMBER",
    });
    await roundTrip();
    expect(await seen(organiser, a.id)).toMatchObject({ status: "CANCELLED" });
    expect(await seen(organiser, b.id)).toMatchObject({ status: "ENROLLED", position: null });
    expect(await seen(home, b.id)).toMatchObject({ status: "ENROLLED", position: null });
    expect(await live.stop()).toEqual([
      { data: { enrolmentUpdated: { id: b.id, status: "ENROLLED" } } },
    ]);
    // The organiser's statistics count it as a cross-node place, the withdrawal apart.
    const day = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Paris" }).format(
      new Date(at(48)),
    );
    const csv = await ok(
      organiser.gql<{ trainingStatisticsCsv: string }>(
        "query($d: String!) { trainingStatisticsCsv(from: $d, to: $d) }",
        { d: day },
        organiserAdmin,
      ),
    );
    const [header, line] = csv.trainingStatisticsCsv.trim().split("\r\n");
    const columns = (header ?? "").split(",");
    const row = Object.fromEntries((line ?? "").split(",").map((v, i) => [columns[i], v]));
    expect(row).toMatchObject({
      training_id: trainingId,
      seats_filled: "1",
      cross_node_enrolments: "1",
      cross_node_share: "1",
      cancellations: "1",
    });
    // The training's seats followed to the replica.
    expect((await trainingRepository.find(home.agent.store, trainingId))?.seats).toEqual({
      taken: 1,
      waitlisted: 0,
      attended: 0,
      noShow: 0,
    });
  });

  it("offers a seat freed by the organiser to another node's member, who accepts it at home; an offer let go passes on", async () => {
    const trainingId = await createTraining({ capacity: 1, offerHours: 2 });
    const [first, second, third] = await members(home, ["Alix", "Basile", "Chloé"]);
    const placed: Enrolment[] = [];
    for (const m of [first, second, third]) {
      placed.push((await ok(enrol(home, trainingId, m as string, homeAdmin))).enrol);
      await roundTrip();
    }
    const [a, b, c] = placed as [Enrolment, Enrolment, Enrolment];
    // The organiser takes the first place back: the seat is offered to the first in line.
    const removed = await ok(
      organiser.gql<{ removeEnrolment: Enrolment }>(
        `mutation($id: ID!) { removeEnrolment(id: $id, reason: "absent twice") { ${ENROLMENT} } }`,
        { id: a.id },
        organiserAdmin,
      ),
    );
    expect(removed.removeEnrolment).toMatchObject({
      status: "CANCELLED",
      reasonCode: "CANCELLED_BY_ORGANISER",
    });
    await push(organiser);
    await pull(home);
    expect(await seen(home, a.id)).toMatchObject({ status: "CANCELLED", reason: "absent twice" });
    expect((await seen(home, b.id))?.status).toBe("OFFERED");
    expect(await seen(home, c.id)).toMatchObject({ status: "WAITLISTED", position: 1 });
    // Accepted at home, in time: it travels, and the organiser answers ENROLLED.
    const member = await home.token({ role: "MEMBER", memberId: second as string });
    const accepted = await ok(
      home.gql<{ acceptEnrolmentOffer: Enrolment }>(
        `mutation($id: ID!) { acceptEnrolmentOffer(id: $id) { ${ENROLMENT} } }`,
        { id: b.id },
        member,
      ),
    );
    expect(accepted.acceptEnrolmentOffer.status).toBe("OFFERED");
    await roundTrip();
    expect((await seen(organiser, b.id))?.status).toBe("ENROLLED");
    expect((await seen(home, b.id))?.status).toBe("ENROLLED");
    // That seat freed again: offered to the next, who lets it go; it expires at the organiser.
    await ok(
      home.gql("mutation($id: ID!) { cancelEnrolment(id: $id) { id } }", { id: b.id }, homeAdmin),
    );
    await roundTrip();
    expect((await seen(home, c.id))?.status).toBe("OFFERED");
    shift = 3 * HOUR;
    expect(await organiser.agent.services.enrolments.sweep()).toBe(1);
    await push(organiser);
    await pull(home);
    expect(await seen(home, c.id)).toMatchObject({
      status: "CANCELLED",
      reasonCode: "OFFER_EXPIRED",
    });
  });

  it("the organiser declines what only it can decide, with the documented code", async () => {
    const trainingId = await createTraining();
    const [camille] = await members(home, ["Camille"]);
    const made = (await ok(enrol(home, trainingId, camille as string, homeAdmin))).enrol;
    // Gone LOCAL while the request travelled: another network's members are declined.
    await ok(
      organiser.gql(
        "mutation($id: ID!) { updateTraining(id: $id, input: { scope: LOCAL }) { id } }",
        { id: trainingId },
        organiserAdmin,
      ),
    );
    await roundTrip();
    expect(await seen(home, made.id)).toMatchObject({
      status: "DECLINED",
      reasonCode: "TRAINING_NOT_SHARED",
    });
    // A replica at home cannot be changed there; the organiser's members are not enrolled from here.
    const foreign = await ok(
      organiser.gql<{ registerMember: { id: string } }>(
        `mutation($h: ID!) { registerMember(homeSpaceId: $h, displayName: "Eli") { id } }`,
        { h: organiser.fabrique.id },
        organiserAdmin,
      ),
    );
    const other = await createTraining();
    await push(organiser);
    await pull(home);
    expect(codes(await enrol(home, other, foreign.registerMember.id, homeAdmin))).toEqual([
      "FORBIDDEN",
    ]);
    expect(
      codes(
        await home.gql(
          "mutation($id: ID!) { cancelTraining(id: $id) { id } }",
          { id: other },
          homeAdmin,
        ),
      ),
    ).toEqual(["FORBIDDEN"]);
  });

  it("attendance recorded offline issues the credential, which reaches the member's home and gates a booking there", async () => {
    const trainingId = await createTraining({
      grants: { type: "laser-safety", validityDays: 365 },
    });
    const [camille] = await members(home, ["Camille"]);
    const made = (await ok(enrol(home, trainingId, camille as string, homeAdmin))).enrol;
    await roundTrip();
    const laser = await ok(
      home.gql<{ createResource: { id: string } }>(
        `mutation($s: ID!) { createResource(input: { spaceId: $s, name: "Laser", category: MACHINE,
           requiredCredential: "laser-safety", rules: { minMinutes: 30, maxMinutes: 240 } }) { id } }`,
        { s: home.fabrique.id },
        homeAdmin,
      ),
    );
    const book = () =>
      home.gql(
        `mutation($r: ID!, $m: ID!, $s: DateTime!, $e: DateTime!) {
           book(resourceId: $r, startsAt: $s, endsAt: $e, forMemberId: $m) { id } }`,
        { r: laser.createResource.id, m: camille, s: at(100), e: at(101) },
        homeAdmin,
      );
    expect(codes(await book())).toEqual(["CREDENTIAL_REQUIRED"]);

    const attend = (status: string) =>
      organiser.gql<{ markAttendance: Enrolment }>(
        `mutation($id: ID!, $s: AttendanceStatus!) { markAttendance(id: $id, status: $s) { ${ENROLMENT} } }`,
        { id: made.id, s: status },
        organiserAdmin,
      );
    const early = await attend("ATTENDED");
    expect(early.errors?.[0]?.extensions).toMatchObject({
      code: "INVALID_TRANSITION",
      reason: "NOT_STARTED",
    });
    // During the training, the hub unreachable: recorded all the same.
    shift = 49 * HOUR;
    organiser.hub.down = true;
    const attended = (await ok(attend("ATTENDED"))).markAttendance;
    expect(attended.status).toBe("ATTENDED");
    expect(attended.credentialId).not.toBeNull();
    const issued = await credentialRepository.find(
      organiser.agent.store,
      attended.credentialId as string,
    );
    expect(issued).toMatchObject({ memberId: camille, type: "laser-safety", owned: true });
    expect(
      Math.round(
        ((issued?.expiresAt?.getTime() ?? 0) - (issued?.issuedAt.getTime() ?? 0)) / 86_400_000,
      ),
    ).toBe(365);
    // The place goes before the credential (the hub accepts it once it holds the attendance).
    const order = (await outboxRepository.list(organiser.agent.store))
      .filter((e) => e.entity === "ENROLMENT" || e.entity === "CREDENTIAL")
      .slice(-3)
      .map((e) => e.entity);
    expect(order).toEqual(["ENROLMENT", "CREDENTIAL", "ENROLMENT"]);
    organiser.hub.down = false;
    await push(organiser);
    await pull(home);
    expect(await seen(home, made.id)).toMatchObject({
      status: "ATTENDED",
      credentialId: attended.credentialId,
    });
    expect(
      await credentialRepository.find(home.agent.store, attended.credentialId as string),
    ).toMatchObject({
      memberId: camille,
      owned: false,
    });
    expect((await book()).errors).toBeUndefined();

    // Corrected to NO_SHOW: the credential is revoked everywhere.
    const corrected = (await ok(attend("NO_SHOW"))).markAttendance;
    expect(corrected).toMatchObject({ status: "NO_SHOW", credentialId: null });
    await push(organiser);
    await pull(home);
    expect(
      await credentialRepository.find(home.agent.store, attended.credentialId as string),
    ).toBeUndefined();
    expect((await trainingRepository.find(home.agent.store, trainingId))?.seats).toMatchObject({
      attended: 0,
      noShow: 1,
    });
    // Revoked, it no longer opens the resource.
    const again = await home.gql(
      `mutation($r: ID!, $m: ID!, $s: DateTime!, $e: DateTime!) {
         book(resourceId: $r, startsAt: $s, endsAt: $e, forMemberId: $m) { id } }`,
      { r: laser.createResource.id, m: camille, s: at(110), e: at(111) },
      homeAdmin,
    );
    expect(codes(again)).toEqual(["CREDENTIAL_REQUIRED"]);
  });

  it("cancels under its minimum at the decision deadline after a restart just before it, and every enrolled node is told", async () => {
    const trainingId = await createTraining({ minimum: 3, decisionAt: at(24) });
    const [camille, dominique] = await members(home, ["Camille", "Dominique"]);
    const a = (await ok(enrol(home, trainingId, camille as string, homeAdmin))).enrol;
    const b = (await ok(enrol(home, trainingId, dominique as string, homeAdmin))).enrol;
    await roundTrip();
    expect((await seen(home, b.id))?.status).toBe("ENROLLED");
    // The organiser stops before the deadline and comes back after it (its clock a day on):
    // the store says what is due.
    await organiser.agent.stop();
    shift = 25 * HOUR;
    const again = await createAgent(organiser.agent.config, {
      fetch: organiser.hub.fetch,
      now: () => new Date(Date.now() + shift),
    });
    try {
      await again.start();
      expect(await trainingRepository.find(again.store, trainingId)).toMatchObject({
        status: "CANCELLED",
        cancelReasonCode: "MINIMUM_NOT_REACHED",
      });
      expect((await again.sync.flush()).kind).toBe("idle");
      await pull(home);
      for (const id of [a.id, b.id]) {
        expect(await seen(home, id)).toMatchObject({
          status: "CANCELLED",
          reasonCode: "MINIMUM_NOT_REACHED",
        });
      }
      expect((await trainingRepository.find(home.agent.store, trainingId))?.status).toBe(
        "CANCELLED",
      );
    } finally {
      await again.stop();
    }
  });
});

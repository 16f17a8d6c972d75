import { issueAgentToken } from "@maillage/node-agent";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { agentApi } from "../support/agent-api.ts";
import {
  type ClusterAgent,
  type ClusterHub,
  Resources,
  startClusterAgent,
  startClusterHub,
} from "../support/sync-cluster.ts";

/**
 * Trainings across nodes, end to end: a real hub and two real agents, one hub and the same
 * agents for every test of the file. The organiser (A) runs trainings; members homed at B
 * enrol from there. Requests travel B → hub → A, answers A → hub → B — with either side
 * offline on the way; promotions, cancellations for want of a minimum and credentials earned
 * by attendance reach B.
 */
const WAIT = { timeout: 20_000, interval: 50 };

type Enrolment = {
  id: string;
  status: string;
  position: number | null;
  reasonCode: string | null;
  credentialId: string | null;
};
const ENROLMENT = "id status position reasonCode credentialId";

describe("trainings across nodes, end to end", () => {
  let hub: ClusterHub;
  let a: ClusterAgent;
  let b: ClusterAgent;
  /** A's clock runs this many ms ahead (attendance during the training). */
  let shift = 0;
  const resources = new Resources();

  beforeAll(async () => {
    hub = await startClusterHub("pglite");
    a = resources.add(
      await startClusterAgent(hub, {
        name: "A",
        backend: "pglite",
        now: () => new Date(Date.now() + shift),
      }),
    );
    b = resources.add(
      await startClusterAgent(hub, { name: "B", backend: "pglite", communeCode: "23096" }),
    );
  }, 120_000);
  afterEach(async () => {
    shift = 0;
    if (!hub.running) await hub.start();
    if (!a.running) await a.start();
    if (!b.running) await b.start();
  });
  afterAll(async () => {
    await resources.closeAll();
    await hub?.close();
  });

  async function ok<T>(
    agent: ClusterAgent,
    query: string,
    variables: Record<string, unknown> = {},
  ) {
    const r = await agent.gql<T>(query, variables);
    const error = r.errors?.[0];
    if (error || !r.data) {
      throw new Error(`${agent.name}: ${error?.extensions?.code} ${error?.message ?? "no data"}`);
    }
    return r.data;
  }

  const inHours = (hours: number) =>
    new Date(Math.ceil((Date.now() + hours * 3_600_000) / 60_000) * 60_000).toISOString();

  /** A shares a NETWORK training; B has its replica. */
  async function share(input: Record<string, unknown> = {}) {
    const data = await ok<{ createTraining: { id: string }[] }>(
      a,
      "mutation($i: CreateTrainingInput!) { createTraining(input: $i) { id } }",
      {
        i: {
          spaceId: a.fabriqueId,
          title: "Sécurité découpeuse laser",
          topic: "MACHINE_SAFETY",
          venueSpaceId: a.fabriqueId,
          startsAt: inHours(48),
          endsAt: inHours(50),
          capacity: 1,
          scope: "NETWORK",
          ...input,
        },
      },
    );
    const id = data.createTraining[0]?.id as string;
    await vi.waitFor(async () => {
      expect(await b.query("SELECT 1 FROM training WHERE id = $1", [id])).toHaveLength(1);
    }, WAIT);
    return id;
  }

  async function enrolAtB(trainingId: string, memberId: string) {
    const data = await ok<{ enrol: Enrolment }>(
      b,
      `mutation($t: ID!, $m: ID!) { enrol(trainingId: $t, memberId: $m) { ${ENROLMENT} } }`,
      { t: trainingId, m: memberId },
    );
    return data.enrol;
  }

  async function atB(id: string) {
    const data = await ok<{ enrolments: Enrolment[] }>(b, `{ enrolments { ${ENROLMENT} } }`);
    return data.enrolments.find((e) => e.id === id);
  }

  async function atHub(id: string) {
    const [row] = await hub.query<{ status: string }>(
      "SELECT status FROM enrolment WHERE id = $1",
      [id],
    );
    return row?.status;
  }

  it("decides a request made while the organiser was offline once it is back, and delivers it to a requester offline meanwhile; a withdrawal promotes the next, whose node hears it", async () => {
    const trainingId = await share();
    const first = await agentApi(b).registerMember(b.fabriqueId, "Camille Durand");
    const second = await agentApi(b).registerMember(b.fabriqueId, "Dominique Petit");
    await a.stop();
    const made = await enrolAtB(trainingId, first);
    expect(made.status).toBe("PENDING");
    await vi.waitFor(async () => {
      const rows = await hub.query("SELECT 1 FROM enrolment_request WHERE id = $1", [made.id]);
      expect(rows).toHaveLength(1);
    }, WAIT);
    // Nobody decides for A: still pending. Then B goes offline and A comes back.
    expect((await atB(made.id))?.status).toBe("PENDING");
    await b.stop();
    await a.start();
    await vi.waitFor(async () => expect(await atHub(made.id)).toBe("ENROLLED"), WAIT);
    await b.start();
    await vi.waitFor(async () => expect((await atB(made.id))?.status).toBe("ENROLLED"), WAIT);

    // The second one waits in line; when the first withdraws, A promotes it and B hears it live.
    const waiting = await enrolAtB(trainingId, second);
    await vi.waitFor(
      async () =>
        expect(await atB(waiting.id)).toMatchObject({ status: "WAITLISTED", position: 1 }),
      WAIT,
    );
    const heard: string[] = [];
    const live = b.agent.services.pubsub.subscribe("enrolmentUpdated");
    const listening = (async () => {
      for await (const update of live)
        heard.push(`${update.enrolment.id}:${update.enrolment.status}`);
    })();
    await ok(b, "mutation($id: ID!) { cancelEnrolment(id: $id) { id } }", { id: made.id });
    await vi.waitFor(
      async () =>
        expect(await atB(waiting.id)).toMatchObject({ status: "ENROLLED", position: null }),
      WAIT,
    );
    await vi.waitFor(() => expect(heard).toContain(`${waiting.id}:ENROLLED`), WAIT);
    await live.return?.();
    await listening;
    expect(await atHub(made.id)).toBe("CANCELLED");
    // The personal data stayed at B.
    const names = await hub.query(
      "SELECT count(*)::int AS n FROM change_log WHERE payload::text ~ 'Camille|Dominique'",
    );
    expect(names).toEqual([{ n: 0 }]);
  });

  it("cancels a training under its minimum at its decision deadline, and the enrolled member's node is told", async () => {
    const decisionAt = inHours(24);
    const trainingId = await share({ capacity: 5, minimum: 3, decisionAt });
    const member = await agentApi(b).registerMember(b.fabriqueId, "Alix");
    const made = await enrolAtB(trainingId, member);
    await vi.waitFor(async () => expect((await atB(made.id))?.status).toBe("ENROLLED"), WAIT);
    // A's clock moves to half a second before the deadline; its timer, set again, fires at it.
    shift = Date.parse(decisionAt) - Date.now() - 500;
    a.agent.services.enrolments.rearm();
    await vi.waitFor(
      async () =>
        expect(await atB(made.id)).toMatchObject({
          status: "CANCELLED",
          reasonCode: "MINIMUM_NOT_REACHED",
        }),
      WAIT,
    );
    const [training] = await b.query<{ status: string; cancel_reason_code: string }>(
      "SELECT status, cancel_reason_code FROM training WHERE id = $1",
      [trainingId],
    );
    expect(training).toEqual({ status: "CANCELLED", cancel_reason_code: "MINIMUM_NOT_REACHED" });
  });

  it("issues the credential of an attendance recorded offline; it reaches the member's node, which then accepts a booking that needs it", async () => {
    const trainingId = await share({ grants: { type: "laser-safety", validityDays: 365 } });
    const member = await agentApi(b).registerMember(b.fabriqueId, "Basile");
    const made = await enrolAtB(trainingId, member);
    await vi.waitFor(async () => expect((await atB(made.id))?.status).toBe("ENROLLED"), WAIT);
    const laser = await ok<{ createResource: { id: string } }>(
      b,
      `mutation($s: ID!) { createResource(input: { spaceId: $s, name: "Laser", category: MACHINE,
         requiredCredential: "laser-safety", rules: { minMinutes: 30, maxMinutes: 240 } }) { id } }`,
      { s: b.fabriqueId },
    );
    const book = () =>
      b.gql(
        `mutation($r: ID!, $m: ID!, $s: DateTime!, $e: DateTime!) {
           book(resourceId: $r, startsAt: $s, endsAt: $e, forMemberId: $m) { id } }`,
        { r: laser.createResource.id, m: member, s: inHours(100), e: inHours(101) },
      );
    expect((await book()).errors?.[0]?.extensions?.code).toBe("CREDENTIAL_REQUIRED");

    // During the training, A records the attendance with the hub down.
    shift = 49 * 3_600_000;
    await hub.stop();
    const attended = await ok<{ markAttendance: Enrolment }>(
      a,
      `mutation($id: ID!) { markAttendance(id: $id, status: ATTENDED) { ${ENROLMENT} } }`,
      { id: made.id },
    );
    expect(attended.markAttendance.status).toBe("ATTENDED");
    const credentialId = attended.markAttendance.credentialId as string;
    await hub.start();
    await vi.waitFor(async () => {
      const rows = await b.query("SELECT member_id FROM credential WHERE id = $1", [credentialId]);
      expect(rows).toEqual([{ member_id: member }]);
    }, WAIT);
    expect(await atB(made.id)).toMatchObject({ status: "ATTENDED", credentialId });
    expect((await book()).errors).toBeUndefined();
    // The member sees it at home, as a member.
    const token = await issueAgentToken({
      dataDir: b.agent.config.dataDir,
      role: "MEMBER",
      memberId: member,
    });
    const response = await b.agent.fetch("http://agent.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: "{ myEnrolments { id status credentialId } }" }),
    });
    expect(((await response.json()) as { data: unknown }).data).toEqual({
      myEnrolments: [{ id: made.id, status: "ATTENDED", credentialId }],
    });
  });
});

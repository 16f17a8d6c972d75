import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { issueAgentToken } from "../../packages/node-agent/src/identity/tokens.ts";
import { subscribeSse } from "../../packages/node-agent/src/testing/sse.ts";
import { agentApi } from "../support/agent-api.ts";
import {
  type ClusterAgent,
  type ClusterHub,
  Resources,
  startClusterAgent,
  startClusterHub,
} from "../support/sync-cluster.ts";

/**
 * The pass and visits end to end: a real hub and two real agents. A's member consents to show
 * its email, presents its pass at B with the email chosen, B checks it in while the hub is down
 * (verified from A's node key B holds), and once the hub is back the visit reaches A exactly
 * once: the member and A's team see it, live; the email stays at B. A's revocation then reaches
 * B, which refuses the pass.
 */
const WAIT = { timeout: 20_000, interval: 50 };

describe("the pass and a visit between two networks, end to end", () => {
  let hub: ClusterHub;
  let a: ClusterAgent;
  let b: ClusterAgent;
  const resources = new Resources();

  beforeAll(async () => {
    hub = await startClusterHub("pglite");
    a = resources.add(await startClusterAgent(hub, { name: "A", backend: "pglite" }));
    b = resources.add(
      await startClusterAgent(hub, { name: "B", backend: "pglite", communeCode: "23096" }),
    );
  }, 120_000);
  afterAll(async () => {
    await resources.closeAll();
    await hub?.close();
  });

  const gqlAs = async <T>(
    at: ClusterAgent,
    token: string,
    query: string,
    variables: Record<string, unknown> = {},
  ) => {
    const response = await at.agent.fetch("http://agent.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as {
      data?: T;
      errors?: { extensions?: { code?: string } }[];
    };
  };

  it("checks A's member in at B offline; the visit reaches A once; the email stays at B; A's revocation reaches B", async () => {
    const memberId = await agentApi(a).registerMember(
      a.fabriqueId,
      "Maël Garnier",
      "mael@example.org",
    );
    const member = await issueAgentToken({
      dataDir: a.agent.config.dataDir,
      role: "MEMBER",
      memberId,
      ttl: "1h",
    });
    const consent = await gqlAs<{ setPassConsent: { id: string } }>(
      a,
      member,
      "mutation($m: ID!) { setPassConsent(memberId: $m, fields: [EMAIL]) { id } }",
      { m: memberId },
    );
    const passId = consent.data?.setPassConsent.id as string;
    expect(passId).toBeTruthy();
    const shown = await gqlAs<{ memberPass: { presentation: { sdJwt: string } } }>(
      a,
      member,
      "query($m: ID!) { memberPass(memberId: $m) { presentation(disclose: [EMAIL]) { sdJwt } } }",
      { m: memberId },
    );
    const pass = shown.data?.memberPass.presentation.sdJwt as string;
    // B holds A's node key and the pass's replica (sent through the hub).
    await vi.waitFor(async () => {
      expect(await b.query("SELECT 1 FROM node_key WHERE node_id = $1", [a.nodeId])).toHaveLength(
        1,
      );
      expect(await b.query("SELECT status FROM pass WHERE id = $1", [passId])).toEqual([
        { status: "ACTIVE" },
      ]);
    }, WAIT);

    // A's member and team follow visits live.
    const live = await subscribe(a, member);

    await hub.stop();
    const checkIn = await b.gql<{ checkIn: { id: string; disclosure: { email: string } } }>(
      "mutation($i: CheckInInput!) { checkIn(input: $i) { id disclosure { email } } }",
      { i: { spaceId: b.fabriqueId, pass } },
    );
    expect(checkIn.errors).toBeUndefined();
    const visitId = checkIn.data?.checkIn.id as string;
    expect(checkIn.data?.checkIn.disclosure).toEqual({ email: "mael@example.org" });
    await hub.start();

    await vi.waitFor(async () => {
      expect(await a.query("SELECT id, owned FROM visit")).toEqual([{ id: visitId, owned: false }]);
    }, WAIT);
    const mine = await gqlAs<{ myVisits: { id: string; spaceId: string; disclosure: null }[] }>(
      a,
      member,
      "{ myVisits { id spaceId disclosure { email } } }",
    );
    expect(mine.data?.myVisits).toEqual([{ id: visitId, spaceId: b.fabriqueId, disclosure: null }]);
    const team = await a.gql<{ memberVisits: { id: string }[] }>("{ memberVisits { id } }");
    expect(team.data?.memberVisits).toEqual([{ id: visitId }]);
    await vi.waitFor(async () => expect(live.ids()).toContain(visitId), WAIT);
    await live.stop();
    // The email stays at B: not at A's visit, not at the hub.
    expect(await a.query("SELECT 1 FROM visit_disclosure")).toHaveLength(0);
    expect(await b.query("SELECT email FROM visit_disclosure")).toEqual([
      { email: "mael@example.org" },
    ]);
    const atHub = await hub.query(
      "SELECT 1 FROM change_log WHERE payload::text LIKE '%mael@example.org%'",
    );
    expect(atHub).toHaveLength(0);

    // A's team revokes (LEFT); B refuses the pass and its short code.
    const revoked = await a.gql<{ revokePass: { status: string } }>(
      "mutation($p: ID!) { revokePass(passId: $p, reason: LEFT) { status } }",
      { p: passId },
    );
    expect(revoked.data?.revokePass.status).toBe("REVOKED");
    await vi.waitFor(async () => {
      expect(await b.query("SELECT revocation_reason FROM pass WHERE id = $1", [passId])).toEqual([
        { revocation_reason: "LEFT" },
      ]);
    }, WAIT);
    const refused = await b.gql("mutation($i: CheckInInput!) { checkIn(input: $i) { id } }", {
      i: { spaceId: b.fabriqueId, pass },
    });
    expect(refused.errors?.[0]?.extensions?.code).toBe("PASS_REVOKED");
    expect(await b.query("SELECT 1 FROM visit")).toHaveLength(1);
  });

  async function subscribe(at: ClusterAgent, token: string) {
    const sub = await subscribeSse(at.agent.fetch, token, "subscription { visitRecorded { id } }");
    return {
      ids: () =>
        sub
          .text()
          .split("\n")
          .filter((l) => l.startsWith("data:"))
          .map((l) => JSON.parse(l.slice(5)) as { data?: { visitRecorded: { id: string } } })
          .flatMap((d) => (d.data ? [d.data.visitRecorded.id] : [])),
      async stop() {
        await sub.stop();
      },
    };
  }
});

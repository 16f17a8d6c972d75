// Check-in with pass verification at a node agent (issue 11; goal p95 ≤ 50 ms). Called by
// `npm run bench:mobility` (the hub's bench script) through `benchCheckIn`; runnable alone:
// `npx tsx tests/bench/mobility-checkin.ts [iterations]`.
//
// One enrolled agent — on a throwaway PostgreSQL database of DATABASE_URL's server when
// DATABASE_URL is set, else on embedded PGlite (a copy of the migrated template) — the hub
// unreachable the whole time: verification is offline. A member homed at another node of the
// network (its key replicated as NODE_KEY, as the hub sends it) presents a pass with two
// disclosures; the visited team's token calls `checkIn` over the agent's GraphQL endpoint in
// process. Measured per call: the whole request — parsing, token check, SD-JWT signature and
// digests, PASS replica lookup, the Visit, its VISIT event in the outbox and the disclosure row
// in one transaction. A warm-up of 20 calls is not counted.
import { exportJWK, generateKeyPair } from "jose";
import { ulid } from "ulid";
import { percentile } from "../../packages/hub/bench/support/stats.ts";
import { issueSdJwt, present } from "../../packages/node-agent/src/modules/mobility/sd-jwt.ts";
import { startTestAgent } from "../../packages/node-agent/src/testing/fixture.ts";

const WARM_UP = 20;
const BACKEND = process.env.DATABASE_URL ? "postgres" : "pglite";

export async function benchCheckIn(opts: {
  iterations: number;
}): Promise<{ medianMs: number; p95Ms: number }> {
  const t = await startTestAgent(BACKEND);
  try {
    const admin = await t.admin();
    expectCaughtUp((await t.agent.sync.pullNow()).kind);
    // Another node of the network: its key reaches this agent by pull, like the hub's NODE_KEY.
    const other = { nodeId: ulid(), fabriqueId: ulid() };
    const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const { x } = await exportJWK(publicKey);
    t.hub.appendLog({
      originNodeId: null,
      targetNodeId: null,
      entity: "NODE_KEY",
      entityId: other.nodeId,
      op: "UPSERT",
      payload: { fabriqueId: other.fabriqueId, publicJwk: { kty: "OKP", crv: "Ed25519", x } },
    });
    expectCaughtUp((await t.agent.sync.pullNow()).kind);
    const now = Date.now();
    const issued = await issueSdJwt(
      {
        passId: ulid(),
        nodeId: other.nodeId,
        memberId: ulid(),
        homeSpaceId: other.fabriqueId,
        validFrom: new Date(now - 86_400_000),
        validUntil: new Date(now + 300 * 86_400_000),
        issuedAt: new Date(now - 86_400_000),
      },
      { firstName: "Camille", email: "camille@example.org", organisation: "Atelier" },
      privateKey,
    );
    const pass = present(issued, ["firstName", "email"]);
    t.hub.down = true;
    const body = JSON.stringify({
      query: "mutation($i: CheckInInput!) { checkIn(input: $i) { id disclosure { email } } }",
      variables: { i: { spaceId: t.fabrique.id, pass } },
    });
    const init = {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${admin}` },
      body,
    };
    const times: number[] = [];
    for (let i = 0; i < WARM_UP + opts.iterations; i++) {
      const started = performance.now();
      const response = await t.agent.fetch("http://agent.bench/graphql", init);
      const json = (await response.json()) as { errors?: unknown; data?: { checkIn?: unknown } };
      const elapsed = performance.now() - started;
      if (json.errors || !json.data?.checkIn) {
        throw new Error(`check-in failed: ${JSON.stringify(json.errors)}`);
      }
      if (i >= WARM_UP) times.push(elapsed);
    }
    return { medianMs: percentile(times, 50), p95Ms: percentile(times, 95) };
  } finally {
    await t.close();
  }
}

function expectCaughtUp(kind: string) {
  if (kind !== "caught-up") throw new Error(`pull did not catch up: ${kind}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const iterations = Number(process.argv[2] ?? 500);
  const { medianMs, p95Ms } = await benchCheckIn({ iterations });
  console.log(
    `check-in with pass verification (agent, ${BACKEND}, hub unreachable), ${iterations} calls: median ${medianMs.toFixed(1)} ms, p95 ${p95Ms.toFixed(1)} ms (goal ≤ 50 ms)`,
  );
}

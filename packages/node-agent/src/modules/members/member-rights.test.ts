import { ulid } from "ulid";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLocalWriter } from "../../outbox/local-writer.ts";
import { outboxRepository } from "../../outbox/outbox.repository.ts";
import { startTestAgent, type TestAgent } from "../../testing/fixture.ts";

/**
 * A member's rights at one agent (a fake hub): the export, who may have it; erasure at home
 * (pass, credentials, visits); a pulled erasure of another node's member (visits, disclosures,
 * pass replicas, and the credentials this node issued to it). End to end with a real hub and
 * two agents: tests/mobility/privacy.test.ts.
 */
describe("a member's rights at an agent", () => {
  let t: TestAgent;
  let admin: string;
  let member: string;

  const pull = async () => expect((await t.agent.sync.pullNow()).kind).toBe("caught-up");
  const sql = <R = Record<string, unknown>>(text: string, params: unknown[] = []) =>
    t.agent.store.query<R>(text, params);
  const visit = (memberId: string, owned: boolean) =>
    sql(
      `INSERT INTO visit (id, member_id, home_space_id, space_id, day, arrived_at, method, pass_id, owned)
       VALUES ($1, $2, 'somewhere', $3, current_date, now() - interval '1 hour', 'PASS', 'p', $4)
       RETURNING id`,
      [ulid(), memberId, t.fabrique.id, owned],
    );
  const exportOf = (id: string, token: string) =>
    t.gql<{ memberDataExport: string }>(
      "query($m: ID!) { memberDataExport(memberId: $m) }",
      { m: id },
      token,
    );

  beforeAll(async () => {
    t = await startTestAgent("pglite");
  }, 60_000);
  afterAll(async () => t?.close());
  beforeEach(async () => {
    await t.reset();
    admin = await t.admin();
    await pull();
    const data = await t.gql<{ registerMember: { id: string } }>(
      `mutation($home: ID!) { registerMember(homeSpaceId: $home, displayName: "Ninon Aubert",
         email: "ninon@exemple.fr", phone: "+33 4 75 11 22 33") { id } }`,
      { home: t.fabrique.id },
      admin,
    );
    member = data.data?.registerMember.id as string;
    expect(member).toBeTruthy();
  });

  it("exports everything held about a member to the member or its home team, to nobody else", async () => {
    await t.gql("mutation($m: ID!) { renewPass(memberId: $m) { id } }", { m: member }, admin);
    await t.gql(
      `mutation($m: ID!) { grantCredential(memberId: $m, type: "laser-safety") { id } }`,
      { m: member },
      admin,
    );
    await visit(member, false);
    const own = await exportOf(member, await t.token({ role: "MEMBER", memberId: member }));
    expect(own.errors).toBeUndefined();
    const data = JSON.parse(own.data?.memberDataExport ?? "{}");
    expect(data.member).toMatchObject({
      id: member,
      email: "ninon@exemple.fr",
      display_name: "Ninon Aubert",
    });
    expect(data.consent).toEqual([]);
    expect(data.passes).toHaveLength(1);
    expect(data.visits).toHaveLength(1);
    expect(data.credentials.map((c: { type: string }) => c.type)).toEqual(["laser-safety"]);
    for (const key of ["disclosures", "bookings", "bookingRequests", "enrolments"]) {
      expect(data[key]).toEqual([]);
    }
    expect((await exportOf(member, admin)).errors).toBeUndefined();

    const code = async (id: string, token: string) =>
      (await exportOf(id, token)).errors?.[0]?.extensions?.code;
    expect(await code(member, await t.token({ role: "MEMBER", memberId: "someone-else" }))).toBe(
      "FORBIDDEN",
    );
    expect(await code(member, await t.token({ role: "SATELLITE", spaceId: "another-space" }))).toBe(
      "FORBIDDEN",
    );
    expect(await code("not-here", admin)).toBe("NOT_FOUND");
    expect(
      (await t.gql(`{ memberDataExport(memberId: "${member}") }`)).errors?.[0]?.extensions?.code,
    ).toBe("UNAUTHENTICATED");
  });

  it("erases at home: pass revoked and stripped, credentials revoked in the status list and deleted, visits anonymous", async () => {
    const pass = await t.gql<{ renewPass: { id: string } }>(
      "mutation($m: ID!) { renewPass(memberId: $m) { id } }",
      { m: member },
      admin,
    );
    const granted = await t.gql<{ grantCredential: { id: string } }>(
      `mutation($m: ID!) { grantCredential(memberId: $m, type: "laser-safety") { id } }`,
      { m: member },
      admin,
    );
    const credentialId = granted.data?.grantCredential.id as string;
    const [v] = await visit(member, false);
    const before = (await outboxRepository.list(t.agent.store)).length;
    const erased = await t.gql(
      "mutation($id: ID!) { eraseMember(id: $id) }",
      { id: member },
      admin,
    );
    expect(erased.errors).toBeUndefined();
    const events = (await outboxRepository.list(t.agent.store)).slice(before);
    expect(events.map((e) => [e.entity, e.op])).toEqual([
      ["PASS", "UPSERT"],
      ["CREDENTIAL", "DELETE"],
      ["STATUS_LIST", "UPSERT"],
      ["MEMBER", "DELETE"],
    ]);
    expect(events[0]?.payload).toMatchObject({ status: "REVOKED", revocationReason: "ERASED" });
    expect(
      await sql("SELECT owned, sd_jwt, short_code, status FROM pass WHERE id = $1", [
        pass.data?.renewPass.id,
      ]),
    ).toEqual([{ owned: false, sd_jwt: null, short_code: null, status: "REVOKED" }]);
    expect(await sql("SELECT 1 FROM credential WHERE id = $1", [credentialId])).toEqual([]);
    expect(
      await sql(
        "SELECT 1 FROM credential_status WHERE credential_id = $1 AND revoked_at IS NOT NULL",
        [credentialId],
      ),
    ).toHaveLength(1);
    expect(
      await sql("SELECT member_id, pass_id FROM visit WHERE id = $1", [(v as { id: string }).id]),
    ).toEqual([{ member_id: null, pass_id: null }]);
    expect(await sql("SELECT 1 FROM member WHERE id = $1", [member])).toEqual([]);
  });

  it("acts on another node's erasure in the pull: visits anonymous, disclosures gone, pass replicas revoked, its own credentials revoked", async () => {
    const other = "member-of-another-node";
    const node = "01JOTHERNODE00000000000000";
    const now = Date.now();
    t.hub.appendLog({
      originNodeId: node,
      targetNodeId: null,
      entity: "MEMBER",
      entityId: other,
      op: "UPSERT",
      payload: { homeSpaceId: "somewhere" },
    });
    t.hub.appendLog({
      originNodeId: node,
      targetNodeId: null,
      entity: "PASS",
      entityId: "pass-elsewhere",
      op: "UPSERT",
      payload: {
        memberId: other,
        homeSpaceId: "somewhere",
        validFrom: new Date(now - 86_400_000).toISOString(),
        validUntil: new Date(now + 86_400_000).toISOString(),
        shortCodeHash: `sha256$${"a".repeat(64)}`,
        status: "ACTIVE",
        revocationReason: null,
      },
    });
    await pull();
    const [v] = await visit(other, true);
    const visitId = (v as { id: string }).id;
    await sql(
      `INSERT INTO visit_disclosure (visit_id, member_id, email, disclosed_at, expires_at)
       VALUES ($1, $2, 'visitor@exemple.fr', now(), now() + interval '30 days')`,
      [visitId, other],
    );
    // A credential this node issued to that member (a training's organiser).
    const writer = createLocalWriter({
      store: t.agent.store,
      nodeId: t.credentials.identity.nodeId,
    });
    const issued = await writer.write((tx, changes) =>
      t.agent.services.credentialIssuer.issue(tx, changes, {
        memberId: other,
        type: "laser-safety",
        issuedAt: new Date(),
        expiresAt: null,
        trainingId: null,
        identityHash: null,
        achievement: { name: "Laser", description: null },
      }),
    );
    t.hub.appendLog({
      originNodeId: node,
      targetNodeId: null,
      entity: "MEMBER",
      entityId: other,
      op: "DELETE",
      payload: null,
    });
    await pull();
    expect(await sql("SELECT member_id, pass_id FROM visit WHERE id = $1", [visitId])).toEqual([
      { member_id: null, pass_id: null },
    ]);
    expect(await sql("SELECT 1 FROM visit_disclosure")).toEqual([]);
    expect(
      await sql("SELECT status, revocation_reason FROM pass WHERE id = 'pass-elsewhere'"),
    ).toEqual([{ status: "REVOKED", revocation_reason: "ERASED" }]);
    // Revoked right after the pull (the engine's onPulled), then the erasure forgotten.
    expect(await sql("SELECT 1 FROM credential WHERE id = $1", [issued.id])).toEqual([]);
    expect(
      await sql(
        "SELECT 1 FROM credential_status WHERE credential_id = $1 AND revoked_at IS NOT NULL",
        [issued.id],
      ),
    ).toHaveLength(1);
    const sent = (await outboxRepository.list(t.agent.store))
      .slice(-2)
      .map((e) => [e.entity, e.entityId, e.op]);
    expect(sent).toEqual([
      ["CREDENTIAL", issued.id, "DELETE"],
      ["STATUS_LIST", t.credentials.identity.nodeId, "UPSERT"],
    ]);
    expect(await sql("SELECT 1 FROM member_erasure")).toEqual([]);
  });
});

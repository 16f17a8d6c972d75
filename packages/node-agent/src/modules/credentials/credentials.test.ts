import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair } from "jose";
import { ulid } from "ulid";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { outboxRepository } from "../../outbox/outbox.repository.ts";
import { startTestAgent, type TestAgent } from "../../testing/fixture.ts";
import { identityHash } from "./issuer.ts";
import { openBadgeCredential, signVcJwt } from "./open-badge.ts";
import { listLength, MIN_LIST_BITS } from "./status-list.ts";

/**
 * Portable credentials at one agent (a fake hub): what it signs again, what it takes from the
 * hub's NODE_KEY and STATUS_LIST events and what it refuses of them, the member's hashed
 * identity. The end-to-end road (hub, two agents, plain jose) is tests/credentials/.
 */
describe("portable credentials at an agent", () => {
  let t: TestAgent;
  let admin: string;
  let member: string;

  const pull = async () => expect((await t.agent.sync.pullNow()).kind).toBe("caught-up");
  const outbox = async (entity: string) =>
    (await outboxRepository.list(t.agent.store)).filter((e) => e.entity === entity);
  const sql = <R>(text: string, params: unknown[] = []) => t.agent.store.query<R>(text, params);

  beforeAll(async () => {
    t = await startTestAgent("pglite");
  }, 60_000);
  afterAll(async () => t?.close());
  beforeEach(async () => {
    await t.reset();
    admin = await t.admin();
    await pull();
    const data = await t.gql<{ registerMember: { id: string } }>(
      `mutation($home: ID!) { registerMember(homeSpaceId: $home, displayName: "Camille Roux") { id } }`,
      { home: t.fabrique.id },
      admin,
    );
    member = data.data?.registerMember.id as string;
    expect(member).toBeTruthy();
  });

  it("signs again, keeping their ids, the credentials it owns but did not sign", async () => {
    // One granted before signing existed, one handed over from the node this one replaced.
    const legacy = ulid();
    await sql(
      `INSERT INTO credential (id, member_id, type, issued_at, expires_at, owned)
       VALUES ($1, $2, 'laser-safety', now() - interval '1 day', NULL, TRUE)`,
      [legacy, member],
    );
    const old = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const oldNode = ulid();
    const handed = ulid();
    const hash = identityHash("Someone Else", "abc");
    const oldVc = await signVcJwt(
      openBadgeCredential({
        credentialId: handed,
        issuer: { nodeId: oldNode, name: "old machine" },
        memberId: "member-of-another-network",
        type: "cnc-safety",
        issuedAt: new Date("2026-01-05T10:00:00Z"),
        expiresAt: null,
        trainingId: "training-1",
        identityHash: hash,
        achievement: { name: "CNC : sécurité", description: "Deux heures" },
        status: null,
      }),
      { nodeId: oldNode, privateKey: old.privateKey },
    );
    t.hub.appendLog({
      originNodeId: null,
      targetNodeId: t.credentials.identity.nodeId,
      entity: "CREDENTIAL",
      entityId: handed,
      op: "UPSERT",
      payload: {
        memberId: "member-of-another-network",
        type: "cnc-safety",
        issuedAt: "2026-01-05T10:00:00.000Z",
        expiresAt: null,
        trainingId: "training-1",
        vc: oldVc,
      },
    });
    await pull();

    expect(await t.agent.services.credentials.signUnsigned()).toBe(2);
    expect(await t.agent.services.credentials.signUnsigned()).toBe(0);

    const events = await outbox("CREDENTIAL");
    const byId = new Map(events.map((e) => [e.entityId, e.payload as { vc: string }]));
    const nodeId = t.credentials.identity.nodeId;
    for (const id of [legacy, handed]) {
      const vc = byId.get(id)?.vc as string;
      expect(decodeProtectedHeader(vc)).toMatchObject({ kid: nodeId, typ: "vc+jwt" });
      expect(decodeJwt(vc).jti).toBe(`urn:maillage:credential:${id}`);
    }
    // The member homed here gets its hash made here; the other keeps what was signed of it.
    const legacyClaims = decodeJwt(byId.get(legacy)?.vc as string);
    const [own] = await sql<{ identity_salt: string }>(
      "SELECT identity_salt FROM member WHERE id = $1",
      [member],
    );
    expect(legacyClaims.credentialSubject).toMatchObject({
      identifier: [{ identityHash: identityHash("Camille Roux", own?.identity_salt as string) }],
      achievement: { name: "laser-safety" },
    });
    expect(decodeJwt(byId.get(handed)?.vc as string).credentialSubject).toMatchObject({
      identifier: [{ identityHash: hash }],
      achievement: { name: "CNC : sécurité", description: "Deux heures" },
    });
    // Each has its status entry, and the list went out once signed.
    const [{ n } = { n: 0 }] = await sql<{ n: number }>(
      "SELECT count(*)::int AS n FROM credential_status",
    );
    expect(n).toBe(2);
    expect((await outbox("STATUS_LIST")).map((e) => e.entityId)).toEqual([nodeId]);
  });

  it("keeps the network's node keys and status lists from the hub, refusing what a node may not say", async () => {
    const jwk = await exportJWK((await generateKeyPair("EdDSA", { crv: "Ed25519" })).publicKey);
    const x = jwk.x as string;
    const other = ulid();
    const keyEvent = (originNodeId: string | null) =>
      t.hub.appendLog({
        originNodeId,
        targetNodeId: null,
        entity: "NODE_KEY",
        entityId: other,
        op: "UPSERT",
        payload: { fabriqueId: "fab-x", publicJwk: { kty: "OKP", crv: "Ed25519", x } },
      });
    const listEvent = (originNodeId: string, vc: string, updatedAt: string) =>
      t.hub.appendLog({
        originNodeId,
        targetNodeId: null,
        entity: "STATUS_LIST",
        entityId: other,
        op: "UPSERT",
        payload: { vc, updatedAt },
      });
    const fetchJwks = async () =>
      (await (await t.agent.fetch("http://agent/.well-known/nodes.jwks.json")).json()) as {
        keys: { kid: string; x: string }[];
      };
    const fetchList = async () => {
      const response = await t.agent.fetch(`http://agent/credentials/status/${other}`);
      return response.status === 200 ? response.text() : response.status;
    };

    keyEvent(ulid()); // a node's NODE_KEY: never taken
    listEvent(ulid(), "eyJ.forged.list", "2026-12-01T10:00:00.000Z"); // not its own list
    await pull();
    expect((await fetchJwks()).keys).toEqual([]);
    expect(await fetchList()).toBe(404);

    keyEvent(null);
    listEvent(other, "eyJ.second.list", "2026-12-01T10:00:00.000Z");
    listEvent(other, "eyJ.first.list", "2026-12-01T09:00:00.000Z"); // older: kept out
    await pull();
    expect((await fetchJwks()).keys).toEqual([
      { kty: "OKP", crv: "Ed25519", x, kid: other, alg: "EdDSA", use: "sig" },
    ]);
    expect(await fetchList()).toBe("eyJ.second.list");

    // Replaced or removed: its key and its list go.
    t.hub.appendLog({
      originNodeId: null,
      targetNodeId: null,
      entity: "NODE_KEY",
      entityId: other,
      op: "DELETE",
      payload: null,
    });
    await pull();
    expect((await fetchJwks()).keys).toEqual([]);
    expect(await fetchList()).toBe(404);
  });

  it("hashes a member's name at home with one salt kept there, and nowhere else", async () => {
    const hashOf = (memberId: string) =>
      t.agent.store.transaction((tx) =>
        t.agent.services.credentialIssuer.identityHashOf(tx, memberId),
      );
    const first = await hashOf(member);
    expect(first).toMatch(/^sha256\$[0-9a-f]{64}$/);
    expect(await hashOf(member)).toBe(first);
    const [row] = await sql<{ identity_salt: string }>(
      "SELECT identity_salt FROM member WHERE id = $1",
      [member],
    );
    expect(first).toBe(identityHash("  Camille   Roux ", row?.identity_salt as string));
    await expect(hashOf("not-a-member")).rejects.toMatchObject({ code: "NOT_FOUND" });
    // The MEMBER event never carries it (the contract is strict).
    for (const e of await outbox("MEMBER")) expect(JSON.stringify(e.payload)).not.toMatch(/salt/);
    // A replica of another node's member cannot hold a salt.
    await expect(
      sql(
        "INSERT INTO member (id, home_space_id, owned, identity_salt) VALUES ($1, $2, FALSE, 'x')",
        [ulid(), t.fabrique.id],
      ),
    ).rejects.toThrow();
  });

  it("exports a member's credential only with the signed credential of that very record", async () => {
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const sign = (credentialId: string, memberId: string) =>
      signVcJwt(
        openBadgeCredential({
          credentialId,
          issuer: { nodeId: "another-node", name: "Ailleurs" },
          memberId,
          type: "first-aid",
          issuedAt: new Date("2026-11-01T10:00:00Z"),
          expiresAt: null,
          trainingId: null,
          identityHash: null,
          achievement: { name: "Premiers secours", description: null },
          status: null,
        }),
        { nodeId: "another-node", privateKey },
      );
    const [right, wrong] = [ulid(), ulid()];
    for (const [id, vc] of [
      [right, await sign(right, member)],
      [wrong, await sign(wrong, "someone-else")],
    ]) {
      await sql(
        `INSERT INTO credential (id, member_id, type, issued_at, owned, vc)
         VALUES ($1, $2, 'first-aid', now(), FALSE, $3)`,
        [id, member, vc],
      );
    }
    const memberToken = await t.token({ role: "MEMBER", memberId: member });
    const exportOf = (id: string) =>
      t.gql<{ exportOpenBadge: { issuerNodeId: string; identity: unknown } }>(
        "query($id: ID!) { exportOpenBadge(credentialId: $id) { issuerNodeId identity { name } } }",
        { id },
        memberToken,
      );
    const ok = await exportOf(right);
    expect(ok.errors).toBeUndefined();
    // Issued elsewhere with no hashed name in it: nothing of the name is added.
    expect(ok.data?.exportOpenBadge).toEqual({ issuerNodeId: "another-node", identity: null });
    expect((await exportOf(wrong)).errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
  });

  it("keeps a status list at least 16 KB long, doubling it while more than half is used", () => {
    expect(listLength(0)).toBe(MIN_LIST_BITS);
    expect(listLength(MIN_LIST_BITS / 2)).toBe(MIN_LIST_BITS);
    expect(listLength(MIN_LIST_BITS / 2 + 1)).toBe(MIN_LIST_BITS * 2);
  });
});

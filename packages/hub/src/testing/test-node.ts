import { type EntityName, SCHEMA_VERSION } from "@maillage/schema";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { ulid } from "ulid";
import type { TestHub } from "./fixture.ts";

/**
 * A stand-in for a node agent in hub tests: it enrols with a real code and key, signs node
 * tokens, and builds change events. The real agent lives in packages/node-agent.
 */
export type TestNode = {
  nodeId: string;
  fabriqueId: string;
  token(options?: { ttlSeconds?: number; audience?: string; issuer?: string }): Promise<string>;
  event(
    entity: EntityName,
    entityId: string,
    payload: unknown,
    op?: "UPSERT" | "DELETE",
  ): TestEvent;
  satellite(id: string, name: string, communeCode?: string, status?: "OPEN" | "CLOSED"): TestEvent;
  push(
    events: unknown[],
    pending?: number,
  ): Promise<{
    data?: { pushChanges: PushAnswer } | null;
    errors?: { extensions?: { code?: string } }[];
    status: number;
  }>;
  pull(after: string, limit?: number): Promise<PullAnswer>;
  /**
   * A credential's `vc` as an agent signs it (a VC-JWT of an OpenBadgeCredential, kid = this
   * node, with the node's key), reduced to what the hub checks.
   */
  openBadge(credentialId: string, memberId: string): Promise<string>;
};

export type TestEvent = Record<string, unknown> & { seq: number };
type PushAnswer = {
  appliedThrough: number;
  applied: number;
  duplicates: number;
  expectedSeq: number | null;
  rejected: { seq: number; code: string; message: string } | null;
};
type PullAnswer = {
  events: {
    offset: string;
    entity: string;
    entityId: string;
    op: string;
    payload: Record<string, unknown>;
    originNodeId: string | null;
    targetNodeId: string | null;
  }[];
  cursor: string;
  hasMore: boolean;
};

export const PUSH = `mutation($events: [JSON!]!, $pending: Int!) {
  pushChanges(events: $events, pending: $pending) {
    appliedThrough applied duplicates expectedSeq rejected { seq code message } } }`;
export const PULL = `query($after: String!, $limit: Int!) { pullChanges(after: $after, limit: $limit) { events cursor hasMore } }`;

/** A fabrique the nation creates (`national`: its token): its id, for enrolTestNode. */
export async function createTestFabrique(
  t: Pick<TestHub, "gql">,
  national: string,
  name: string,
  communeCode: string,
): Promise<string> {
  const r = await t.gql<{ createFabrique: { id: string } }>(
    "mutation($i: CreateSpaceInput!) { createFabrique(input: $i) { id } }",
    { i: { name, communeCode } },
    national,
  );
  return r.data?.createFabrique.id as string;
}

/** `event` at the seq the hub expects of its node next (a refused event is never applied). */
export async function atExpectedSeq(
  t: Pick<TestHub, "hub">,
  node: Pick<TestNode, "nodeId">,
  event: Record<string, unknown>,
) {
  const rows = await t.hub.db.store.query<{ pushed_seq: number }>(
    "SELECT pushed_seq FROM node WHERE id = $1",
    [node.nodeId],
  );
  return { ...event, seq: (rows[0]?.pushed_seq ?? 0) + 1 };
}

export async function enrolTestNode(
  t: Pick<TestHub, "gql">,
  fabriqueGlobalId: string,
  national: string,
): Promise<TestNode> {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", {
    crv: "Ed25519",
    extractable: true,
  });
  const jwk = await exportJWK(publicKey);
  const code = await t.gql<{ createEnrolmentCode: { code: string } }>(
    "mutation($f: ID!) { createEnrolmentCode(fabriqueId: $f) { code } }",
    { f: fabriqueGlobalId },
    national,
  );
  const enrolled = await t.gql<{ enrolNode: { nodeId: string } }>(
    "mutation($c: String!, $k: Ed25519PublicKeyInput!) { enrolNode(code: $c, publicKey: $k) { nodeId } }",
    { c: code.data?.createEnrolmentCode.code, k: { kty: jwk.kty, crv: jwk.crv, x: jwk.x } },
  );
  const nodeId = enrolled.data?.enrolNode.nodeId as string;
  const fabriqueId = fabriqueGlobalId;
  let seq = 0;
  const node: TestNode = {
    nodeId,
    fabriqueId,
    token: ({ ttlSeconds = 300, audience = "maillage", issuer = nodeId } = {}) =>
      new SignJWT({ role: "NODE", fabriqueId })
        .setProtectedHeader({ alg: "EdDSA", kid: nodeId })
        .setIssuer(issuer)
        .setSubject(nodeId)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
        .sign(privateKey),
    event(entity, entityId, payload, op = "UPSERT") {
      seq++;
      return {
        id: ulid(),
        nodeId,
        seq,
        entity,
        entityId,
        op,
        payload: op === "DELETE" ? null : payload,
        occurredAt: new Date().toISOString(),
        schemaVersion: SCHEMA_VERSION,
      };
    },
    satellite(id, name, communeCode = "07019", status = "OPEN") {
      return node.event("SPACE", id, {
        kind: "SATELLITE",
        fabriqueId,
        name,
        communeCode,
        services: [],
        openingHours: [],
        status,
      });
    },
    openBadge: (credentialId, memberId) =>
      new SignJWT({ type: ["VerifiableCredential", "OpenBadgeCredential"] })
        .setProtectedHeader({ alg: "EdDSA", kid: nodeId, typ: "vc+jwt", cty: "vc" })
        .setIssuer(`urn:maillage:node:${nodeId}`)
        .setJti(`urn:maillage:credential:${credentialId}`)
        .setSubject(`urn:maillage:member:${memberId}`)
        .sign(privateKey),
    async push(events, pending = 0) {
      return t.gql(PUSH, { events, pending }, await node.token());
    },
    async pull(after, limit = 100) {
      const r = await t.gql<{ pullChanges: PullAnswer }>(
        PULL,
        { after, limit },
        await node.token(),
      );
      if (!r.data) throw new Error(JSON.stringify(r.errors));
      return r.data.pullChanges;
    },
  };
  return node;
}

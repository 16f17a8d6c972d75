import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { issueAgentToken } from "@maillage/node-agent";
import { base64url, createLocalJWKSet, decodeJwt, type JSONWebKeySet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentApi } from "../support/agent-api.ts";
import {
  type ClusterAgent,
  type ClusterHub,
  Resources,
  settle,
  startClusterAgent,
  startClusterHub,
} from "../support/sync-cluster.ts";

/**
 * Portable credentials end to end (issue 10, point 6): a real hub and two agents. Verification
 * uses plain jose and node:zlib only, with what the network publishes: the JWKS of node keys
 * and the issuer's status list, at the hub and, offline, at any agent.
 */

const NAME = "Ada Lovelace-Martin";

/** examples/verify-open-badge, run as a reader would (tsx), on a VC-JWT saved to a file. */
async function runVerifyExample(vcJwt: string, args: string[] = []) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-badge-"));
  const file = path.join(dir, "badge.jwt");
  await fs.writeFile(file, vcJwt);
  const tsx = createRequire(import.meta.url).resolve("tsx/cli");
  const script = new URL("../../examples/verify-open-badge/verify.ts", import.meta.url).pathname;
  try {
    return await new Promise<{ code: number; out: string }>((resolve) => {
      execFile(process.execPath, [tsx, script, file, ...args], (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, out: `${stdout}${stderr}` }),
      );
    });
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

type Export = {
  credentialId: string;
  vcJwt: string;
  credential: string;
  issuerNodeId: string;
  identity: {
    identityType: string;
    name: string;
    salt: string;
    identityHash: string;
    matches: boolean;
  } | null;
};
const EXPORT = `query($id: ID!) { exportOpenBadge(credentialId: $id) {
  credentialId vcJwt credential issuerNodeId
  identity { identityType name salt identityHash matches } } }`;

async function get(fetcher: { fetch: (url: string) => Promise<Response> }, path: string) {
  return fetcher.fetch(`http://test${path}`);
}

async function jwksOf(fetcher: { fetch: (url: string) => Promise<Response> }) {
  const response = await get(fetcher, "/.well-known/nodes.jwks.json");
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/jwk-set+json");
  return (await response.json()) as JSONWebKeySet;
}

/** Bitstring Status List: index 0 is the left-most bit of the GZIP-ed, base64url'ed list. */
function bitOf(encodedList: string, index: number): number {
  expect(encodedList.startsWith("u")).toBe(true); // multibase base64url, no padding
  const bits = gunzipSync(base64url.decode(encodedList.slice(1)));
  expect(bits.length).toBeGreaterThanOrEqual(16 * 1024); // at least 131,072 entries
  return ((bits[Math.floor(index / 8)] as number) >> (7 - (index % 8))) & 1;
}

describe("portable credentials: Open Badges 3.0, node keys, status lists", () => {
  const resources = new Resources();
  let hub: ClusterHub;
  let a: ClusterAgent;
  let b: ClusterAgent;
  let member: string;
  let memberToken: string;
  /** A's clock runs ahead of the real one by this much (attendance is marked from the start). */
  let aheadAtA = 0;

  const hubFetch = { fetch: (url: string) => hub.hub.fetch(url) };
  const agentFetch = (agent: ClusterAgent) => ({ fetch: (url: string) => agent.agent.fetch(url) });

  async function exportAt(agent: ClusterAgent, credentialId: string, token: string) {
    const response = await agent.agent.fetch("http://agent.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: EXPORT, variables: { id: credentialId } }),
    });
    return (await response.json()) as {
      data?: { exportOpenBadge: Export | null };
      errors?: { extensions?: { code?: string } }[];
    };
  }

  beforeAll(async () => {
    hub = await startClusterHub("pglite");
    a = resources.add(
      await startClusterAgent(hub, {
        name: "A",
        backend: "pglite",
        now: () => new Date(Date.now() + aheadAtA),
      }),
    );
    b = resources.add(
      await startClusterAgent(hub, { name: "B", backend: "pglite", communeCode: "23096" }),
    );
    member = await agentApi(b).registerMember(b.fabriqueId, `  ${NAME} `, "ada@example.org");
    memberToken = await issueAgentToken({
      dataDir: b.agent.config.dataDir,
      role: "MEMBER",
      memberId: member,
    });
    await settle(hub, [a, b]);
  }, 120_000);
  afterAll(async () => {
    await resources.closeAll();
    await hub?.close();
  });

  it("publishes every node's key at the hub, and offline at every agent; nodes cannot push one", async () => {
    const published = await jwksOf(hubFetch);
    const byKid = new Map(published.keys.map((k) => [k.kid, k]));
    for (const agent of [a, b]) {
      expect(byKid.get(agent.nodeId)).toMatchObject({
        kty: "OKP",
        crv: "Ed25519",
        alg: "EdDSA",
        use: "sig",
      });
    }
    const hubKeys = await hub.query<{ id: string; x: string }>(
      "SELECT id, public_key->>'x' AS x FROM node",
    );
    for (const row of hubKeys) expect(byKid.get(row.id)?.x).toBe(row.x);
    // The same set at each agent, from the NODE_KEY events (served with the hub stopped too).
    await hub.stop();
    try {
      for (const agent of [a, b]) {
        const offline = await jwksOf(agentFetch(agent));
        expect(offline.keys.map((k) => `${k.kid}:${k.x}`).sort()).toEqual(
          published.keys.map((k) => `${k.kid}:${k.x}`).sort(),
        );
      }
    } finally {
      await hub.start();
    }
    // A node pushing NODE_KEY is refused, and nothing of it is applied.
    const [node] = await hub.query<{ pushed_seq: number }>(
      "SELECT pushed_seq FROM node WHERE id = $1",
      [a.nodeId],
    );
    const result = await hub.hub.services.pushService.push(
      a.nodeId,
      [
        {
          id: "01J00000000000000000000000",
          nodeId: a.nodeId,
          seq: (node?.pushed_seq ?? 0) + 1,
          entity: "NODE_KEY",
          entityId: b.nodeId,
          op: "UPSERT",
          payload: {
            fabriqueId: a.fabriqueId,
            publicJwk: { kty: "OKP", crv: "Ed25519", x: byKid.get(a.nodeId)?.x },
          },
          occurredAt: new Date().toISOString(),
          schemaVersion: 1,
        },
      ],
      { pending: 1, oldestPendingAt: null },
    );
    expect(result.applied).toBe(0);
    expect(result.rejected?.code).toBe("INVALID_EVENT");
  });

  it("exports a home-granted credential as an OB3 VC-JWT that plain jose verifies with the published key; a tampered one fails", async () => {
    const granted = await b.gql<{ grantCredential: { id: string } }>(
      `mutation($m: ID!) { grantCredential(memberId: $m, type: "laser-safety") { id } }`,
      { m: member },
    );
    const credentialId = granted.data?.grantCredential.id as string;
    expect(credentialId).toBeTruthy();
    await settle(hub, [a, b]);

    const answer = await exportAt(b, credentialId, memberToken);
    expect(answer.errors).toBeUndefined();
    const exported = answer.data?.exportOpenBadge as Export;
    expect(exported.issuerNodeId).toBe(b.nodeId);

    // Plain jose, the hub's JWKS: signature, typ, issuer, validity.
    const jwks = createLocalJWKSet(await jwksOf(hubFetch));
    const { payload, protectedHeader } = await jwtVerify(exported.vcJwt, jwks, {
      typ: "vc+jwt",
      algorithms: ["EdDSA"],
      issuer: `urn:maillage:node:${b.nodeId}`,
    });
    expect(protectedHeader).toMatchObject({ alg: "EdDSA", kid: b.nodeId, cty: "vc" });
    expect(payload["@context"]).toEqual([
      "https://www.w3.org/ns/credentials/v2",
      "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]);
    expect(payload.type).toEqual(["VerifiableCredential", "OpenBadgeCredential"]);
    expect(payload.jti).toBe(`urn:maillage:credential:${credentialId}`);
    // OB 3.0's claim mapping: nbf = validFrom, no iat; its JSON Schema named for validators.
    expect(payload.nbf).toBe(Math.floor(new Date(payload.validFrom as string).getTime() / 1000));
    expect(payload.iat).toBeUndefined();
    expect(payload.credentialSchema).toEqual([
      {
        id: "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
        type: "1EdTechJsonSchemaValidator2019",
      },
    ]);
    const subject = payload.credentialSubject as Record<string, unknown>;
    expect(subject.id).toBe(`urn:maillage:member:${member}`);
    expect(payload.sub).toBe(subject.id);
    expect(subject.type).toEqual(["AchievementSubject"]);
    expect(subject.achievement).toMatchObject({
      id: "urn:maillage:achievement:laser-safety",
      type: ["Achievement"],
      name: "laser-safety",
      criteria: { narrative: expect.any(String) },
    });
    // The name travels hashed only; the export adds it, with the salt a verifier re-hashes.
    const [identifier] = subject.identifier as Record<string, unknown>[];
    expect(identifier).toEqual({
      type: "IdentityObject",
      identityType: "name",
      hashed: true,
      identityHash: exported.identity?.identityHash,
    });
    expect(exported.vcJwt).not.toContain(NAME);
    expect(JSON.stringify(payload)).not.toContain("Lovelace");
    expect(exported.identity).toMatchObject({ identityType: "name", name: NAME, matches: true });
    const rehashed = createHash("sha256")
      .update(`${exported.identity?.name}${exported.identity?.salt}`, "utf8")
      .digest("hex");
    expect(identifier?.identityHash).toBe(`sha256$${rehashed}`);
    expect(JSON.parse(exported.credential)).toMatchObject({ id: payload.jti, name: payload.name });

    // Not revoked: its bit in the issuer's published list, verified with the same keys.
    const status = payload.credentialStatus as Record<string, string>;
    expect(status).toMatchObject({
      type: "BitstringStatusListEntry",
      statusPurpose: "revocation",
      statusListCredential: `${hub.url}/credentials/status/${b.nodeId}`,
    });
    const index = Number(status.statusListIndex);
    const listAt = async (from: { fetch: (url: string) => Promise<Response> }) => {
      const response = await get(from, new URL(status.statusListCredential as string).pathname);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("application/vc+jwt");
      const list = await jwtVerify(await response.text(), jwks, { typ: "vc+jwt" });
      expect(list.payload.id).toBe(status.statusListCredential);
      expect(list.payload.type).toEqual(["VerifiableCredential", "BitstringStatusListCredential"]);
      const listSubject = list.payload.credentialSubject as Record<string, string>;
      expect(listSubject).toMatchObject({
        type: "BitstringStatusList",
        statusPurpose: "revocation",
      });
      return bitOf(listSubject.encodedList as string, index);
    };
    expect(await listAt(hubFetch)).toBe(0);
    const example = await runVerifyExample(exported.vcJwt, [
      "--name",
      exported.identity?.name as string,
      "--salt",
      exported.identity?.salt as string,
    ]);
    expect(example.out).toContain("name matches the credential");
    expect(example.out).toContain("not revoked");
    expect(example.code).toBe(0);

    // Tampered: the same signature over another payload, or another key under B's kid.
    const [header, body, signature] = exported.vcJwt.split(".");
    const altered = { ...decodeJwt(exported.vcJwt), name: "cnc-safety" };
    const forged = `${header}.${base64url.encode(JSON.stringify(altered))}.${signature}`;
    await expect(jwtVerify(forged, jwks, { typ: "vc+jwt" })).rejects.toMatchObject({
      code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
    });
    const flipped = `${header}.${body}.${signature?.startsWith("A") ? "B" : "A"}${signature?.slice(1)}`;
    await expect(jwtVerify(flipped, jwks, { typ: "vc+jwt" })).rejects.toThrow();

    // Revoked at B: the status list is re-signed and published, at the hub and at A offline.
    const revoked = await b.gql(`mutation($id: ID!) { revokeCredential(id: $id) { id } }`, {
      id: credentialId,
    });
    expect(revoked.errors).toBeUndefined();
    await settle(hub, [a, b]);
    expect(await listAt(hubFetch)).toBe(1);
    const afterRevocation = await runVerifyExample(exported.vcJwt);
    expect(afterRevocation.out).toContain("REVOKED by its issuer");
    expect(afterRevocation.code).toBe(1);
    await hub.stop();
    try {
      expect(await listAt(agentFetch(a))).toBe(1);
    } finally {
      await hub.start();
    }
    // The export was the member's copy: it still verifies, and the list says it is revoked.
    await expect(jwtVerify(exported.vcJwt, jwks)).resolves.toBeTruthy();
    expect((await exportAt(b, credentialId, memberToken)).errors?.[0]?.extensions?.code).toBe(
      "NOT_FOUND",
    );

    // The hub never held the member's name, in any table.
    const tables = await hub.query<{ tablename: string }>(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
    );
    for (const { tablename } of tables) {
      const hits = await hub.query(
        `SELECT 1 FROM "${tablename}" t WHERE t::text ILIKE '%Lovelace%' LIMIT 1`,
      );
      expect(hits, tablename).toHaveLength(0);
    }
  });

  it("exports only at the member's home, to the member or its home team", async () => {
    const granted = await b.gql<{ grantCredential: { id: string } }>(
      `mutation($m: ID!) { grantCredential(memberId: $m, type: "first-aid") { id } }`,
      { m: member },
    );
    const credentialId = granted.data?.grantCredential.id as string;
    await settle(hub, [a, b]);
    const dataDir = b.agent.config.dataDir;
    const other = await agentApi(b).registerMember(b.fabriqueId, "Grace Hopper");
    const otherToken = await issueAgentToken({ dataDir, role: "MEMBER", memberId: other });
    const satellite = await issueAgentToken({ dataDir, role: "SATELLITE", spaceId: b.fabriqueId });
    const team = await issueAgentToken({ dataDir, role: "FABRIQUE_ADMIN" });
    const codeOf = async (agent: ClusterAgent, token: string) =>
      (await exportAt(agent, credentialId, token)).errors?.[0]?.extensions?.code;
    expect(await codeOf(b, otherToken)).toBe("NOT_FOUND");
    expect(await codeOf(b, satellite)).toBe("FORBIDDEN");
    expect((await exportAt(b, credentialId, team)).data?.exportOpenBadge?.identity?.name).toBe(
      NAME,
    );
    // At A the credential is a replica (with its vc), but A is not the member's home.
    const aTeam = await issueAgentToken({
      dataDir: a.agent.config.dataDir,
      role: "FABRIQUE_ADMIN",
    });
    expect(await codeOf(a, aTeam)).toBe("FORBIDDEN");
    const [replica] = await a.query<{ vc: string | null }>(
      "SELECT vc FROM credential WHERE id = $1",
      [credentialId],
    );
    expect(replica?.vc).toMatch(/^ey/);
  });

  it("exports at B, with the name, a credential A issued for B's member at a training", async () => {
    type Enrolment = { id: string; status: string; credentialId: string | null };
    const okAt = async <T>(
      agent: ClusterAgent,
      query: string,
      variables: Record<string, unknown>,
    ) => {
      const r = await agent.gql<T>(query, variables);
      expect(r.errors).toBeUndefined();
      return r.data as T;
    };
    const startsAt = new Date(Math.ceil((Date.now() + 3_600_000) / 60_000) * 60_000);
    const created = await okAt<{ createTraining: { id: string }[] }>(
      a,
      "mutation($input: CreateTrainingInput!) { createTraining(input: $input) { id } }",
      {
        input: {
          spaceId: a.fabriqueId,
          venueSpaceId: a.fabriqueId,
          title: "Découpe laser : sécurité",
          description: "Deux heures sur la machine, avec son responsable",
          topic: "MACHINE_SAFETY",
          startsAt: startsAt.toISOString(),
          endsAt: new Date(startsAt.getTime() + 2 * 3_600_000).toISOString(),
          capacity: 8,
          scope: "NETWORK",
          grants: { type: "laser-safety", validityDays: 365 },
        },
      },
    );
    const trainingId = created.createTraining[0]?.id as string;
    await settle(hub, [a, b]);
    const enrolled = await okAt<{ enrol: Enrolment }>(
      b,
      "mutation($t: ID!, $m: ID!) { enrol(trainingId: $t, memberId: $m) { id status credentialId } }",
      { t: trainingId, m: member },
    );
    expect(enrolled.enrol.status).toBe("PENDING");
    await settle(hub, [a, b]);

    // The session has started at A: A records the attendance, offline from the hub.
    aheadAtA = 3 * 3_600_000;
    await hub.stop();
    let attended: Enrolment;
    try {
      attended = (
        await okAt<{ markAttendance: Enrolment }>(
          a,
          "mutation($id: ID!) { markAttendance(id: $id, status: ATTENDED) { id status credentialId } }",
          { id: enrolled.enrol.id },
        )
      ).markAttendance;
    } finally {
      await hub.start();
    }
    expect(attended.status).toBe("ATTENDED");
    const credentialId = attended.credentialId as string;
    expect(credentialId).toBeTruthy();
    await settle(hub, [a, b]);

    // At B, the member's home: the replica carries A's signature; the export adds the name.
    const answer = await exportAt(b, credentialId, memberToken);
    expect(answer.errors).toBeUndefined();
    const exported = answer.data?.exportOpenBadge as Export;
    expect(exported.issuerNodeId).toBe(a.nodeId);
    const jwks = createLocalJWKSet(await jwksOf(agentFetch(b))); // B's own copy, offline-ready
    const { payload } = await jwtVerify(exported.vcJwt, jwks, {
      typ: "vc+jwt",
      issuer: `urn:maillage:node:${a.nodeId}`,
      subject: `urn:maillage:member:${member}`,
      currentDate: new Date(Date.now() + aheadAtA), // issued at A's (moved) attendance time
    });
    expect(payload.issuer).toMatchObject({
      id: `urn:maillage:node:${a.nodeId}`,
      type: ["Profile"],
      name: "Fabrique A",
    });
    expect(payload.name).toBe("Découpe laser : sécurité");
    expect(typeof payload.exp).toBe("number"); // validUntil: attendance + 365 days
    expect(new Date(payload.validUntil as string).getTime()).toBeGreaterThan(
      Date.now() + aheadAtA + 364 * 86_400_000,
    );
    expect((payload.credentialSubject as { achievement: unknown }).achievement).toMatchObject({
      id: "urn:maillage:achievement:laser-safety",
      // The session's URN for machines, a French sentence naming it and its place for people.
      criteria: {
        id: `urn:maillage:training:${trainingId}`,
        narrative:
          "A suivi la formation « Découpe laser : sécurité » organisée par Fabrique A, présence constatée par l’organisateur.",
      },
    });
    // The hash A signed is the one B made: B's name and salt prove it.
    expect(exported.identity).toMatchObject({ name: NAME, matches: true });
    const [identifier] = (payload.credentialSubject as { identifier: { identityHash: string }[] })
      .identifier;
    expect(identifier?.identityHash).toBe(
      `sha256$${createHash("sha256").update(`${NAME}${exported.identity?.salt}`).digest("hex")}`,
    );

    // Back to NO_SHOW at A: revoked; A's list, re-signed, says so at the hub.
    await okAt(a, "mutation($id: ID!) { markAttendance(id: $id, status: NO_SHOW) { id } }", {
      id: enrolled.enrol.id,
    });
    await settle(hub, [a, b]);
    const status = payload.credentialStatus as {
      statusListCredential: string;
      statusListIndex: string;
    };
    expect(status.statusListCredential).toBe(`${hub.url}/credentials/status/${a.nodeId}`);
    const listJwt = await (
      await get(hubFetch, new URL(status.statusListCredential).pathname)
    ).text();
    const list = await jwtVerify(listJwt, createLocalJWKSet(await jwksOf(hubFetch)));
    const encoded = (list.payload.credentialSubject as { encodedList: string }).encodedList;
    expect(bitOf(encoded, Number(status.statusListIndex))).toBe(1);

    // Neither the hub nor A ever held the member's name.
    for (const [where, query] of [
      ["hub", hub.query.bind(hub)],
      ["A", a.query.bind(a)],
    ] as const) {
      const tables = await query<{ tablename: string }>(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
      );
      for (const { tablename } of tables) {
        const hits = await query(
          `SELECT 1 FROM "${tablename}" t WHERE t::text ILIKE '%Lovelace%' LIMIT 1`,
        );
        expect(hits, `${where}: ${tablename}`).toHaveLength(0);
      }
    }
  });
});

import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { NodeKeyPayload, SCHEMA_VERSION } from "@maillage/schema";
import { migrate, openSqlStore } from "@maillage/storage";
import { createThrowawayDatabase, seedPgliteStore } from "@maillage/storage/testing";
import { base64url, generateKeyPair, SignJWT } from "jose";
import { ulid } from "ulid";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { hubMigrations } from "../../migrate.ts";
import { type Backend, startTestHub, type TestHub } from "../../testing/fixture.ts";
import { enrolTestNode, type TestNode } from "../../testing/test-node.ts";

/**
 * Portable credentials at the hub: NODE_KEY written by the hub itself (enrolment, re-enrolment,
 * and once for nodes enrolled before, by migration 0009), the JWKS of node keys, and STATUS_LIST
 * owned by the pushing node, served at /credentials/status/<nodeId>. On PGlite
 * (credentials.test.ts) and PostgreSQL (credentials.integration.test.ts): the backfill is SQL.
 */
export function registerHubCredentialTests(backend: Backend) {
  describe(`portable credentials at the hub (${backend})`, () => {
    let t: TestHub;
    let national: string;

    beforeAll(async () => {
      t = await startTestHub(backend);
    }, 60_000);
    afterAll(async () => t?.close());
    beforeEach(async () => {
      await t.reset();
      national = await t.nationalToken();
    });

    async function createFabrique(name: string) {
      const r = await t.gql<{ createFabrique: { id: string } }>(
        "mutation($input: CreateSpaceInput!) { createFabrique(input: $input) { id } }",
        { input: { name, communeCode: "07186", services: [] } },
        national,
      );
      expect(r.errors).toBeUndefined();
      return r.data?.createFabrique.id as string;
    }
    const jwks = async () => {
      const response = await t.hub.fetch("http://hub.test/.well-known/nodes.jwks.json");
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("application/jwk-set+json");
      return ((await response.json()) as { keys: { kid: string; x: string }[] }).keys;
    };
    const nodeKeyEvents = async (node: TestNode) =>
      (await node.pull("0", 1000)).events.filter((e) => e.entity === "NODE_KEY");
    const statusList = async (nodeId: string) => {
      const response = await t.hub.fetch(`http://hub.test/credentials/status/${nodeId}`);
      return {
        status: response.status,
        type: response.headers.get("content-type"),
        body: await response.text(),
      };
    };
    /** A BitstringStatusListCredential as a node signs it (the hub checks its shape only). */
    async function listVc(nodeId: string, marker: string) {
      const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
      return new SignJWT({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        id: `http://hub.test/credentials/status/${nodeId}`,
        type: ["VerifiableCredential", "BitstringStatusListCredential"],
        issuer: `urn:maillage:node:${nodeId}`,
        credentialSubject: { type: "BitstringStatusList", statusPurpose: "revocation", marker },
      })
        .setProtectedHeader({ alg: "EdDSA", kid: nodeId, typ: "vc+jwt", cty: "vc" })
        .sign(privateKey);
    }

    it("writes NODE_KEY at enrolment, and at a re-enrolment withdraws the replaced key", async () => {
      const fabrique = await createFabrique("Fabrique des Clés");
      const first = await enrolTestNode(t, fabrique, national);
      const [published] = await nodeKeyEvents(first);
      expect(published).toMatchObject({
        entityId: first.nodeId,
        op: "UPSERT",
        originNodeId: null,
        targetNodeId: null,
      });
      const payload = NodeKeyPayload.parse(published?.payload);
      expect(payload.fabriqueId).toBe(fabrique);
      expect(await jwks()).toEqual([
        {
          kty: "OKP",
          crv: "Ed25519",
          x: payload.publicJwk.x,
          kid: first.nodeId,
          alg: "EdDSA",
          use: "sig",
        },
      ]);
      // The node's list is kept until the node is replaced.
      expect(
        (
          await first.push([
            first.event("STATUS_LIST", first.nodeId, {
              vc: await listVc(first.nodeId, "one"),
              updatedAt: new Date().toISOString(),
            }),
          ])
        ).data?.pushChanges.applied,
      ).toBe(1);
      expect((await statusList(first.nodeId)).status).toBe(200);

      const second = await enrolTestNode(t, fabrique, national);
      const events = await nodeKeyEvents(second);
      expect(events.map((e) => `${e.op} ${e.entityId}`)).toEqual([
        `UPSERT ${first.nodeId}`,
        `DELETE ${first.nodeId}`,
        `UPSERT ${second.nodeId}`,
      ]);
      expect((await jwks()).map((k) => k.kid)).toEqual([second.nodeId]);
      expect((await statusList(first.nodeId)).status).toBe(404);
    });

    it("takes a node's own status list only, keeps the latest, and never a NODE_KEY from a node", async () => {
      const node = await enrolTestNode(t, await createFabrique("Fabrique A"), national);
      const other = await enrolTestNode(t, await createFabrique("Fabrique B"), national);
      const refusal = async (event: Record<string, unknown>) =>
        (await node.push([event])).data?.pushChanges.rejected?.code;

      const at = (minutes: number) => new Date(Date.UTC(2026, 11, 1, 10, minutes)).toISOString();
      // Another node's list, a list that is not a VC-JWT, or one naming another key: refused.
      expect(
        await refusal(
          node.event("STATUS_LIST", other.nodeId, {
            vc: await listVc(other.nodeId, "x"),
            updatedAt: at(0),
          }),
        ),
      ).toBe("OWNERSHIP_VIOLATION");
      // A refused event leaves the node's pushed seq where it was: the next one takes seq 1 again.
      const again = (e: Record<string, unknown>) => ({ ...e, seq: 1, id: ulid() });
      expect(
        await refusal(
          again(node.event("STATUS_LIST", node.nodeId, { vc: "not.a.jws", updatedAt: at(0) })),
        ),
      ).toBe("INVALID_EVENT");
      expect(
        await refusal(
          again(
            node.event("STATUS_LIST", node.nodeId, {
              vc: await listVc(other.nodeId, "x"),
              updatedAt: at(0),
            }),
          ),
        ),
      ).toBe("INVALID_EVENT");
      expect(
        await refusal(
          again(
            node.event("NODE_KEY", node.nodeId, {
              fabriqueId: node.fabriqueId,
              publicJwk: { kty: "OKP", crv: "Ed25519", x: base64url.encode(new Uint8Array(32)) },
            }),
          ),
        ),
      ).toBe("INVALID_EVENT");

      const newer = await listVc(node.nodeId, "newer");
      const older = await listVc(node.nodeId, "older");
      const pushed = await node.push([
        again({ ...node.event("STATUS_LIST", node.nodeId, { vc: newer, updatedAt: at(30) }) }),
      ]);
      expect(pushed.data?.pushChanges.rejected).toBeNull();
      const late = await node.push([
        { ...node.event("STATUS_LIST", node.nodeId, { vc: older, updatedAt: at(10) }), seq: 2 },
      ]);
      expect(late.data?.pushChanges.applied).toBe(1);
      expect(await statusList(node.nodeId)).toEqual({
        status: 200,
        type: "application/vc+jwt",
        body: newer,
      });
      expect((await statusList(other.nodeId)).status).toBe(404);
      // Routed to every node.
      const seen = (await other.pull("0", 1000)).events.filter((e) => e.entity === "STATUS_LIST");
      expect(seen.map((e) => [e.originNodeId, e.targetNodeId])).toEqual([
        [node.nodeId, null],
        [node.nodeId, null],
      ]);
    });

    it("takes a credential's signed OB3 credential only if it is that record's, signed by the pusher", async () => {
      const node = await enrolTestNode(t, await createFabrique("Fabrique S"), national);
      const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
      const member = node.event("MEMBER", "M1", { homeSpaceId: node.fabriqueId });
      expect((await node.push([member])).data?.pushChanges.applied).toBe(1);
      const vcOf = (claims: { jti: string; sub: string; kid: string }) =>
        new SignJWT({ type: ["VerifiableCredential", "OpenBadgeCredential"] })
          .setProtectedHeader({ alg: "EdDSA", kid: claims.kid, typ: "vc+jwt", cty: "vc" })
          .setJti(claims.jti)
          .setSubject(claims.sub)
          .sign(privateKey);
      const credential = async (claims: Partial<{ jti: string; sub: string; kid: string }>) => ({
        memberId: "M1",
        type: "first-aid",
        issuedAt: "2026-12-01T10:00:00.000Z",
        expiresAt: null,
        trainingId: null,
        vc: await vcOf({
          jti: "urn:maillage:credential:C1",
          sub: "urn:maillage:member:M1",
          kid: node.nodeId,
          ...claims,
        }),
      });
      const pushAt = async (seq: number, payload: unknown) =>
        (await node.push([{ ...node.event("CREDENTIAL", "C1", payload), seq }])).data?.pushChanges;
      for (const wrong of [
        { jti: "urn:maillage:credential:C0" },
        { sub: "urn:maillage:member:M0" },
        { kid: "another-node" },
      ]) {
        expect((await pushAt(2, await credential(wrong)))?.rejected?.code).toBe("INVALID_EVENT");
      }
      expect(
        (await pushAt(2, { ...(await credential({})), vc: "not-a-jws" }))?.rejected?.code,
      ).toBe("INVALID_EVENT");
      expect(await pushAt(2, await credential({}))).toMatchObject({ applied: 1, rejected: null });
    });

    it("writes NODE_KEY once, by migration 0009, for the nodes enrolled before it", async () => {
      const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-hub-0009-"));
      const database = backend === "postgres" ? await createThrowawayDatabase() : undefined;
      if (!database) await seedPgliteStore(dataDir); // an empty database, without initdb
      const store = await openSqlStore({ dataDir, databaseUrl: database?.url });
      try {
        const all = await hubMigrations();
        const before = { ...all, migrations: all.migrations.filter((m) => m.name < "0009") };
        await migrate(store, before);
        const fabriques = [ulid(), ulid(), ulid()];
        for (const [i, id] of fabriques.entries()) {
          await store.query(
            `INSERT INTO space (id, kind, name, commune_code, commune_name, department_code,
             region_code, population, rural, services, updated_at)
           VALUES ($1, 'FABRIQUE', $2, '07186', 'Privas', '07', '84', 8000, FALSE, '{}', now())`,
            [id, `Fabrique ${i}`],
          );
        }
        const nodes = [ulid(), ulid(), ulid()];
        const x = base64url.encode(new Uint8Array(32).fill(7));
        for (const [i, id] of nodes.entries()) {
          await store.query(
            `INSERT INTO node (id, fabrique_id, public_key, status) VALUES ($1, $2, $3::jsonb, $4)`,
            [
              id,
              fabriques[i],
              JSON.stringify({ kty: "OKP", crv: "Ed25519", x }),
              i === 2 ? "REVOKED" : "ACTIVE",
            ],
          );
        }
        await migrate(store, all);
        await migrate(store, all); // applied once: nothing more
        const rows = await store.query<{
          entity_id: string;
          origin_node_id: string | null;
          target_node_id: string | null;
          payload: unknown;
          schema_version: number;
        }>(
          `SELECT entity_id, origin_node_id, target_node_id, payload, schema_version
         FROM change_log WHERE entity = 'NODE_KEY' ORDER BY "offset"`,
        );
        expect(rows.map((r) => r.entity_id)).toEqual([nodes[0], nodes[1]].sort());
        for (const row of rows) {
          expect(row).toMatchObject({
            origin_node_id: null,
            target_node_id: null,
            schema_version: SCHEMA_VERSION,
          });
          expect(NodeKeyPayload.parse(row.payload)).toEqual({
            fabriqueId: fabriques[nodes.indexOf(row.entity_id)],
            publicJwk: { kty: "OKP", crv: "Ed25519", x },
          });
        }
      } finally {
        await store.close();
        await database?.drop();
        await fs.rm(dataDir, { recursive: true, force: true });
      }
    });
  });
}

import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { createNodeTokenVerifier } from "./node-tokens.ts";

const AUDIENCE = "maillage";

async function node(id: string) {
  const { publicKey, privateKey } = await generateKeyPair("EdDSA", { extractable: true });
  const row = {
    id,
    fabriqueId: "fab-1",
    status: "ACTIVE",
    publicKey: await exportJWK(publicKey),
  };
  const sign = (ttl = 300) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ role: "NODE", fabriqueId: row.fabriqueId })
      .setProtectedHeader({ alg: "EdDSA", kid: id })
      .setIssuer(id)
      .setSubject(id)
      .setJti(crypto.randomUUID())
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + ttl)
      .sign(privateKey);
  };
  return { row, sign };
}

function database(rows: Map<string, unknown>) {
  return {
    node: {
      findUnique: async ({ where }: { where: { id: string } }) => rows.get(where.id) ?? null,
    },
  } as unknown as PrismaClient;
}

describe("node tokens", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("verifies a token's signature once, then knows it", async () => {
    const a = await node("node-a");
    const verifier = createNodeTokenVerifier(database(new Map([["node-a", a.row]])), AUDIENCE);
    const token = await a.sign();
    const verify = vi.spyOn(crypto.subtle, "verify");
    for (let i = 0; i < 5; i++) {
      expect(await verifier.verify("node-a", token)).toMatchObject({ role: "NODE", sub: "node-a" });
    }
    expect(verify).toHaveBeenCalledTimes(1);
    // Another token is verified on its own.
    await verifier.verify("node-a", await a.sign());
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it("refuses a known token once its node is revoked and its key entry reloaded", async () => {
    const a = await node("node-a");
    const rows = new Map<string, unknown>([["node-a", a.row]]);
    const verifier = createNodeTokenVerifier(database(rows), AUDIENCE);
    const token = await a.sign();
    await verifier.verify("node-a", token);
    rows.set("node-a", { ...a.row, status: "REVOKED" });
    verifier.invalidate("node-a");
    await expect(verifier.verify("node-a", token)).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
    });
  });

  it("does not take a token known for one node as another's", async () => {
    const a = await node("node-a");
    const b = await node("node-b");
    const verifier = createNodeTokenVerifier(
      database(
        new Map<string, unknown>([
          ["node-a", a.row],
          ["node-b", b.row],
        ]),
      ),
      AUDIENCE,
    );
    const token = await a.sign();
    await verifier.verify("node-a", token);
    await expect(verifier.verify("node-b", token)).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
    });
  });
});

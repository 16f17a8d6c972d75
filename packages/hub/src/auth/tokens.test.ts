import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { MaillageError } from "@maillage/schema";
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type HubConfig, loadHubConfig } from "../env.ts";
import {
  KEY_FILE_CHECK_MS,
  KeyRing,
  keyFilePath,
  removeSigningKey,
  rotateSigningKey,
} from "./keys.ts";
import { issueHubToken, signHubToken, verifyHubToken } from "./tokens.ts";

let root: string;
let config: HubConfig;
let keys: KeyRing;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-tokens-"));
  config = loadHubConfig({}, { dataDir: path.join(root, "hub"), logLevel: "silent" });
  keys = await KeyRing.open(config);
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function freshConfig(name: string): Promise<HubConfig> {
  return loadHubConfig({}, { dataDir: path.join(root, name), logLevel: "silent" });
}

/** The code verifyHubToken fails with, or "accepted". */
async function verdict(token: string, ring: KeyRing = keys, settings: HubConfig = config) {
  try {
    await verifyHubToken(ring, settings, token);
    return "accepted";
  } catch (error) {
    return error instanceof MaillageError ? error.code : `not a MaillageError: ${String(error)}`;
  }
}

const now = () => Math.floor(Date.now() / 1000);

/** A token with the hub's own key, but claims chosen by the test. */
function hubSigned(claims: Record<string, unknown> = { role: "NATIONAL" }) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "EdDSA", kid: keys.signer.kid })
    .setIssuer(config.issuer)
    .setAudience(config.audience)
    .setSubject("test:subject")
    .setIssuedAt();
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("issueHubToken", () => {
  it("produces an EdDSA JWT with kid, iss, aud, exp, sub and role", async () => {
    const token = await issueHubToken(
      config,
      { role: "FABRIQUE_ADMIN", fabriqueId: "fab-1" },
      "1h",
    );
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ alg: "EdDSA", kid: keys.signer.kid });
    const payload = decodeJwt(token);
    expect(payload).toMatchObject({
      iss: config.issuer,
      aud: config.audience,
      role: "FABRIQUE_ADMIN",
      fabriqueId: "fab-1",
    });
    expect(typeof payload.sub).toBe("string");
    expect(payload.sub?.length).toBeGreaterThan(0);
    expect(payload.exp).toBeGreaterThan(now() + 3500);
    expect(payload.exp).toBeLessThanOrEqual(now() + 3601);
  });

  it("creates the key file on a fresh data dir and signs with it", async () => {
    const fresh = await freshConfig("fresh-issuer");
    const token = await issueHubToken(fresh, { role: "NATIONAL" }, "10m");
    const stat = await fs.stat(keyFilePath(fresh.dataDir));
    expect(stat.mode & 0o777).toBe(0o600);
    const ring = await KeyRing.open(fresh, { create: false });
    expect(decodeProtectedHeader(token).kid).toBe(ring.signer.kid);
    expect(await verdict(token, ring, fresh)).toBe("accepted");
  });
});

describe("verifyHubToken", () => {
  it("accepts a token the hub issued and returns its claims", async () => {
    const token = await issueHubToken(
      config,
      { role: "FABRIQUE_ADMIN", fabriqueId: "fab-1" },
      "1h",
    );
    const claims = await verifyHubToken(keys, config, token);
    expect(claims).toMatchObject({ role: "FABRIQUE_ADMIN", fabriqueId: "fab-1" });
    expect(claims.sub).toBe(decodeJwt(token).sub);
    // Kept for the WebSocket: a subscription ends when its token expires.
    expect(claims.exp).toBe(decodeJwt(token).exp);
  });

  it("refuses an expired token", async () => {
    const token = await hubSigned()
      .setIssuedAt(now() - 120)
      .setExpirationTime(now() - 60)
      .sign(keys.signer.privateKey);
    expect(await verdict(token)).toBe("UNAUTHENTICATED");
  });

  it("refuses a token for another audience", async () => {
    const token = await signHubToken(
      keys,
      { ...config, audience: "someone-else" },
      { role: "NATIONAL" },
      "1h",
    );
    expect(await verdict(token)).toBe("UNAUTHENTICATED");
  });

  it("refuses a token from another issuer", async () => {
    const token = await signHubToken(
      keys,
      { ...config, issuer: "evil-hub" },
      { role: "NATIONAL" },
      "1h",
    );
    expect(await verdict(token)).toBe("UNAUTHENTICATED");
  });

  it("refuses a token without exp", async () => {
    const token = await hubSigned().sign(keys.signer.privateKey);
    expect(decodeJwt(token).exp).toBeUndefined();
    expect(await verdict(token)).toBe("UNAUTHENTICATED");
  });

  it("refuses a token without sub", async () => {
    const token = await new SignJWT({ role: "NATIONAL" })
      .setProtectedHeader({ alg: "EdDSA", kid: keys.signer.kid })
      .setIssuer(config.issuer)
      .setAudience(config.audience)
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(keys.signer.privateKey);
    expect(await verdict(token)).toBe("UNAUTHENTICATED");
  });

  it("refuses HS256 even with a real kid (algorithm allow-list)", async () => {
    const secret = new TextEncoder().encode("a-shared-secret-of-at-least-32-bytes!!");
    const token = await new SignJWT({ role: "NATIONAL" })
      .setProtectedHeader({ alg: "HS256", kid: keys.signer.kid })
      .setIssuer(config.issuer)
      .setAudience(config.audience)
      .setSubject("attacker")
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(secret);
    expect(await verdict(token)).toBe("UNAUTHENTICATED");
  });

  it("refuses an unsigned token (alg: none)", async () => {
    const header = b64url({ alg: "none", typ: "JWT", kid: keys.signer.kid });
    const payload = b64url({
      role: "NATIONAL",
      sub: "attacker",
      iss: config.issuer,
      aud: config.audience,
      iat: now(),
      exp: now() + 3600,
    });
    expect(await verdict(`${header}.${payload}.`)).toBe("UNAUTHENTICATED");
  });

  it("refuses a token signed by an unknown key with an unknown kid", async () => {
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const token = await new SignJWT({ role: "NATIONAL" })
      .setProtectedHeader({ alg: "EdDSA", kid: "unknown-kid" })
      .setIssuer(config.issuer)
      .setAudience(config.audience)
      .setSubject("attacker")
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(privateKey);
    expect(await verdict(token)).toBe("UNAUTHENTICATED");
  });

  it("refuses a token with a known kid but signed by another key", async () => {
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const token = await hubSigned().setExpirationTime("1h").sign(privateKey);
    expect(decodeProtectedHeader(token).kid).toBe(keys.signer.kid);
    expect(await verdict(token)).toBe("UNAUTHENTICATED");
  });

  it("refuses a token without kid", async () => {
    const token = await new SignJWT({ role: "NATIONAL" })
      .setProtectedHeader({ alg: "EdDSA" })
      .setIssuer(config.issuer)
      .setAudience(config.audience)
      .setSubject("test")
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(keys.signer.privateKey);
    expect(await verdict(token)).toBe("UNAUTHENTICATED");
  });

  it("refuses FABRIQUE_ADMIN claims without fabriqueId", async () => {
    const token = await hubSigned({ role: "FABRIQUE_ADMIN" })
      .setExpirationTime("1h")
      .sign(keys.signer.privateKey);
    expect(await verdict(token)).toBe("UNAUTHENTICATED");
  });

  it("refuses an unknown role", async () => {
    const token = await hubSigned({ role: "ROOT" })
      .setExpirationTime("1h")
      .sign(keys.signer.privateKey);
    expect(await verdict(token)).toBe("UNAUTHENTICATED");
  });

  it("refuses garbage", async () => {
    expect(await verdict("not-a-jwt")).toBe("UNAUTHENTICATED");
    expect(await verdict("")).toBe("UNAUTHENTICATED");
  });
});

describe("key rotation", () => {
  it("signs new tokens with the new kid and keeps old tokens valid until the key is removed", async () => {
    const rotating = await freshConfig("rotating");
    const ring = await KeyRing.open(rotating);
    const oldKid = ring.signer.kid;
    const before = await signHubToken(ring, rotating, { role: "NATIONAL" }, "1h");

    const newKid = await rotateSigningKey(rotating.dataDir);
    const after = await issueHubToken(rotating, { role: "NATIONAL" }, "1h");
    expect(decodeProtectedHeader(after).kid).toBe(newKid);

    // A running verifier (the hub) sees the new key and keeps the old one.
    await ring.refresh();
    expect(ring.signer.kid).toBe(newKid);
    expect(await verdict(before, ring, rotating)).toBe("accepted");
    expect(await verdict(after, ring, rotating)).toBe("accepted");

    await removeSigningKey(rotating.dataDir, oldKid);
    await ring.refresh();
    expect(await verdict(before, ring, rotating)).toBe("UNAUTHENTICATED");
    expect(await verdict(after, ring, rotating)).toBe("accepted");
  });

  it("a verifier that has not refreshed yet accepts a token from a newer key", async () => {
    const rotating = await freshConfig("rotating-unrefreshed");
    const ring = await KeyRing.open(rotating);
    await rotateSigningKey(rotating.dataDir);
    const after = await issueHubToken(rotating, { role: "NATIONAL" }, "1h");
    expect(await verdict(after, ring, rotating)).toBe("accepted");
  });

  it("a verifier that has not refreshed yet refuses a token whose key was removed", async () => {
    const rotating = await freshConfig("rotating-removed");
    const ring = await KeyRing.open(rotating);
    const oldKid = ring.signer.kid;
    const before = await signHubToken(ring, rotating, { role: "NATIONAL" }, "1h");
    await rotateSigningKey(rotating.dataDir);
    expect(await verdict(before, ring, rotating)).toBe("accepted");
    await removeSigningKey(rotating.dataDir, oldKid);
    // No explicit refresh: a running hub stops trusting a removed key by itself, within
    // KEY_FILE_CHECK_MS (it looks at the key file at most that often, not per request), even
    // for a token it verified before.
    await new Promise((resolve) => setTimeout(resolve, KEY_FILE_CHECK_MS + 20));
    expect(await verdict(before, ring, rotating)).toBe("UNAUTHENTICATED");
  });

  it("verifies a token once: later requests with it neither verify it again nor read the disk", async () => {
    const source = await freshConfig("verified-once");
    const ring = await KeyRing.open(source);
    const token = await signHubToken(ring, source, { role: "NATIONAL" }, "1h");
    const find = vi.spyOn(ring, "find");
    const stat = vi.spyOn(fs, "stat");
    try {
      expect(await verdict(token, ring, source)).toBe("accepted");
      const lookups = find.mock.calls.length;
      expect(lookups).toBeGreaterThan(0);
      for (let i = 0; i < 4; i++) expect(await verdict(token, ring, source)).toBe("accepted");
      expect(find).toHaveBeenCalledTimes(lookups);
      expect(stat).not.toHaveBeenCalled();
      // Another audience is another verification, and it fails.
      expect(await verdict(token, ring, { ...source, audience: "elsewhere" })).toBe(
        "UNAUTHENTICATED",
      );
    } finally {
      find.mockRestore();
      stat.mockRestore();
    }
  });
});

describe("HUB_SIGNING_KEYS", () => {
  it("signs and verifies with keys given by env, without any key file", async () => {
    const source = await freshConfig("keys-source");
    await KeyRing.open(source);
    const json = await fs.readFile(keyFilePath(source.dataDir), "utf8");

    const emptyDir = path.join(root, "env-keys");
    const envConfig = loadHubConfig(
      { HUB_SIGNING_KEYS: json },
      { dataDir: emptyDir, logLevel: "silent" },
    );
    expect(envConfig.signingKeysJson).toBe(json);

    const token = await issueHubToken(envConfig, { role: "NATIONAL" }, "1h");
    const ring = await KeyRing.open(envConfig);
    expect(decodeProtectedHeader(token).kid).toBe(ring.signer.kid);
    expect(await verdict(token, ring, envConfig)).toBe("accepted");
    await expect(fs.stat(emptyDir)).rejects.toMatchObject({ code: "ENOENT" });
  });
});

import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  KeyRing,
  keyFilePath,
  listSigningKeys,
  removeSigningKey,
  rotateSigningKey,
} from "./keys.ts";

const tempDirs: string[] = [];

async function tempDataDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-keys-"));
  tempDirs.push(dir);
  return path.join(dir, "hub");
}

afterEach(async () => {
  for (const dir of tempDirs.splice(0)) await fs.rm(dir, { recursive: true, force: true });
});

describe("KeyRing", () => {
  it("creates the key file on first use, mode 0600 in a 0700 directory", async () => {
    const dataDir = await tempDataDir();
    const ring = await KeyRing.open({ dataDir });

    const file = await fs.stat(keyFilePath(dataDir));
    expect(file.mode & 0o777).toBe(0o600);
    const dir = await fs.stat(path.dirname(keyFilePath(dataDir)));
    expect(dir.mode & 0o777).toBe(0o700);

    const listed = await listSigningKeys(dataDir);
    expect(listed.map((k) => k.kid)).toEqual([ring.signer.kid]);
    // No temporary file is left beside the key file.
    expect(await fs.readdir(path.dirname(keyFilePath(dataDir)))).toEqual(["signing-keys.json"]);
  });

  it("reuses the key file: a second open signs with the same key", async () => {
    const dataDir = await tempDataDir();
    const first = await KeyRing.open({ dataDir });
    const second = await KeyRing.open({ dataDir });
    expect(second.signer.kid).toBe(first.signer.kid);
  });

  it("two concurrent opens of a fresh directory end with the same single key", async () => {
    // Repeated: the race between two first opens is timing-dependent.
    for (let round = 0; round < 20; round++) {
      const dataDir = await tempDataDir();
      const [a, b] = await Promise.all([KeyRing.open({ dataDir }), KeyRing.open({ dataDir })]);
      expect(a.signer.kid).toBe(b.signer.kid);
      expect(await listSigningKeys(dataDir)).toHaveLength(1);
      expect(await fs.readdir(path.dirname(keyFilePath(dataDir)))).toEqual(["signing-keys.json"]);
    }
  });

  it("many concurrent opens of a fresh directory agree too", async () => {
    const dataDir = await tempDataDir();
    const rings = await Promise.all(Array.from({ length: 8 }, () => KeyRing.open({ dataDir })));
    expect(new Set(rings.map((r) => r.signer.kid)).size).toBe(1);
    expect(await listSigningKeys(dataDir)).toHaveLength(1);
  });

  it("does not create a key when asked not to", async () => {
    const dataDir = await tempDataDir();
    await expect(KeyRing.open({ dataDir }, { create: false })).rejects.toThrow();
    await expect(fs.stat(keyFilePath(dataDir))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("publishes only public keys in its JWKS", async () => {
    const dataDir = await tempDataDir();
    const ring = await KeyRing.open({ dataDir });
    const { keys } = ring.jwks();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({
      kty: "OKP",
      crv: "Ed25519",
      kid: ring.signer.kid,
      alg: "EdDSA",
    });
    expect(keys[0]).not.toHaveProperty("d");
    expect(typeof keys[0]?.x).toBe("string");
  });

  it("takes its keys from HUB_SIGNING_KEYS without touching the data dir", async () => {
    const source = await tempDataDir();
    await KeyRing.open({ dataDir: source });
    const json = await fs.readFile(keyFilePath(source), "utf8");

    const dataDir = await tempDataDir();
    const ring = await KeyRing.open({ dataDir, signingKeysJson: json });
    const [stored] = JSON.parse(json).keys as { kid: string }[];
    expect(ring.signer.kid).toBe(stored?.kid);
    await ring.refresh();
    expect(ring.signer.kid).toBe(stored?.kid);
    await expect(fs.stat(dataDir)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("refuses malformed HUB_SIGNING_KEYS", async () => {
    const dataDir = await tempDataDir();
    await expect(KeyRing.open({ dataDir, signingKeysJson: '{"keys":[]}' })).rejects.toThrow();
    await expect(KeyRing.open({ dataDir, signingKeysJson: "not json" })).rejects.toThrow();
  });
});

describe("rotation", () => {
  it("adds a newer signer, keeps the old key listed, and a refresh picks it up", async () => {
    const dataDir = await tempDataDir();
    const ring = await KeyRing.open({ dataDir });
    const oldKid = ring.signer.kid;

    const newKid = await rotateSigningKey(dataDir);
    expect(newKid).not.toBe(oldKid);
    expect((await listSigningKeys(dataDir)).map((k) => k.kid)).toEqual([oldKid, newKid]);
    expect((await fs.stat(keyFilePath(dataDir))).mode & 0o777).toBe(0o600);

    await ring.refresh();
    expect(ring.signer.kid).toBe(newKid);
    expect(ring.find(oldKid)).toBeDefined();
    expect(ring.jwks().keys.map((k) => k.kid)).toEqual([oldKid, newKid]);
  });

  it("removes a key, and refuses to remove the last one or an unknown one", async () => {
    const dataDir = await tempDataDir();
    const ring = await KeyRing.open({ dataDir });
    const oldKid = ring.signer.kid;
    const newKid = await rotateSigningKey(dataDir);

    await removeSigningKey(dataDir, oldKid);
    await ring.refresh();
    expect(ring.find(oldKid)).toBeUndefined();
    expect(ring.signer.kid).toBe(newKid);

    await expect(removeSigningKey(dataDir, newKid)).rejects.toThrow(/last/);
    await expect(removeSigningKey(dataDir, "no-such-kid")).rejects.toThrow();
    expect((await listSigningKeys(dataDir)).map((k) => k.kid)).toEqual([newKid]);
  });

  it("sees two rotations in a row, however close together", async () => {
    const dataDir = await tempDataDir();
    const ring = await KeyRing.open({ dataDir });
    await rotateSigningKey(dataDir);
    await ring.refresh();
    const last = await rotateSigningKey(dataDir);
    await ring.refresh();
    expect(ring.signer.kid).toBe(last);
    expect(ring.jwks().keys).toHaveLength(3);
  });
});

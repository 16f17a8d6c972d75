import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { MaillageError } from "@maillage/schema";
import { decodeProtectedHeader, jwtVerify } from "jose";
import { ulid } from "ulid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgent } from "../app.ts";
import { loadAgentConfig } from "../env.ts";
import { createFakeHub, type FakeHub } from "../testing/fake-hub.ts";
import { keyFilePath } from "./files.ts";
import { loadNodeCredentials, readNodeIdentity } from "./identity.ts";
import { AlreadyEnrolledError, initAgent } from "./init.ts";
import { agentAudience, issueAgentToken, signNodeToken, verifyAgentToken } from "./tokens.ts";

/**
 * `maillage agent init` and the agent's tokens, against a fake hub: no database involved
 * (token and status must work while the agent runs, without opening its store).
 */
let root: string;
let hub: FakeHub;
const fabrique = { id: ulid(), name: "Fabrique de Lamastre" };

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-init-"));
  hub = createFakeHub();
});
afterAll(async () => {
  await hub?.close();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

const dir = (name: string) => path.join(root, name);
const HUB_URL = "http://hub.test";

async function codeOf(error: Promise<unknown>): Promise<string | undefined> {
  try {
    await error;
  } catch (e) {
    return (e as MaillageError).code ?? (e as Error).name;
  }
  return undefined;
}

describe("initAgent", () => {
  it("enrols with a one-time code: key file 0600 in a 0700 dir, identity with the raw fabrique id", async () => {
    const dataDir = dir("ok");
    const identity = await initAgent({
      dataDir,
      hubUrl: HUB_URL,
      code: hub.createCode(fabrique),
      fetch: hub.fetch,
    });
    expect(identity.fabriqueId).toBe(fabrique.id);
    expect(identity.fabriqueName).toBe(fabrique.name);
    expect(identity.hubUrl).toBe(HUB_URL);
    expect(hub.node(identity.nodeId)?.fabriqueId).toBe(fabrique.id);

    const keyStat = await fs.stat(keyFilePath(dataDir));
    expect(keyStat.mode & 0o777).toBe(0o600);
    expect((await fs.stat(path.dirname(keyFilePath(dataDir)))).mode & 0o777).toBe(0o700);
    expect((await fs.stat(dataDir)).mode & 0o777).toBe(0o700);
    expect(await readNodeIdentity(dataDir)).toEqual(identity);
    const keyFile = JSON.parse(await fs.readFile(keyFilePath(dataDir), "utf8"));
    expect(keyFile.kid).toBe(identity.nodeId);
    expect(await fs.readdir(dataDir)).toEqual(expect.not.arrayContaining(["init.lock"]));
  });

  it("refuses a used code with ENROLMENT_CODE_INVALID and writes nothing", async () => {
    const code = hub.createCode({ id: ulid(), name: "Fabrique du Cheylard" });
    await initAgent({ dataDir: dir("first"), hubUrl: HUB_URL, code, fetch: hub.fetch });
    const dataDir = dir("used");
    const error = initAgent({ dataDir, hubUrl: HUB_URL, code, fetch: hub.fetch });
    await expect(error).rejects.toBeInstanceOf(MaillageError);
    expect(await codeOf(initAgent({ dataDir, hubUrl: HUB_URL, code, fetch: hub.fetch }))).toBe(
      "ENROLMENT_CODE_INVALID",
    );
    await expect(fs.stat(dataDir)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("refuses an expired or unknown code and leaves an existing data dir as it was", async () => {
    const dataDir = dir("expired");
    await fs.mkdir(dataDir);
    await fs.writeFile(path.join(dataDir, "keep.txt"), "mine");
    const expired = hub.createCode({ id: ulid(), name: "Fabrique de Vernoux" }, { ttlMs: -1 });
    expect(
      await codeOf(initAgent({ dataDir, hubUrl: HUB_URL, code: expired, fetch: hub.fetch })),
    ).toBe("ENROLMENT_CODE_INVALID");
    expect(
      await codeOf(
        initAgent({ dataDir, hubUrl: HUB_URL, code: "NOPE-NOPE-NOPE", fetch: hub.fetch }),
      ),
    ).toBe("ENROLMENT_CODE_INVALID");
    expect(await fs.readdir(dataDir)).toEqual(["keep.txt"]);
  });

  it("refuses a malformed hub URL or code with BAD_USER_INPUT before asking anything", async () => {
    const dataDir = dir("malformed");
    const code = hub.createCode({ id: ulid(), name: "Fabrique de Joyeuse" });
    for (const hubUrl of ["hub.test", "ftp://hub.test", ""]) {
      expect(await codeOf(initAgent({ dataDir, hubUrl, code, fetch: hub.fetch }))).toBe(
        "BAD_USER_INPUT",
      );
    }
    expect(await codeOf(initAgent({ dataDir, hubUrl: HUB_URL, code: " ", fetch: hub.fetch }))).toBe(
      "BAD_USER_INPUT",
    );
    await expect(fs.stat(dataDir)).rejects.toMatchObject({ code: "ENOENT" });
    // The code is still good.
    await initAgent({ dataDir, hubUrl: HUB_URL, code, fetch: hub.fetch });
  });

  it("reports an unreachable hub as HUB_UNREACHABLE and writes nothing", async () => {
    const dataDir = dir("down");
    hub.down = true;
    try {
      const code = hub.createCode({ id: ulid(), name: "Fabrique de Privas" });
      expect(await codeOf(initAgent({ dataDir, hubUrl: HUB_URL, code, fetch: hub.fetch }))).toBe(
        "HUB_UNREACHABLE",
      );
    } finally {
      hub.down = false;
    }
    await expect(fs.stat(dataDir)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("refuses to run again on an enrolled data dir, keeping its identity and key", async () => {
    const dataDir = dir("twice");
    const first = await initAgent({
      dataDir,
      hubUrl: HUB_URL,
      code: hub.createCode({ id: ulid(), name: "Fabrique d'Annonay" }),
      fetch: hub.fetch,
    });
    const keyBefore = await fs.readFile(keyFilePath(dataDir), "utf8");
    const code = hub.createCode({ id: ulid(), name: "Fabrique de Tournon" });
    const again = initAgent({ dataDir, hubUrl: HUB_URL, code, fetch: hub.fetch });
    await expect(again).rejects.toBeInstanceOf(AlreadyEnrolledError);
    await expect(again).rejects.toThrow(first.nodeId);
    expect(await fs.readFile(keyFilePath(dataDir), "utf8")).toBe(keyBefore);
    expect(await readNodeIdentity(dataDir)).toEqual(first);
    // The code was not spent: the hub was never asked.
    await initAgent({ dataDir: dir("twice-other"), hubUrl: HUB_URL, code, fetch: hub.fetch });
  });

  it("makes createAgent, issueAgentToken and loadNodeCredentials answer NOT_ENROLLED before init", async () => {
    const dataDir = dir("never");
    expect(await codeOf(loadNodeCredentials(dataDir))).toBe("NOT_ENROLLED");
    expect(await codeOf(issueAgentToken({ dataDir, role: "FABRIQUE_ADMIN" }))).toBe("NOT_ENROLLED");
    const config = loadAgentConfig({}, { dataDir, port: 0, logLevel: "silent" });
    expect(await codeOf(createAgent(config))).toBe("NOT_ENROLLED");
    // Nothing was created (no embedded database opened).
    await expect(fs.stat(dataDir)).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("tokens", () => {
  it("signs node tokens the hub can verify: EdDSA, kid = iss = sub = node id, aud, role NODE, 300 s", async () => {
    const { identity, key } = await loadNodeCredentials(dir("ok"));
    const token = await signNodeToken(identity, key);
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ alg: "EdDSA", kid: identity.nodeId });
    const { payload } = await jwtVerify(token, key.publicKey, {
      algorithms: ["EdDSA"],
      issuer: identity.nodeId,
      audience: "maillage",
    });
    expect(payload).toMatchObject({ sub: identity.nodeId, role: "NODE", fabriqueId: fabrique.id });
    expect((payload.exp as number) - (payload.iat as number)).toBe(300);
    const custom = await signNodeToken(identity, key, {
      audience: "maillage-eu",
      ttlSeconds: 9999,
    });
    const verified = await jwtVerify(custom, key.publicKey, { audience: "maillage-eu" });
    expect((verified.payload.exp as number) - (verified.payload.iat as number)).toBe(600);
  });

  it("issues agent tokens from the files only, for the agent's own audience", async () => {
    const dataDir = dir("ok");
    const { identity, key } = await loadNodeCredentials(dataDir);
    const admin = await issueAgentToken({ dataDir, role: "FABRIQUE_ADMIN", ttl: "8h" });
    const viewer = await verifyAgentToken(identity, key, admin);
    expect(viewer).toMatchObject({ role: "FABRIQUE_ADMIN", fabriqueId: fabrique.id });
    const { payload } = await jwtVerify(admin, key.publicKey);
    expect(payload.aud).toBe(agentAudience(identity.nodeId));
    expect((payload.exp as number) - (payload.iat as number)).toBe(8 * 3600);

    const satellite = await issueAgentToken({ dataDir, role: "SATELLITE", spaceId: "S1" });
    expect(await verifyAgentToken(identity, key, satellite)).toMatchObject({ spaceId: "S1" });
    const member = await issueAgentToken({ dataDir, role: "MEMBER", memberId: "M1" });
    expect(await verifyAgentToken(identity, key, member)).toMatchObject({ memberId: "M1" });
  });

  it("refuses bad token requests with BAD_USER_INPUT", async () => {
    const dataDir = dir("ok");
    const bad: Record<string, string>[] = [
      { role: "SATELLITE" },
      { role: "MEMBER", spaceId: "S1" },
      { role: "FABRIQUE_ADMIN", spaceId: "S1" },
      { role: "NODE" },
      { role: "FABRIQUE_ADMIN", ttl: "forever" },
    ];
    for (const request of bad) {
      expect(await codeOf(issueAgentToken({ dataDir, ...request } as never))).toBe(
        "BAD_USER_INPUT",
      );
    }
  });

  it("never accepts a node token (the hub's audience) nor another node's token as an agent token", async () => {
    const { identity, key } = await loadNodeCredentials(dir("ok"));
    const other = await loadNodeCredentials(dir("first"));
    expect(await codeOf(verifyAgentToken(identity, key, await signNodeToken(identity, key)))).toBe(
      "UNAUTHENTICATED",
    );
    const foreign = await issueAgentToken({ dataDir: dir("first"), role: "FABRIQUE_ADMIN" });
    expect(await codeOf(verifyAgentToken(identity, key, foreign))).toBe("UNAUTHENTICATED");
    expect(await codeOf(verifyAgentToken(other.identity, other.key, foreign))).toBeUndefined();
  });
});

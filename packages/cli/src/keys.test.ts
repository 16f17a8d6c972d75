import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { commandHelp } from "./args.ts";
import { HUB_KEYS_LIST, HUB_KEYS_REMOVE, HUB_KEYS_ROTATE } from "./keys.ts";
import { main } from "./main.ts";
import { capturedIo, fakeContext, fakeHubApi, writeHubKeyFile } from "./test-support.ts";

async function run(
  argv: string[],
  options: { kids?: string[] | null; env?: Record<string, string | undefined> } = {},
) {
  const { api, calls } = fakeHubApi({ kids: options.kids });
  const io = fakeContext(api, options.env);
  const code = await main(["hub", "keys", ...argv], io.ctx);
  return { code, stdout: io.stdout(), stderr: io.stderr(), calls };
}

function expectFailure(result: Awaited<ReturnType<typeof run>>, code: number, pattern: RegExp) {
  expect(result.code).toBe(code);
  expect(result.stdout).toBe("");
  expect(result.stderr).toMatch(/^maillage: [^\n]+\n$/);
  expect(result.stderr).toMatch(pattern);
}

describe("hub keys list", () => {
  it("lists the keys oldest first and says which one signs", async () => {
    const result = await run(["list", "--data-dir", "state/hub"], { kids: ["old", "new"] });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^kid\s+created\s+use$/);
    expect(lines[1]).toMatch(/^old\s+2025-01-01T00:00:00.000Z\s+verifies$/);
    expect(lines[2]).toMatch(/^new\s+2025-01-02T00:00:00.000Z\s+signs and verifies$/);
    expect(result.calls.keyFile).toEqual(["list /work/here/state/hub"]);
    expect(result.calls.createHub).toEqual([]);
  });

  it("says where it looked when there is no key file", async () => {
    const result = await run(["list", "--data-dir", "/nowhere"], { kids: null });
    expectFailure(
      result,
      1,
      /^maillage: no hub in \/nowhere \(no keys\/signing-keys\.json there\)/,
    );
    expect(result.stderr).toContain("--data-dir");
    expect(result.stderr).toContain("DATA_DIR");
  });
});

describe("hub keys rotate", () => {
  it("prints the new kid alone on stdout and explains on stderr", async () => {
    const result = await run(["rotate"], { kids: ["kid-1"] });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("kid-2\n");
    expect(result.stderr).toContain("picks it up without a restart");
    expect(result.stderr).toContain("keep verifying");
    expect(result.calls.keyFile).toEqual(["rotate /data/.maillage/hub"]);
    expect(result.calls.createHub).toEqual([]);
  });

  it("refuses to create a key file in a directory that has none", async () => {
    const result = await run(["rotate", "--data-dir", "/typo"], { kids: null });
    expectFailure(result, 1, /^maillage: no hub in \/typo /);
    expect(result.calls.keyFile).toEqual(["rotate /typo"]);
  });
});

describe("hub keys remove", () => {
  it("removes the key", async () => {
    const result = await run(["remove", "--kid", "old"], { kids: ["old", "new"] });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      "Removed signing key old: tokens signed with it no longer verify.\n",
    );
    expect(result.calls.keyFile).toContain("remove /data/.maillage/hub old");
  });

  it.each([
    [["old", "new"], "gone", /no signing key with kid "gone"/],
    [["only"], "only", /"only" is the last signing key/],
  ])("with keys %j, refuses --kid %s with one line and exit 1", async (kids, kid, message) => {
    const result = await run(["remove", "--kid", kid], { kids });
    expectFailure(result, 1, message);
    expect(result.calls.keyFile.filter((call) => call.startsWith("remove"))).toEqual([]);
  });

  it.each([
    [[], /--kid is required/],
    [["--kid", ""], /--kid must not be empty/],
    [["--kid"], /option --kid needs a value/],
    [["--kid", "a", "extra"], /unexpected argument "extra"/],
  ])("%j → exit 2", async (args, message) => {
    const result = await run(["remove", ...args], { kids: ["a", "b"] });
    expectFailure(result, 2, message);
    expect(result.calls.keyFile).toEqual([]);
  });
});

describe("hub keys, with HUB_SIGNING_KEYS set", () => {
  it.each([[["list"]], [["rotate"]], [["remove", "--kid", "kid-1"]]])(
    "%j is refused: the keys come from the environment",
    async (args) => {
      const result = await run(args, { env: { HUB_SIGNING_KEYS: '{"keys":[]}' } });
      expectFailure(result, 1, /HUB_SIGNING_KEYS is set/);
      expect(result.calls.keyFile).toEqual([]);
    },
  );
});

describe("hub keys help", () => {
  it("documents each command's options", () => {
    expect(commandHelp(HUB_KEYS_LIST)).toMatch(/^Usage: maillage hub keys list \[options\]\n/);
    expect(commandHelp(HUB_KEYS_ROTATE)).toContain("--data-dir <dir>");
    const remove = commandHelp(HUB_KEYS_REMOVE);
    expect(remove).toMatch(/^Usage: maillage hub keys remove --kid <kid> \[options\]\n/);
    expect(remove).toContain("--kid <kid>");
    expect(remove).toContain("--data-dir <dir>");
  });
});

describe("hub keys, on a real key file", () => {
  it("rotates, lists, removes the old key, and keeps the last one", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-keys-"));
    onTestFinished(() => fs.rm(dir, { recursive: true, force: true }));
    const hub = await import("@maillage/hub/client");
    const keys = async (...argv: string[]) => {
      const io = capturedIo();
      const code = await main(["hub", "keys", ...argv, "--data-dir", dir], io.io);
      return { code, stdout: io.stdout(), stderr: io.stderr() };
    };
    const kids = async () => (await hub.listSigningKeys(dir)).map((key) => key.kid);

    // The key file the hub's first start leaves.
    await writeHubKeyFile(dir);
    const [first] = await kids();

    const rotated = await keys("rotate");
    expect(rotated.code).toBe(0);
    const newKid = rotated.stdout.trim();
    expect(await kids()).toEqual([first, newKid]);

    const listed = await keys("list");
    expect(listed.code).toBe(0);
    expect(listed.stdout.trimEnd().split("\n")).toHaveLength(3);
    expect(listed.stdout).toMatch(new RegExp(`${newKid}\\s+\\S+\\s+signs and verifies`));

    expect((await keys("remove", "--kid", String(first))).code).toBe(0);
    expect((await keys("list")).stdout.trimEnd().split("\n")).toHaveLength(2);
    expect(await kids()).toEqual([newKid]);

    const last = await keys("remove", "--kid", newKid);
    expect(last.code).toBe(1);
    expect(last.stderr).toMatch(/^maillage: "[^"]+" is the last signing key[^\n]*\n$/);
    expect(await kids()).toEqual([newKid]);
  });
});

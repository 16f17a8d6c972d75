import { describe, expect, it } from "vitest";
import { main } from "./main.ts";
import { fakeContext, fakeHubApi } from "./test-support.ts";

async function run(argv: string[], env: Record<string, string | undefined> = {}) {
  const { api, calls } = fakeHubApi();
  const io = fakeContext(api, env);
  const code = await main(argv, io.ctx);
  return { code, stdout: io.stdout(), stderr: io.stderr(), calls };
}

function expectOneLineError(result: { stdout: string; stderr: string }, pattern: RegExp) {
  expect(result.stdout).toBe("");
  expect(result.stderr).toMatch(/^maillage: [^\n]+\n$/);
  expect(result.stderr).toMatch(pattern);
}

describe("maillage (dispatch)", () => {
  it("prints the help on stdout with exit 0 for --help and -h", async () => {
    for (const flag of ["--help", "-h"]) {
      const result = await run([flag]);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: maillage <command>/);
      expect(result.stdout).toContain("hub start");
      expect(result.stdout).toContain("hub token");
      expect(result.stdout).toContain("hub keys rotate");
      expect(result.stdout).toContain("demo");
      expect(result.stderr).toBe("");
    }
  });

  it("prints the help on stderr with exit 2 when the command is missing", async () => {
    const result = await run([]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^Usage: maillage <command>/);
  });

  it("treats a group without its command like a missing command", async () => {
    const result = await run(["hub"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^Usage: maillage hub <command>/);
    expect(result.stderr).toContain("keys remove");
    const keys = await run(["hub", "keys"]);
    expect(keys.code).toBe(2);
    expect(keys.stderr).toMatch(/^Usage: maillage hub keys <command>/);
  });

  it("answers --help on a group and on each command", async () => {
    for (const argv of [
      ["hub", "--help"],
      ["hub", "start", "--help"],
      ["hub", "token", "-h"],
      ["hub", "keys", "--help"],
      ["hub", "keys", "list", "--help"],
      ["hub", "keys", "rotate", "--help"],
      ["hub", "keys", "remove", "-h"],
      ["demo", "--help"],
    ]) {
      const result = await run(argv);
      expect(result.code, argv.join(" ")).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: maillage ${argv.slice(0, -1).join(" ")} `));
      expect(result.stdout).toContain("-h, --help");
      expect(result.stderr).toBe("");
    }
  });

  it("lets --help win over other mistakes on the same line", async () => {
    const result = await run(["hub", "token", "--role", "KING", "--nope", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: maillage hub token/);
  });

  it("refuses unknown commands with one line and exit 2", async () => {
    for (const argv of [["serve"], ["hub", "restart"], ["hub", "keys", "revoke"]]) {
      const result = await run(argv);
      expect(result.code).toBe(2);
      expectOneLineError(result, /unknown command/);
    }
    const nested = await run(["hub", "keys", "revoke"]);
    expect(nested.stderr).toBe(
      'maillage: unknown command "hub keys revoke" (see "maillage hub keys --help")\n',
    );
  });

  it("refuses unknown flags with one line and exit 2", async () => {
    for (const argv of [
      ["--nope"],
      ["hub", "--nope"],
      ["hub", "start", "--nope"],
      ["hub", "token", "-x"],
      ["hub", "keys", "--nope"],
      ["hub", "keys", "list", "--nope"],
      ["hub", "keys", "rotate", "--nope"],
      ["hub", "keys", "remove", "--kid", "k", "--nope"],
      ["demo", "--port", "1"],
    ]) {
      const result = await run(argv);
      expect(result.code, argv.join(" ")).toBe(2);
      expectOneLineError(result, /unknown option (--nope|-x|--port)/);
    }
  });

  it("refuses stray positional arguments", async () => {
    const result = await run(["hub", "start", "now"]);
    expect(result.code).toBe(2);
    expectOneLineError(result, /unexpected argument "now"/);
  });

  it("refuses a flag without its value", async () => {
    const result = await run(["hub", "start", "--port"]);
    expect(result.code).toBe(2);
    expectOneLineError(result, /option --port needs a value/);
  });

  it("refuses a bad --port before loading the hub", async () => {
    for (const port of ["http", "-1", "65536", "4000.5", ""]) {
      const result = await run(["hub", "start", `--port=${port}`]);
      expect(result.code, port).toBe(2);
      expectOneLineError(result, /--port must be an integer from 0 to 65535/);
      expect(result.calls.createHub).toEqual([]);
    }
  });

  it("turns a bad environment variable into exit 2", async () => {
    const result = await run(["hub", "start"], { PORT: "lots" });
    expect(result.code).toBe(2);
    expectOneLineError(result, /PORT/);
    expect(result.calls.createHub).toEqual([]);
  });
});

describe("maillage hub token (validation)", () => {
  it.each([
    [["--role", "KING"], /--role must be NATIONAL or FABRIQUE_ADMIN/],
    [["--role", "NODE"], /--role must be NATIONAL or FABRIQUE_ADMIN/],
    [[], /--role is required/],
    [["--role", "FABRIQUE_ADMIN"], /needs --fabrique/],
    [["--role", "FABRIQUE_ADMIN", "--fabrique", ""], /--fabrique must not be empty/],
    [["--role", "NATIONAL", "--fabrique", "fab_1"], /NATIONAL takes no --fabrique/],
    [["--role", "NATIONAL", "--ttl", "1y"], /invalid --ttl "1y"/],
    [["--role", "NATIONAL", "--ttl", "soon"], /invalid --ttl "soon"/],
    [["--role", "NATIONAL", "--ttl", "366d"], /invalid --ttl "366d"/],
    [["--role", "NATIONAL", "--ttl", "0h"], /invalid --ttl "0h"/],
    [["--role", "NATIONAL", "--ttl", "-1h"], /option --ttl needs a value/],
  ])("%j → exit 2", async (args, message) => {
    const result = await run(["hub", "token", ...args]);
    expect(result.code).toBe(2);
    expectOneLineError(result, message);
    expect(result.calls.tokens).toEqual([]);
  });
});

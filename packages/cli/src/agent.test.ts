import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { MaillageError } from "@maillage/schema";
import { describe, expect, it, vi } from "vitest";
import {
  AGENT_IMPORT_ACTIVITY,
  AGENT_INIT,
  AGENT_START,
  AGENT_STATUS,
  AGENT_TOKEN,
  formatAgentStatus,
} from "./agent.ts";
import { commandHelp } from "./args.ts";
import { main } from "./main.ts";
import { FAKE_STATUS, fakeAgentApi, fakeContext, fakeHubApi } from "./test-support.ts";

type AgentOptions = Parameters<typeof fakeAgentApi>[0];

function setUp(options: AgentOptions = {}, env: Record<string, string | undefined> = {}) {
  const agent = fakeAgentApi(options);
  const io = fakeContext(fakeHubApi().api, env, agent.api);
  return { ...agent, io };
}

async function run(
  argv: string[],
  options: AgentOptions = {},
  env: Record<string, string | undefined> = {},
) {
  const { io, calls, classes } = setUp(options, env);
  const code = await main(["agent", ...argv], io.ctx);
  return { code, stdout: io.stdout(), stderr: io.stderr(), calls, classes };
}

function expectOneLineError(result: { stdout: string; stderr: string }, pattern: RegExp) {
  expect(result.stdout).toBe("");
  expect(result.stderr).toMatch(/^maillage: [^\n]+\n$/);
  expect(result.stderr).toMatch(pattern);
}

const DEFAULT_DIR = "/data/.maillage/agent";

describe("agent init", () => {
  it("enrols with the hub and prints the node id and the fabrique's name", async () => {
    const result = await run([
      "init",
      "--hub",
      "http://127.0.0.1:4000",
      "--code",
      "ABCD-EFGH-JKMN",
      "--data-dir",
      "state/agent",
    ]);
    expect(result.code).toBe(0);
    expect(result.calls.init).toEqual([
      {
        dataDir: "/work/here/state/agent",
        hubUrl: "http://127.0.0.1:4000",
        code: "ABCD-EFGH-JKMN",
        fetch: expect.any(Function),
      },
    ]);
    expect(result.stdout).toContain("Enrolled node node-agent for Fabrique agent");
    expect(result.stdout).toContain("maillage agent start --data-dir /work/here/state/agent");
    expect(result.stderr).toBe("");
  });

  it("uses the agent's default data dir without --data-dir", async () => {
    const result = await run(["init", "--hub", "https://hub.example", "--code", "ABCD-EFGH"]);
    expect(result.code).toBe(0);
    expect(result.calls.init[0]?.dataDir).toBe(DEFAULT_DIR);
  });

  it("reports a used or expired code with its code on one line, exit 1", async () => {
    const refused = new MaillageError("ENROLMENT_CODE_INVALID", "enrolment code already used");
    const result = await run(["init", "--hub", "http://h:4000", "--code", "ABCD-EFGH"], {
      initFails: refused,
    });
    expect(result.code).toBe(1);
    expectOneLineError(result, /^maillage: ENROLMENT_CODE_INVALID: enrolment code already used\n$/);
  });

  it("refuses to enrol a data dir twice, exit 1", async () => {
    const result = await run(["init", "--hub", "http://h:4000", "--code", "ABCD-EFGH"], {
      enrolled: [DEFAULT_DIR],
    });
    expect(result.code).toBe(1);
    expectOneLineError(result, /already holds node node-agent/);
  });

  it("turns the agent's own check of the code (before asking the hub) into a usage error", async () => {
    const tooShort = new MaillageError("BAD_USER_INPUT", "input: the one-time code the hub issued");
    const result = await run(["init", "--hub", "http://h:4000", "--code", "abc"], {
      initFails: tooShort,
    });
    expect(result.code).toBe(2);
    expectOneLineError(result, /^maillage: invalid --code: the one-time code the hub issued\n$/);
  });

  it.each([
    [["--code", "ABCD-EFGH"], /--hub <url> is required/],
    [["--hub", "http://h:4000"], /--code <code> is required/],
    [["--hub", "h:4000", "--code", "ABCD-EFGH"], /--hub must be an http:\/\/ or https:\/\/ URL/],
    [["--hub", "ftp://h", "--code", "ABCD-EFGH"], /--hub must be an http:\/\/ or https:\/\/ URL/],
    [["--hub", "http://h", "--code", ""], /--code must not be empty/],
    [["--hub", "http://h", "--code", "ABCD-EFGH", "--data-dir", ""], /--data-dir must not be/],
    [["--hub", "http://h", "--code", "ABCD-EFGH", "--nope"], /unknown option --nope/],
  ])("%j → exit 2, nothing enrolled", async (args, message) => {
    const result = await run(["init", ...args]);
    expect(result.code).toBe(2);
    expectOneLineError(result, message);
    expect(result.calls.init).toEqual([]);
  });
});

describe("agent start", () => {
  it("starts on --port and --data-dir, says where it listens, stops cleanly on a signal", async () => {
    const { io, calls } = setUp({ enrolled: ["/work/here/agent-a"] }, { PORT: "4000" });
    const exit = main(["agent", "start", "--port", "4200", "--data-dir", "agent-a"], io.ctx);
    await vi.waitFor(() => expect(io.stdout()).toContain("listening on http://127.0.0.1:4200"));
    expect(io.stdout()).toContain("Maillage node agent of Fabrique agent-a (node node-agent-a)");
    expect(io.stdout()).toContain("embedded PGlite in /work/here/agent-a");
    expect(calls.createAgent[0]).toMatchObject({ port: 4200, dataDir: "/work/here/agent-a" });
    expect(calls.stopped).toEqual([]);

    io.stop("SIGTERM");
    expect(await exit).toBe(0);
    expect(calls.stopped).toEqual(["/work/here/agent-a"]);
    expect(io.stdout()).toContain("Received SIGTERM, stopping the agent…");
  });

  it("takes PORT from the environment without --port, and names PostgreSQL without its URL", async () => {
    const env = { PORT: "4300", DATABASE_URL: "postgresql://u:secret@db/agent" };
    const { io, calls } = setUp({ enrolled: [DEFAULT_DIR] }, env);
    const exit = main(["agent", "start"], io.ctx);
    await vi.waitFor(() => expect(io.stdout()).toContain("listening on http://127.0.0.1:4300"));
    io.stop();
    expect(await exit).toBe(0);
    expect(calls.createAgent[0]?.dataDir).toBe(DEFAULT_DIR);
    expect(io.stdout()).toContain("PostgreSQL (DATABASE_URL)");
    expect(io.stdout()).not.toContain("secret");
  });

  it("reports an agent that was never enrolled in one line, exit 1", async () => {
    const result = await run(["start"]);
    expect(result.code).toBe(1);
    expectOneLineError(result, /^maillage: NOT_ENROLLED: /);
  });

  it("stops the agent it built when start fails", async () => {
    const error = Object.assign(new Error("listen EADDRINUSE: address already in use"), {
      code: "EADDRINUSE",
    });
    const result = await run(["start"], { enrolled: [DEFAULT_DIR], startFails: error });
    expect(result.code).toBe(1);
    expect(result.calls.stopped).toEqual([DEFAULT_DIR]);
    expect(result.stderr).toBe("maillage: listen EADDRINUSE: address already in use\n");
  });

  it("refuses a bad --port or environment before building the agent", async () => {
    const port = await run(["start", "--port", "http"]);
    expect(port.code).toBe(2);
    expectOneLineError(port, /--port must be an integer from 0 to 65535/);
    const env = await run(["start"], {}, { PORT: "lots" });
    expect(env.code).toBe(2);
    expectOneLineError(env, /PORT/);
    expect([...port.calls.createAgent, ...env.calls.createAgent]).toEqual([]);
  });
});

describe("agent token", () => {
  it("prints the token and a newline, nothing else, without building the agent", async () => {
    const result = await run(["token", "--role", "SATELLITE", "--space", "sat_1", "--ttl", "8h"], {
      enrolled: [DEFAULT_DIR],
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("agent.header.payload\n");
    expect(result.stderr).toBe("");
    expect(result.calls.tokens).toEqual([
      { dataDir: DEFAULT_DIR, role: "SATELLITE", spaceId: "sat_1", ttl: "8h" },
    ]);
    expect(result.calls.createAgent).toEqual([]);
  });

  it("signs with the key of --data-dir, one hour by default", async () => {
    const result = await run(["token", "--role", "MEMBER", "--member", "m_1", "--data-dir", "a"], {
      enrolled: ["/work/here/a"],
    });
    expect(result.code).toBe(0);
    expect(result.calls.tokens).toEqual([
      { dataDir: "/work/here/a", role: "MEMBER", memberId: "m_1", ttl: "1h" },
    ]);
  });

  it("reports a data dir that was never enrolled in one line naming it, exit 1", async () => {
    const result = await run(["token", "--role", "FABRIQUE_ADMIN"]);
    expect(result.code).toBe(1);
    expectOneLineError(result, /^maillage: no node agent in \/data\/\.maillage\/agent \(/);
    expect(result.stderr).toContain("--data-dir");
    expect(result.stderr).toContain("DATA_DIR");
    expect(result.calls.tokens).toEqual([]);
  });

  it.each([
    [[], /--role is required \(FABRIQUE_ADMIN, SATELLITE or MEMBER\)/],
    [["--role", "NATIONAL"], /--role must be FABRIQUE_ADMIN, SATELLITE or MEMBER, got "NATIONAL"/],
    [["--role", "SATELLITE"], /--role SATELLITE needs --space <id>/],
    [["--role", "MEMBER"], /--role MEMBER needs --member <id>/],
    [["--role", "FABRIQUE_ADMIN", "--space", "s"], /--role FABRIQUE_ADMIN takes no --space/],
    [["--role", "SATELLITE", "--space", "s", "--member", "m"], /SATELLITE takes no --member/],
    [["--role", "SATELLITE", "--space", ""], /--space must not be empty/],
    [["--role", "FABRIQUE_ADMIN", "--ttl", "1y"], /invalid --ttl "1y"/],
    [["--role", "FABRIQUE_ADMIN", "--ttl", "366d"], /invalid --ttl "366d"/],
    [["--role", "FABRIQUE_ADMIN", "--fabrique", "f"], /unknown option --fabrique/],
  ])("%j → exit 2", async (args, message) => {
    const result = await run(["token", ...args], { enrolled: [DEFAULT_DIR] });
    expect(result.code).toBe(2);
    expectOneLineError(result, message);
    expect(result.calls.tokens).toEqual([]);
  });
});

describe("agent login-link", () => {
  it("prints <url>/login?t=… for --url, with the link's and the session's lifetimes", async () => {
    const result = await run(
      [
        "login-link",
        "--role",
        "SATELLITE",
        "--space",
        "sat_1",
        "--url",
        "http://127.0.0.1:4001",
        "--session-ttl",
        "2h",
      ],
      { enrolled: [DEFAULT_DIR] },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("http://127.0.0.1:4001/login?t=agent.link.SATELLITE\n");
    expect(result.stderr).toBe("");
    expect(result.calls.loginLinks).toEqual([
      {
        dataDir: DEFAULT_DIR,
        baseUrl: "http://127.0.0.1:4001",
        role: "SATELLITE",
        spaceId: "sat_1",
        ttl: "15m",
        sessionTtl: "2h",
      },
    ]);
    expect(result.calls.tokens).toEqual([]);
  });

  it("without --url and no running agent, assumes PORT and says so on stderr", async () => {
    const result = await run(["login-link", "--role", "FABRIQUE_ADMIN"], {
      enrolled: [DEFAULT_DIR],
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("http://127.0.0.1:4100/login?t=agent.link.FABRIQUE_ADMIN\n");
    expect(result.stderr).toContain("not running");
  });

  it("refuses a missing --space, a link TTL over 24h and a session over 7d (exit 2)", async () => {
    for (const argv of [
      ["login-link", "--role", "SATELLITE"],
      ["login-link", "--role", "FABRIQUE_ADMIN", "--ttl", "25h"],
      ["login-link", "--role", "FABRIQUE_ADMIN", "--session-ttl", "8d"],
    ]) {
      const result = await run(argv, { enrolled: [DEFAULT_DIR] });
      expect(result.code).toBe(2);
      expect(result.calls.loginLinks).toEqual([]);
    }
  });
});

describe("agent status", () => {
  it("asks the running agent of the data dir and prints a short table", async () => {
    const result = await run(["status", "--data-dir", "a"], { enrolled: ["/work/here/a"] });
    expect(result.code).toBe(0);
    expect(result.calls.status).toEqual(["/work/here/a"]);
    expect(result.calls.createAgent).toEqual([]);
    expect(result.stdout).toMatch(/^node\s+node-1 \(fabrique fab-1\)$/m);
    expect(result.stdout).toMatch(/^hub\s+reachable$/m);
    expect(result.stdout).toMatch(/^outbox\s+empty$/m);
    expect(result.stdout).toMatch(/^last pull\s+2025-01-01T10:00:01.000Z \(.+ ago\), cursor 42$/m);
    expect(result.stdout).toMatch(/^refused\s+none$/m);
  });

  it("prints the status itself with --json", async () => {
    const result = await run(["status", "--json"], { enrolled: [DEFAULT_DIR] });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(FAKE_STATUS);
  });

  it("says so in one line, exit 1, when the agent is not running", async () => {
    const { api, classes, io } = setUp({ enrolled: [DEFAULT_DIR] });
    api.fetchAgentStatus = async () => {
      throw new classes.AgentNotRunningError(
        "the agent of /data/.maillage/agent is not running (start it with `maillage agent start`)",
        undefined,
      );
    };
    expect(await main(["agent", "status"], io.ctx)).toBe(1);
    expectOneLineError({ stdout: io.stdout(), stderr: io.stderr() }, /is not running/);
  });

  it("reports a refused answer of the agent in one line, exit 1", async () => {
    const { api, classes, io } = setUp({ enrolled: [DEFAULT_DIR] });
    api.fetchAgentStatus = async () => {
      throw new classes.AgentStatusError(
        "the agent at http://127.0.0.1:4100 answered 401: invalid or expired token",
        401,
        "UNAUTHENTICATED",
      );
    };
    expect(await main(["agent", "status"], io.ctx)).toBe(1);
    expectOneLineError({ stdout: io.stdout(), stderr: io.stderr() }, /answered 401/);
  });
});

describe("formatAgentStatus", () => {
  it("shows the backlog, the lag, an unreachable hub, the refused event and the last error", () => {
    const now = new Date("2025-01-01T10:05:00.000Z");
    const text = formatAgentStatus(
      {
        ...FAKE_STATUS,
        outboxPending: 12,
        oldestPendingAt: "2025-01-01T10:00:00.000Z",
        lagSeconds: 300,
        hubReachable: false,
        lastPushAt: null,
        poisoned: {
          seq: 7,
          code: "OWNERSHIP_VIOLATION",
          message: "not yours",
          entity: "space",
          entityId: "sp_1",
        },
        lastError: "push: HUB_UNREACHABLE: cannot connect",
        lastErrorAt: "2025-01-01T10:04:50.000Z",
      },
      now,
    );
    expect(text).toMatch(/^hub\s+unreachable \(changes are kept and retried\)$/m);
    expect(text).toMatch(
      /^outbox\s+12 events pending, the oldest from 2025-01-01T10:00:00.000Z \(5 min ago\)$/m,
    );
    expect(text).toMatch(/^lag\s+300 s$/m);
    expect(text).toMatch(/^last push\s+never$/m);
    expect(text).toMatch(
      /^refused\s+seq 7 \(space sp_1\): OWNERSHIP_VIOLATION: not yours; it holds back the outbox$/m,
    );
    expect(text).toMatch(
      /^last error\s+2025-01-01T10:04:50.000Z \(10 s ago\): push: HUB_UNREACHABLE: cannot connect$/m,
    );
  });

  it("says when the hub was never contacted", () => {
    expect(formatAgentStatus({ ...FAKE_STATUS, hubReachable: null })).toMatch(
      /^hub\s+not contacted yet$/m,
    );
  });
});

describe("agent help", () => {
  it("answers --help on every agent command without loading the node agent", async () => {
    const io = fakeContext(fakeHubApi().api);
    io.ctx.loadAgent = () => Promise.reject(new Error("the node agent must not be loaded"));
    for (const argv of [
      ["agent", "--help"],
      ["agent", "init", "--help"],
      ["agent", "start", "-h"],
      ["agent", "token", "--role", "KING", "--help"],
      ["agent", "status", "--help"],
    ]) {
      const before = io.stdout().length;
      expect(await main(argv, io.ctx), argv.join(" ")).toBe(0);
      expect(io.stdout().slice(before)).toMatch(
        new RegExp(`^Usage: maillage ${argv.slice(0, argv[1] === "--help" ? 1 : 2).join(" ")} `),
      );
    }
    expect(io.stderr()).toBe("");
  });

  it("lists every option of each command", () => {
    const expected: [Parameters<typeof commandHelp>[0], string[]][] = [
      [AGENT_INIT, ["--hub <url>", "--code <code>", "--data-dir <dir>"]],
      [AGENT_START, ["--port <port>", "--data-dir <dir>"]],
      [AGENT_TOKEN, ["--role <role>", "--space <id>", "--member <id>", "--ttl <ttl>"]],
      [AGENT_STATUS, ["--json", "--data-dir <dir>"]],
    ];
    for (const [spec, flags] of expected) {
      const help = commandHelp(spec);
      for (const flag of [...flags, "-h, --help"]) expect(help, spec.name).toContain(flag);
    }
  });
});

describe("agent import-activity", () => {
  async function csvFile(content: string) {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "maillage-cli-"));
    const file = path.join(dir, "activite.csv");
    await fs.writeFile(file, content);
    return { file, [Symbol.asyncDispose]: () => fs.rm(dir, { recursive: true, force: true }) };
  }
  const CSV =
    "space_id,date,visitors,events,participants,open_hours,note\nS1,2025-03-10,12,1,8,6,\nS1,2025-03-11,3,0,0,2,\n";

  it("sends the file to the running agent of the data dir and prints the count", async () => {
    await using csv = await csvFile(CSV);
    const result = await run(["import-activity", csv.file, "--data-dir", "a"], {
      enrolled: ["/work/here/a"],
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("imported 2 reports\n");
    expect(result.calls.imports).toEqual([{ dataDir: "/work/here/a", csv: CSV }]);
    expect(result.calls.createAgent).toEqual([]);
  });

  it("prints every refused line with its number, exit 1", async () => {
    await using csv = await csvFile(CSV);
    const { api, io } = setUp({ enrolled: [DEFAULT_DIR] });
    api.sendActivityImport = async () => ({
      ok: false,
      errors: [
        { line: 3, field: "visitors", message: "cannot be negative" },
        { line: 5, field: null, message: "expected 7 fields, found 3" },
      ],
    });
    expect(await main(["agent", "import-activity", csv.file], io.ctx)).toBe(1);
    expect(io.stdout()).toBe("");
    expect(io.stderr()).toBe(
      [
        `maillage: ${csv.file}: 2 problems, nothing imported`,
        "  line 3, visitors: cannot be negative",
        "  line 5: expected 7 fields, found 3",
        "",
      ].join("\n"),
    );
  });

  it("says so in one line, exit 1, when the agent is not running or the file is missing", async () => {
    await using csv = await csvFile(CSV);
    const { api, classes, io } = setUp({ enrolled: [DEFAULT_DIR] });
    api.sendActivityImport = async () => {
      throw new classes.AgentNotRunningError("the agent of /x is not running", undefined);
    };
    expect(await main(["agent", "import-activity", csv.file], io.ctx)).toBe(1);
    expectOneLineError({ stdout: io.stdout(), stderr: io.stderr() }, /is not running/);

    const missing = await run(["import-activity", "/no/such/file.csv"]);
    expect(missing.code).toBe(1);
    expectOneLineError(missing, /cannot read \/no\/such\/file\.csv \(ENOENT\)/);
    expect(missing.calls.imports).toEqual([]);
  });

  it("needs exactly one file", async () => {
    const none = await run(["import-activity"]);
    expect(none.code).toBe(2);
    expectOneLineError(none, /FILE\.csv is required/);
    const two = await run(["import-activity", "a.csv", "b.csv"]);
    expect(two.code).toBe(2);
    expectOneLineError(two, /unexpected argument "b\.csv"/);
  });

  it("has a help", async () => {
    const result = await run(["import-activity", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(commandHelp(AGENT_IMPORT_ACTIVITY));
    expect(result.stdout).toMatch(/maillage agent import-activity FILE\.csv \[options\]/);
  });
});

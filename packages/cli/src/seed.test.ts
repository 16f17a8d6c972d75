import { describe, expect, it } from "vitest";
import { main } from "./main.ts";
import { fakeContext, fakeHubApi } from "./test-support.ts";

async function run(argv: string[], options: { seedRefused?: boolean } = {}) {
  const { api, calls } = fakeHubApi(options);
  const io = fakeContext(api, {});
  const code = await main(["seed", ...argv], io.ctx);
  return { code, stdout: io.stdout(), stderr: io.stderr(), calls };
}

describe("seed", () => {
  it("seeds the hub's storage at the chosen scale and reports what it wrote", async () => {
    const r = await run(["--scale", "region", "--force"]);
    expect(r.code).toBe(0);
    expect(r.calls.seed).toEqual(["seedHub region force=true"]);
    expect(r.stdout).toContain("spaces…\nreports…\n");
    expect(r.stdout).toMatch(
      /seeded 30 fabriques, 300 satellites, 1234 activity reports, 120 shared resources, 480 bookings, 0 training sessions with 0 enrolments, 0 visits away from home by 0 members \(2024-11-23 to 2026-11-21\)/,
    );
  });

  it("refuses a bad scale or count with exit 2, and a populated hub without --force with exit 1", async () => {
    expect((await run(["--scale", "planet"])).code).toBe(2);
    expect((await run([])).code).toBe(2);
    expect((await run(["--scale", "demo", "--days", "-3"])).code).toBe(2);
    const refused = await run(["--scale", "demo"], { seedRefused: true });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^maillage: the hub already holds 21 spaces/);
  });
});

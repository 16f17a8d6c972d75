import { describe, expect, it } from "vitest";
import type { AgentLifecycle } from "./context.ts";
import { mobilityLines, seedDemoMobility } from "./demo-mobility.ts";

type Call = { operation: string; variables: Record<string, unknown>; agent: string };

const NOW = new Date("2026-12-07T09:00:00Z");

/**
 * Two demo agents: each knows the short codes of the passes it issued; the other finds a pass
 * once it is "replicated" (after `replicaAfter` tries), as the hub would relay it.
 */
function demoAgents(replicaAfter: number) {
  const calls: Call[] = [];
  const issued = new Map<string, string>();
  const tries = new Map<string, number>();
  let next = 0;
  const agent = (name: string, fabriqueId: string) => ({
    token: `${name}-token`,
    agent: {
      identity: { fabriqueId },
      fetch: async (_input: unknown, init?: RequestInit) => {
        const { query, variables = {} } = JSON.parse(String(init?.body)) as {
          query: string;
          variables?: Record<string, unknown>;
        };
        const operation = /^(?:query|mutation) (\w+)/.exec(query)?.[1] ?? "anonymous";
        calls.push({ operation, variables, agent: name });
        next += 1;
        switch (operation) {
          case "DemoTariff":
            return Response.json({ data: { setTariff: { validFrom: variables.f } } });
          case "DemoMember":
            return Response.json({ data: { registerMember: { id: `m-${next}` } } });
          case "DemoPass": {
            const code = `CODE-${next}`;
            issued.set(code, name);
            return Response.json({ data: { renewPass: { shortCode: code } } });
          }
          case "DemoCheckIn": {
            const { shortCode } = variables.i as { shortCode: string };
            const seen = (tries.get(shortCode) ?? 0) + 1;
            tries.set(shortCode, seen);
            if (issued.get(shortCode) === name || seen <= replicaAfter) {
              return Response.json({
                errors: [{ message: "no pass", extensions: { code: "NOT_FOUND" } }],
              });
            }
            return Response.json({ data: { checkIn: { id: `v-${next}` } } });
          }
          default:
            return Response.json({ errors: [{ message: `unexpected ${operation}` }] });
        }
      },
    } as unknown as AgentLifecycle,
  });
  return { calls, first: agent("a", "fabrique-a"), second: agent("b", "fabrique-b") };
}

describe("the demo's mobility", () => {
  it("sets both tariffs, gives members passes at home and checks each in at the other fabrique, waiting for the pass's replica", async () => {
    const { calls, first, second } = demoAgents(2);
    const summary = await seedDemoMobility(first, second, NOW, 5_000);
    expect(summary).toEqual({
      period: "2026-12",
      flows: [
        { from: "second", to: "first", members: 3, visits: 3 },
        { from: "first", to: "second", members: 2, visits: 2 },
      ],
    });
    const tariffs = calls.filter((c) => c.operation === "DemoTariff");
    expect(tariffs.map((c) => [c.agent, c.variables])).toEqual([
      ["a", { s: "fabrique-a", f: "2026-12-01", v: 500, d: null }],
      ["b", { s: "fabrique-b", f: "2026-12-01", v: null, d: 800 }],
    ]);
    // Passes at home, check-ins at the other agent only, at its own fabrique.
    for (const c of calls.filter((c) => c.operation === "DemoCheckIn")) {
      const i = c.variables.i as { spaceId: string };
      expect(i.spaceId).toBe(c.agent === "a" ? "fabrique-a" : "fabrique-b");
    }
    expect(calls.filter((c) => c.operation === "DemoPass" && c.agent === "b")).toHaveLength(3);
    const banner = mobilityLines(summary).join("\n");
    expect(banner).toContain(
      "3 members of the second fabrique, with passes from home, visited the first one",
    );
    expect(banner).toContain('settlementStatement(period: "2026-12"');
  });

  it("says nothing of visits when no pass reached the other agent", async () => {
    const { first, second } = demoAgents(Number.POSITIVE_INFINITY);
    const summary = await seedDemoMobility(first, second, NOW, 100);
    expect(summary.flows.every((f) => f.visits === 0)).toBe(true);
    expect(mobilityLines(summary)).toEqual([]);
  });
});

import { parisWallClock } from "@maillage/schema";
import { describe, expect, it } from "vitest";
import type { AgentLifecycle } from "./context.ts";
import { demoDay, seedDemoTrainings, trainingLines } from "./demo-trainings.ts";
import { fakeAgentGraphQL } from "./test-support.ts";

type Call = { operation: string; variables: Record<string, unknown>; agent: string };

/** Two demo agents on one fake network, recording every operation each is sent. */
function demoAgents() {
  const calls: Call[] = [];
  const network = fakeAgentGraphQL();
  const agent = (name: string, fabriqueId: string) => ({
    token: `${name}-token`,
    agent: {
      identity: { fabriqueId },
      fetch: async (input: unknown, init?: RequestInit) => {
        const { query, variables } = JSON.parse(String(init?.body)) as {
          query: string;
          variables?: Record<string, unknown>;
        };
        const operation = /^(?:query|mutation) (\w+)/.exec(query)?.[1] ?? "anonymous";
        calls.push({ operation, variables: variables ?? {}, agent: name });
        return network(input, init);
      },
    } as unknown as AgentLifecycle,
  });
  return { calls, organiser: agent("a", "fabrique-a"), requester: agent("b", "fabrique-b") };
}

const NOW = new Date("2026-12-07T09:00:00Z");

describe("the demo's trainings", () => {
  it("runs a laser training granting the laser cutter's credential, a full one with a waitlist, a weekly series, and remote requests", async () => {
    const { calls, organiser, requester } = demoAgents();
    const summary = await seedDemoTrainings(organiser, requester, NOW, 1_000);

    const created = calls
      .filter((c) => c.operation === "DemoTraining")
      .map((c) => c.variables.i as Record<string, unknown>);
    const laser = created.find((t) => t.title === "Habilitation découpeuse laser");
    // The credential the demo's laser cutter requires (DEMO_SHARED_RESOURCES in demo.ts).
    expect(laser).toMatchObject({
      grants: { type: "laser-safety", validityDays: 730 },
      scope: "NETWORK",
      minimum: 3,
    });
    expect(Date.parse(String(laser?.decisionAt))).toBeLessThan(Date.parse(String(laser?.startsAt)));
    expect(Date.parse(String(laser?.startsAt))).toBeGreaterThan(NOW.getTime());
    const series = created.find((t) => t.series !== undefined);
    expect(series).toMatchObject({ scope: "LOCAL", venueSpaceId: "satellite-1" });

    expect(summary.trainings).toEqual([
      { title: "Initiation à l'impression 3D", taken: 4, capacity: 4, waitlisted: 2 },
      { title: "Habilitation découpeuse laser", taken: 5, capacity: 8, waitlisted: 0 },
    ]);
    // The second fabrique's members are registered and ask from their own agent.
    const remote = calls.filter((c) => c.agent === "b" && c.operation === "DemoEnrol");
    expect(remote).toHaveLength(2);
    expect(summary.remoteRequests).toBe(2);
    expect(trainingLines(summary).join("\n")).toContain(
      "Initiation à l'impression 3D: 4/4 places, 2 on the waitlist",
    );
  });

  it("makes no remote request when the training never reaches the second agent", async () => {
    const { calls, organiser } = demoAgents();
    const lonely = {
      token: "c-token",
      agent: {
        identity: { fabriqueId: "fabrique-c" },
        fetch: async () => Response.json({ data: { training: null } }),
      } as unknown as AgentLifecycle,
    };
    const summary = await seedDemoTrainings(organiser, lonely, NOW, 300);
    expect(summary.remoteRequests).toBe(0);
    expect(calls.filter((c) => c.agent === "a" && c.operation === "DemoEnrol")).toHaveLength(9);
  });

  it("puts each training on the weekday it names, on the Paris calendar", () => {
    for (const days of [0, 3, 10]) {
      const date = demoDay(NOW, days, 5);
      expect(new Date(`${date}T12:00:00Z`).getUTCDay()).toBe(6);
      expect(date >= parisWallClock(new Date(NOW.getTime() + days * 86_400_000)).date).toBe(true);
    }
  });
});

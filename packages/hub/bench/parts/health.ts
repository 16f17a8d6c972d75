// Part 5: networkHealth latency on the national seed, over real HTTP, one call at a time: all
// of France, a region and a fabrique's team, for 30 and 365 days (goal: France 365 days p95
// ≤ 30 ms, issue 13; ≤ 50 ms before). No floor: the figure is the goal.
import type { BenchPart } from "../support/context.ts";
import { BENCH_REGION } from "../support/national.ts";
import type { PartResult } from "../support/report.ts";
import { lastYear, openSeededHub, type SeededHub, timeCalls } from "../support/seeded-hub.ts";
import { fixed, latency } from "../support/stats.ts";

export const HEALTH_QUERY = `query Health($filter: NetworkHealthFilter) { networkHealth(filter: $filter) {
  scope scopeId from to
  coverage { fabriques satellites spaces activeSpaces silentSpaces communesCovered ruralSpaces ruralShare }
  liveness { online stale silent worstLags { nodeId fabriqueName liveness lagSeconds pending lastSeenAt } }
  activity { visitors events participants openHours reports visitorsTrend eventsTrend
             participantsTrend openHoursTrend
             previous { visitors events participants openHours reports } }
  mutualisation { resources sharedResources availableResources
                  resourcesBySharingScope { sharingScope resources }
                  resourcesByCategory { category resources sharedResources }
                  bookings bookedHours crossNodeBookings crossNodeShare loans resourceOpenHours
                  utilisation bookingsTrend bookedHoursTrend crossNodeBookingsTrend loansTrend
                  utilisationTrend
                  previous { bookings bookedHours crossNodeBookings crossNodeShare loans
                             resourceOpenHours utilisation } }
  regions { code name visitors events participants openHours
            sharedResources bookings bookedHours crossNodeBookings loans utilisation
            coverage { fabriques satellites spaces activeSpaces ruralShare }
            departments { code name coverage { spaces activeSpaces ruralShare } } } } }`;

export type HealthCase = { label: string; token: string; filter: Record<string, string> };

export function healthCases(s: SeededHub): HealthCase[] {
  const year = lastYear();
  return [
    { label: "France, 30 days", token: s.nationalToken, filter: {} },
    {
      label: `region ${BENCH_REGION}, 30 days`,
      token: s.nationalToken,
      filter: { region: BENCH_REGION },
    },
    { label: "France, 365 days", token: s.nationalToken, filter: year },
    {
      label: `region ${BENCH_REGION}, 365 days`,
      token: s.nationalToken,
      filter: { region: BENCH_REGION, ...year },
    },
    { label: "a team, 30 days", token: s.teamToken, filter: {} },
    { label: "a team, 365 days", token: s.teamToken, filter: year },
  ];
}

/** Times every case, `rounds` calls each after 10 warm-up calls; ms per call. */
export async function timeHealth(s: SeededHub, rounds: number) {
  const results: { label: string; samples: number[] }[] = [];
  for (const c of healthCases(s)) {
    const samples = await timeCalls(
      () => s.ask(c.token, HEALTH_QUERY, { filter: c.filter }),
      rounds,
    );
    results.push({ label: c.label, samples });
  }
  return results;
}

export const healthPart: BenchPart = {
  name: "networkhealth",
  title: "5. networkHealth on the national seed",
  async run(ctx): Promise<PartResult> {
    await ctx.national();
    const s = await openSeededHub("national");
    try {
      const results = await timeHealth(s, ctx.rounds);
      return {
        part: "networkhealth",
        title: "5. networkHealth on the national seed",
        rows: results.map(({ label, samples }) => {
          const l = latency(samples);
          return {
            measure: `${label}: p50 / p95 / max (ms), ${l.count} calls`,
            subject: `${fixed(l.p50, 1)} / ${fixed(l.p95, 1)} / ${fixed(l.max, 1)}`,
            floor: "–",
            ratio: "–",
          };
        }),
        data: {
          database: s.database.name,
          seed: s.database.seed,
          cases: results.map(({ label, samples }) => ({
            label,
            latencyMs: latency(samples),
            samples,
          })),
        },
        notes: [
          "one call at a time, the hub in the bench's process (as bench/health.ts always did)",
        ],
      };
    } finally {
      await s.close();
    }
  },
};

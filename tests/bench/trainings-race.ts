// The 30-way enrolment race at a training's organiser (issue 10): 30 members ask for the same
// training of 10 seats at once; the organiser's store gives exactly 10 seats and waitlists 20
// at positions 1–20. Timed: the wall time of the whole race (from the first request sent to
// the last answer), per round, over the agent's GraphQL endpoint in process. Called by
// `npm run bench:trainings` through `benchEnrolmentRace`; runnable alone:
// `npx tsx tests/bench/trainings-race.ts [rounds]`. On a throwaway PostgreSQL database of
// DATABASE_URL's server when it is set, else on embedded PGlite.

import { percentile } from "../../packages/hub/bench/support/stats.ts";
import { startTestAgent } from "../../packages/node-agent/src/testing/fixture.ts";

const BACKEND = process.env.DATABASE_URL ? "postgres" : "pglite";
const MEMBERS = 30;
const SEATS = 10;

export async function benchEnrolmentRace(opts: {
  rounds: number;
}): Promise<{ medianMs: number; p95Ms: number }> {
  const t = await startTestAgent(BACKEND);
  try {
    const admin = await t.admin();
    const ask = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
      const response = await t.agent.fetch("http://agent.bench/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${admin}` },
        body: JSON.stringify({ query, variables }),
      });
      const json = (await response.json()) as { data?: T; errors?: unknown };
      if (json.errors || !json.data) throw new Error(JSON.stringify(json.errors));
      return json.data;
    };
    const members: string[] = [];
    for (let i = 0; i < MEMBERS; i++) {
      const { registerMember } = await ask<{ registerMember: { id: string } }>(
        "mutation($home: ID!, $name: String!) { registerMember(homeSpaceId: $home, displayName: $name) { id } }",
        { home: t.fabrique.id, name: `Bench member ${i + 1}` },
      );
      members.push(registerMember.id);
    }
    const walls: number[] = [];
    for (let round = 0; round < opts.rounds; round++) {
      const startsAt = new Date(Date.now() + (round + 2) * 86_400_000);
      const { createTraining } = await ask<{ createTraining: { id: string }[] }>(
        "mutation($i: CreateTrainingInput!) { createTraining(input: $i) { id } }",
        {
          i: {
            spaceId: t.fabrique.id,
            title: `Course ${round + 1}`,
            topic: "DIGITAL_FABRICATION",
            venueSpaceId: t.fabrique.id,
            startsAt: startsAt.toISOString(),
            endsAt: new Date(startsAt.getTime() + 3 * 3_600_000).toISOString(),
            capacity: SEATS,
          },
        },
      );
      const trainingId = createTraining[0]?.id;
      const started = performance.now();
      const answers = await Promise.all(
        members.map((memberId) =>
          ask<{ enrol: { status: string; position: number | null } }>(
            "mutation($t: ID!, $m: ID!) { enrol(trainingId: $t, memberId: $m) { status position } }",
            { t: trainingId, m: memberId },
          ),
        ),
      );
      walls.push(performance.now() - started);
      const enrolled = answers.filter((a) => a.enrol.status === "ENROLLED").length;
      const positions = answers
        .flatMap((a) => (a.enrol.status === "WAITLISTED" ? [a.enrol.position] : []))
        .sort((a, b) => (a ?? 0) - (b ?? 0));
      const expected = Array.from({ length: MEMBERS - SEATS }, (_, i) => i + 1);
      if (enrolled !== SEATS || JSON.stringify(positions) !== JSON.stringify(expected)) {
        throw new Error(`round ${round + 1}: ${enrolled} enrolled, waitlist ${positions}`);
      }
    }
    return { medianMs: percentile(walls, 50), p95Ms: percentile(walls, 95) };
  } finally {
    await t.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rounds = Number(process.argv[2] ?? 20);
  const { medianMs, p95Ms } = await benchEnrolmentRace({ rounds });
  console.log(
    `30-way enrolment race for 10 seats (agent, ${BACKEND}), ${rounds} rounds: wall median ${medianMs.toFixed(0)} ms, p95 ${p95Ms.toFixed(0)} ms (10 enrolled, 20 waitlisted 1–20 each round)`,
  );
}

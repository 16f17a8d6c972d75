import { parisWallClock } from "@maillage/schema";
import { CommandFailure } from "./args.ts";
import type { DemoAgent } from "./demo-trainings.ts";

/**
 * Member mobility in the demo, made through the agents' APIs once both run (like the
 * trainings): each fabrique sets its tariff for visitors (the first per visit, the second per
 * member-day), a few members of each get a pass at home, and each checks in at the other
 * fabrique with its pass's short code — the visited agent verifies it offline from the
 * replicated pass. The visits reach the members' home agents through the hub; both agents then
 * state the month's settlement. The people are the demo's own: fictitious, registered at their
 * home agent only, with no consent given (nothing disclosed).
 */

export type DemoMobilitySummary = {
  /** YYYY-MM: the month both agents can state. */
  period: string;
  /** Visits made, per direction. */
  flows: { from: string; to: string; members: number; visits: number }[];
};

const FIRST_MEMBERS = ["Agathe Rivière", "Bastien Morel"] as const;
const SECOND_MEMBERS = ["Jeanne Mercier", "Malik Dufour", "Océane Perrin"] as const;

/** How long a visited agent waits for a pass's replica before giving up on that visit. */
const REPLICA_TIMEOUT_MS = 10_000;

type Answer<T> = { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };

async function call<T>(
  { agent, token }: DemoAgent,
  query: string,
  variables: Record<string, unknown>,
): Promise<Answer<T>> {
  const response = await agent.fetch("http://agent/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as Answer<T>;
}

async function must<T>(
  target: DemoAgent,
  what: string,
  query: string,
  variables: Record<string, unknown>,
): Promise<T> {
  const body = await call<T>(target, query, variables);
  const error = body.errors?.[0];
  if (error !== undefined || body.data === undefined) {
    throw new CommandFailure(
      `the demo agent refused ${what}: ${error?.message ?? "no data in its answer"}`,
    );
  }
  return body.data;
}

async function memberWithPass(target: DemoAgent, name: string): Promise<string> {
  const fabriqueId = target.agent.identity.fabriqueId;
  const { registerMember } = await must<{ registerMember: { id: string } }>(
    target,
    `the demo member ${name}`,
    "mutation DemoMember($name: String!, $home: ID!) { registerMember(displayName: $name, homeSpaceId: $home) { id } }",
    { name, home: fabriqueId },
  );
  const { renewPass } = await must<{ renewPass: { shortCode: string | null } }>(
    target,
    `a pass for ${name}`,
    "mutation DemoPass($m: ID!) { renewPass(memberId: $m) { shortCode } }",
    { m: registerMember.id },
  );
  if (renewPass.shortCode === null) throw new CommandFailure(`no short code for ${name}'s pass`);
  return renewPass.shortCode;
}

/**
 * Checks a visitor in at `visited` by short code, waiting for the pass's replica (NOT_FOUND
 * until the hub relays it); whether it got in.
 */
async function checkIn(visited: DemoAgent, shortCode: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = await call<{ checkIn: { id: string } }>(
      visited,
      "mutation DemoCheckIn($i: CheckInInput!) { checkIn(input: $i) { id } }",
      { i: { spaceId: visited.agent.identity.fabriqueId, shortCode } },
    );
    if (body.data?.checkIn) return true;
    const code = body.errors?.[0]?.extensions?.code;
    if (code !== "NOT_FOUND") {
      throw new CommandFailure(
        `the demo agent refused a check-in: ${body.errors?.[0]?.message ?? "no data"}`,
      );
    }
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Tariffs at both fabriques, members with passes, and their visits to the other fabrique. */
export async function seedDemoMobility(
  first: DemoAgent,
  second: DemoAgent,
  now: Date = new Date(),
  replicaTimeoutMs = REPLICA_TIMEOUT_MS,
): Promise<DemoMobilitySummary> {
  const month = parisWallClock(now).date.slice(0, 7);
  const validFrom = `${month}-01`;
  const tariff =
    "mutation DemoTariff($s: ID!, $f: String!, $v: Int, $d: Int) { setTariff(spaceId: $s, validFrom: $f, perVisitCents: $v, perDayCents: $d) { validFrom } }";
  await must(first, "a tariff", tariff, {
    s: first.agent.identity.fabriqueId,
    f: validFrom,
    v: 500,
    d: null,
  });
  await must(second, "a tariff", tariff, {
    s: second.agent.identity.fabriqueId,
    f: validFrom,
    v: null,
    d: 800,
  });

  const flows: DemoMobilitySummary["flows"] = [];
  for (const [home, visited, names, from, to] of [
    [second, first, SECOND_MEMBERS, "second", "first"],
    [first, second, FIRST_MEMBERS, "first", "second"],
  ] as const) {
    const codes = [];
    for (const name of names) codes.push(await memberWithPass(home, name));
    let visits = 0;
    let members = 0;
    for (const code of codes) {
      if (await checkIn(visited, code, replicaTimeoutMs)) {
        visits += 1;
        members += 1;
      }
    }
    flows.push({ from, to, members, visits });
  }
  return { period: month, flows };
}

/** The banner's lines about the demo's mobility. */
export function mobilityLines(summary: DemoMobilitySummary | undefined): string[] {
  if (summary === undefined) return [];
  const lines = summary.flows
    .filter((f) => f.visits > 0)
    .map(
      (f) =>
        `  ${f.members} members of the ${f.from} fabrique, with passes from home, visited the ${f.to} one`,
    );
  if (lines.length === 0) return [];
  return [
    "Mobility (passes checked in at the other fabrique; query `visits` there, `memberVisits` at home):",
    ...lines,
    `  Tariffs: the first fabrique 5.00 € a visit, the second 8.00 € a member-day; settlementStatement(period: "${summary.period}", counterpartFabriqueId: …) at either agent`,
    "",
  ];
}

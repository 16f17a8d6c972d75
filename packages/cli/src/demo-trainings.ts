import { parisInstant, parisWallClock } from "@maillage/schema";
import { CommandFailure } from "./args.ts";
import type { AgentLifecycle } from "./context.ts";

/**
 * The trainings the demo's first fabrique runs, created through its agent's API at enrolment
 * like its shared resources: a laser-cutter safety training that grants the `laser-safety`
 * credential the demo's laser cutter requires, a 3D-printing introduction that is full with a
 * waitlist, and a weekly digital-mediation series at one of its satellites. Members of the
 * second fabrique then ask for the laser training from their own agent (the road across nodes).
 * The people are the demo's own: fictitious, registered at their home agent only.
 */

export type DemoAgent = { agent: AgentLifecycle; token: string };

export type DemoTrainingsSummary = {
  /** Title, seats taken of capacity, and waitlist length, as the organiser answered. */
  trainings: { title: string; taken: number; capacity: number; waitlisted: number }[];
  /** Requests from the second fabrique's members, as their home agent holds them. */
  remoteRequests: number;
};

const HOME_MEMBERS = [
  "Camille Martin",
  "Yanis Benali",
  "Léa Fournier",
  "Hugo Lambert",
  "Inès Moreau",
  "Nathan Girard",
] as const;
const REMOTE_MEMBERS = ["Chloé Bonnet", "Lucas Roussel"] as const;

/** How long the second agent waits for the laser training's replica before giving up. */
const REPLICA_TIMEOUT_MS = 10_000;

async function agentGraphQL<T>(
  { agent, token }: DemoAgent,
  what: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const response = await agent.fetch("http://agent/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
  const error = body.errors?.[0];
  if (error !== undefined || body.data === undefined) {
    throw new CommandFailure(
      `the demo agent refused ${what}: ${error?.message ?? "no data in its answer"}`,
    );
  }
  return body.data;
}

/** The Paris date `days` after `now`'s, then the next `weekday` (0 = Monday) on or after it. */
export function demoDay(now: Date, days: number, weekday: number): string {
  const start = parisWallClock(new Date(now.getTime() + days * 86_400_000)).date;
  const date = new Date(`${start}T12:00:00Z`);
  const shift = (weekday - ((date.getUTCDay() + 6) % 7) + 7) % 7;
  return new Date(date.getTime() + shift * 86_400_000).toISOString().slice(0, 10);
}

function daysBefore(date: string, days: number): string {
  return new Date(Date.parse(`${date}T12:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
}

const at = (date: string, hour: number) => parisInstant(date, hour * 60).toISOString();

async function registerMembers(
  target: DemoAgent,
  homeSpaceId: string,
  names: readonly string[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const displayName of names) {
    const { registerMember } = await agentGraphQL<{ registerMember: { id: string } }>(
      target,
      `the demo member ${displayName}`,
      "mutation DemoMember($name: String!, $home: ID!) { registerMember(displayName: $name, homeSpaceId: $home) { id } }",
      { name: displayName, home: homeSpaceId },
    );
    ids.push(registerMember.id);
  }
  return ids;
}

type CreatedTraining = {
  id: string;
  title: string;
  capacity: number;
  seats: { taken: number; waitlisted: number };
};

async function createTraining(target: DemoAgent, input: Record<string, unknown>) {
  const { createTraining } = await agentGraphQL<{ createTraining: CreatedTraining[] }>(
    target,
    `the demo training "${String(input.title)}"`,
    "mutation DemoTraining($i: CreateTrainingInput!) { createTraining(input: $i) { id title capacity seats { taken waitlisted } } }",
    { i: input },
  );
  const first = createTraining[0];
  if (first === undefined) throw new CommandFailure("the demo agent created no training");
  return first;
}

async function enrol(target: DemoAgent, trainingId: string, memberId: string) {
  await agentGraphQL(
    target,
    "a demo enrolment",
    "mutation DemoEnrol($t: ID!, $m: ID!) { enrol(trainingId: $t, memberId: $m) { id status } }",
    { t: trainingId, m: memberId },
  );
}

async function trainingSeats(target: DemoAgent, id: string): Promise<CreatedTraining> {
  const { training } = await agentGraphQL<{ training: CreatedTraining | null }>(
    target,
    "a demo training",
    "query DemoSeats($id: ID!) { training(id: $id) { id title capacity seats { taken waitlisted } } }",
    { id },
  );
  if (training === null) throw new CommandFailure(`the demo agent lost the training ${id}`);
  return training;
}

/** Waits for the training's replica at another agent (the hub relays it); whether it came. */
async function replicaArrives(target: DemoAgent, id: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { training } = await agentGraphQL<{ training: { id: string } | null }>(
      target,
      "a replicated training",
      "query DemoReplica($id: ID!) { training(id: $id) { id } }",
      { id },
    );
    if (training !== null) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Creates the demo's trainings at the organiser (the first fabrique's agent) and enrols its
 * members; then, when a second agent runs, its members ask for the laser training from home.
 */
export async function seedDemoTrainings(
  organiser: DemoAgent,
  requester: DemoAgent | undefined,
  now: Date = new Date(),
  replicaTimeoutMs = REPLICA_TIMEOUT_MS,
): Promise<DemoTrainingsSummary> {
  const fabriqueId = organiser.agent.identity.fabriqueId;
  const { satellites } = await agentGraphQL<{ satellites: { id: string; owned: boolean }[] }>(
    organiser,
    "the list of its satellites",
    "query DemoSatellites { satellites { id owned } }",
  );
  const members = await registerMembers(organiser, fabriqueId, HOME_MEMBERS);

  const laserDay = demoDay(now, 10, 5);
  const laser = await createTraining(organiser, {
    spaceId: fabriqueId,
    title: "Habilitation découpeuse laser",
    topic: "MACHINE_SAFETY",
    tags: ["laser", "sécurité"],
    description:
      "Consignes de sécurité, réglages et premier projet sur la Trotec Speedy 300 : ouvre la réservation de la découpeuse laser partout dans le réseau.",
    venueSpaceId: fabriqueId,
    startsAt: at(laserDay, 10),
    endsAt: at(laserDay, 13),
    capacity: 8,
    minimum: 3,
    decisionAt: at(daysBefore(laserDay, 3), 18),
    scope: "NETWORK",
    grants: { type: "laser-safety", validityDays: 730 },
    trainerName: "Sami Haddad",
    cancelDeadlineMinutes: 48 * 60,
  });
  const printingDay = demoDay(now, 3, 2);
  const printing = await createTraining(organiser, {
    spaceId: fabriqueId,
    title: "Initiation à l'impression 3D",
    topic: "DIGITAL_FABRICATION",
    tags: ["impression 3d", "débutant"],
    venueSpaceId: fabriqueId,
    startsAt: at(printingDay, 18),
    endsAt: at(printingDay, 21),
    capacity: 4,
    scope: "NETWORK",
    trainerName: "Sami Haddad",
    cancelDeadlineMinutes: 24 * 60,
    offerHours: 24,
  });
  for (const member of members) await enrol(organiser, printing.id, member);
  for (const member of members.slice(0, 3)) await enrol(organiser, laser.id, member);

  const venue = satellites.find((satellite) => satellite.owned)?.id ?? fabriqueId;
  const seriesDay = demoDay(now, 1, 1);
  await createTraining(organiser, {
    spaceId: fabriqueId,
    title: "Permanence d'accompagnement numérique",
    topic: "DIGITAL_MEDIATION",
    tags: ["démarches en ligne"],
    venueSpaceId: venue,
    startsAt: at(seriesDay, 14),
    endsAt: at(seriesDay, 16),
    capacity: 6,
    scope: "LOCAL",
    series: { rrule: "FREQ=WEEKLY;BYDAY=TU", until: demoDay(now, 36, 1) },
  });

  let remoteRequests = 0;
  if (requester !== undefined && (await replicaArrives(requester, laser.id, replicaTimeoutMs))) {
    const remote = await registerMembers(
      requester,
      requester.agent.identity.fabriqueId,
      REMOTE_MEMBERS,
    );
    for (const member of remote) await enrol(requester, laser.id, member);
    remoteRequests = remote.length;
  }

  const trainings = [];
  for (const { id } of [printing, laser]) {
    const t = await trainingSeats(organiser, id);
    trainings.push({
      title: t.title,
      taken: t.seats.taken,
      capacity: t.capacity,
      waitlisted: t.seats.waitlisted,
    });
  }
  return { trainings, remoteRequests };
}

/** The banner's lines about the demo's trainings. */
export function trainingLines(summary: DemoTrainingsSummary | undefined): string[] {
  if (summary === undefined) return [];
  const lines = summary.trainings.map(
    (t) =>
      `  ${t.title}: ${t.taken}/${t.capacity} places${t.waitlisted > 0 ? `, ${t.waitlisted} on the waitlist` : ""}`,
  );
  if (summary.remoteRequests > 0) {
    lines.push(
      `  ${summary.remoteRequests} members of the second fabrique asked for the laser training from their own agent`,
    );
  }
  return ["Trainings run by the first fabrique (query `trainings` at either agent):", ...lines, ""];
}

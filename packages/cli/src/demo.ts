import fs from "node:fs/promises";
import path from "node:path";
import type { HubConfig } from "@maillage/hub";
import type { NodeIdentity, SyncStatus } from "@maillage/node-agent";
import { parisInstant } from "@maillage/schema";
import { loadAgentConfig } from "./agent.ts";
import { CommandFailure, type CommandSpec, commandHelp, parseCommand } from "./args.ts";
import type { AgentApi, AgentLifecycle, CliContext, HubApi, HubLifecycle } from "./context.ts";
import { type DemoMobilitySummary, mobilityLines, seedDemoMobility } from "./demo-mobility.ts";
import {
  type DemoTrainingsSummary,
  demoDay,
  seedDemoTrainings,
  trainingLines,
} from "./demo-trainings.ts";
import { describeStorage, loadConfig, serve } from "./serve.ts";

export const DEMO = {
  name: "demo",
  summary:
    "Start a hub with a seeded demo network of fabriques and satellites, and node agents for two fabriques.",
  synopsis: "[options]",
  options: {},
  notes: [
    [
      "Environment: PORT (default 4000) is the hub's port, the agents listen on PORT+1 and PORT+2 (any free",
      "port when PORT is 0); DATA_DIR (default .maillage) holds the data: the hub's in DATA_DIR/hub, the",
      "agents' in DATA_DIR/agents/<fabrique>.",
    ].join("\n"),
    "The demo always uses embedded storage (PGlite, in-process pub/sub): DATABASE_URL and REDIS_URL are ignored.",
    [
      "The first start seeds the network with a year of history (activity, bookings, requests between networks,",
      "loans) and enrols the two agents with the hub, which hands their fabriques' satellites and records over",
      "to them; later starts reuse the data. SIGINT or SIGTERM stops the agents, then the hub.",
    ].join("\n"),
  ],
} as const satisfies CommandSpec;

/** How long the tokens printed by the demo stay valid. */
export const DEMO_TOKEN_TTL = "12h";
/** How long the demo's sign-in links may be opened (each opens one session only). */
export const DEMO_LINK_TTL = "12h";

/** A one-time sign-in link to the web app, with what it opens (in French, as the app). */
export type DemoWebLink = { label: string; url: string };
/** How many of the demo fabriques get a node agent: the first ones the demo seeds. */
export const DEMO_AGENT_COUNT = 2;
/** How long the banner waits for each agent's first pull from the hub. */
const FIRST_PULL_TIMEOUT_MS = 15_000;

export type DemoAgentBanner = {
  fabrique: string;
  url: string;
  dataDir: string;
  /** A FABRIQUE_ADMIN token for the agent's API. */
  token: string;
  /**
   * Enrolled by this start, reused from an earlier one, or enrolled in place of the agent of an
   * earlier demo hub whose data is gone.
   */
  enrolment: "enrolled" | "reused" | "replaced";
  /** The agent's sync once its first pull is done (or given up waiting), in a few words. */
  sync: string;
  /** The running agent (for the demo's trainings, made once every agent runs). */
  agent?: AgentLifecycle | undefined;
  /**
   * One-time sign-in links to the agent's web app: the team's console, then one satellite's
   * and one member's view when the agent has them.
   */
  webLinks?: readonly DemoWebLink[] | undefined;
  /** What those links open, to mint fresh ones (`DemoNetwork.loginLink`). */
  satelliteId?: string | undefined;
  memberId?: string | undefined;
};

/** What the first start wrote before today (absent when the data was reused). */
export type DemoHistory = {
  from: string;
  to: string;
  reports: number;
  bookings: number;
  crossNode: number;
  loans: number;
};

export type DemoBanner = {
  url: string;
  token: string;
  seeded: boolean;
  fabriques: number;
  satellites: number;
  history?: DemoHistory | undefined;
  storage: string;
  agents: readonly DemoAgentBanner[];
  /** The demo's fabriques that run no node agent. */
  withoutAgent: readonly string[];
  /** The trainings the first agent created at this start (absent when it was reused). */
  trainings?: DemoTrainingsSummary | undefined;
  /** The visits the two agents' members made to each other at this start (absent when reused). */
  mobility?: DemoMobilitySummary | undefined;
  /** A one-time sign-in link to the national dashboard (the hub's web app). */
  webLinks?: readonly DemoWebLink[] | undefined;
  /** The booking request the first agent's team has to decide (made at its enrolment). */
  pendingRequest?: DemoPendingRequest | undefined;
};

export type DemoPendingRequest = {
  id: string;
  resource: string;
  owner: string;
  requester: string;
  startsAt: string;
};

function pendingRequestLines(request: DemoPendingRequest | undefined): string[] {
  if (request === undefined) return [];
  return [
    `  A booking request waits for ${request.owner}'s team: ${request.requester} asks for the`,
    `  ${request.resource} on ${request.startsAt} (its requests are decided by a person: approvalRequired).`,
    "",
  ];
}

/** The web app's sign-in links first: the hub's, then each agent's, one link per line. */
function webLinkLines(banner: DemoBanner): string[] {
  const links = [
    ...(banner.webLinks ?? []),
    ...banner.agents.flatMap((agent) => agent.webLinks ?? []),
  ];
  if (links.length === 0) return [];
  return [
    `  Web app: each link below opens one session (a link works once, within ${DEMO_LINK_TTL}):`,
    '  open it in a browser, then press "Se connecter". For another link, run',
    "  maillage hub login-link or maillage agent login-link (--help).",
    "",
    ...links.flatMap((link) => [`  ${link.label} :`, `    ${link.url}`]),
    "",
  ];
}

/**
 * GraphiQL at `url`, signed in with `token`: the page reads the token from the fragment (never
 * sent to the server, nor kept in its logs) and sends it as the Authorization header.
 */
export function graphiqlLink(url: string, token: string): string {
  return `${url}/graphql#token=${token}`;
}

/** `AGENT1_TOKEN`, `AGENT2_TOKEN`: the variables the banner exports the agents' tokens in. */
function agentTokenVariable(index: number): string {
  return `AGENT${index + 1}_TOKEN`;
}

const ENROLMENT_WORDS: Readonly<Record<DemoAgentBanner["enrolment"], string>> = {
  enrolled: "enrolled now",
  reused: "reused",
  replaced: "enrolled now, in place of the agent of an earlier demo hub",
};

function agentLines(agents: readonly DemoAgentBanner[]): string[] {
  if (agents.length === 0) return [];
  const width = Math.max(...agents.map((agent) => agent.fabrique.length));
  const first = agents[0];
  const query = JSON.stringify({ query: "{ satellites { name owned } }" });
  return [
    "  Node agents: each took over its fabrique's network (satellites, reports, resources, bookings ahead)",
    "  from the node that wrote its history, and owns it now (the hub refuses direct edits: OWNED_BY_NODE).",
    "",
    ...agents.flatMap((agent, index) => [
      `  ${agent.fabrique.padEnd(width)}  ${agent.url}/graphql  (${ENROLMENT_WORDS[agent.enrolment]})`,
      `    sync      ${agent.sync}`,
      `    status    maillage agent status --data-dir ${agent.dataDir}`,
      `    GraphiQL  ${graphiqlLink(agent.url, agent.token)}`,
      `    A FABRIQUE_ADMIN token for it, valid ${DEMO_TOKEN_TTL}:`,
      "",
      `export ${agentTokenVariable(index)}=${agent.token}`,
      "",
    ]),
    ...(first === undefined
      ? []
      : [
          "  Ask an agent for its satellites:",
          `    curl -s ${first.url}/graphql -H "content-type: application/json" \\`,
          `      -H "authorization: Bearer $${agentTokenVariable(0)}" -d '${query}'`,
          "",
        ]),
  ];
}

const count = (n: number) => n.toLocaleString("en-GB");

function historyLines(history: DemoHistory | undefined): string[] {
  if (history === undefined) return [];
  return [
    `  History   ${history.from} to ${history.to}: ${count(history.reports)} daily activity reports,`,
    `            ${count(history.bookings)} bookings (${count(history.crossNode)} requested by another network, ${count(history.loans)} multi-day loans)`,
  ];
}

/** The fabriques without a node agent, said plainly: no liveness is made up for them. */
function withoutAgentLines(names: readonly string[]): string[] {
  if (names.length === 0) return [];
  return [
    `  No node agent: ${names.join(", ")}.`,
    "  Their history was seeded at the hub, which keeps their satellites; they share no resources,",
    "  and the liveness view counts no node for them.",
    "",
  ];
}

export function demoBanner(banner: DemoBanner): string {
  const network = `${banner.fabriques} fabriques, ${banner.satellites} satellites`;
  const data = banner.seeded
    ? `seeded a new demo network: ${network}, with a year of history`
    : `reused the existing data: ${network}`;
  const query = JSON.stringify({ query: "{ spaces(first: 5) { edges { node { name } } } }" });
  const health = JSON.stringify({
    query:
      "{ networkHealth { activity { reports visitors visitorsTrend } mutualisation { bookings crossNodeBookings loans bookingsTrend } liveness { online stale silent } } }",
  });
  return [
    "",
    `Maillage demo network is running (${data}).`,
    "",
    ...webLinkLines(banner),
    `  GraphiQL  ${graphiqlLink(banner.url, banner.token)}`,
    '            (signed in as NATIONAL; elsewhere send the token below as "Authorization: Bearer <token>")',
    ...historyLines(banner.history),
    `  Storage   ${banner.storage}`,
    "",
    `  A NATIONAL token, valid ${DEMO_TOKEN_TTL}:`,
    "",
    `export TOKEN=${banner.token}`,
    "",
    "  Try it:",
    `    curl -s ${banner.url}/graphql -H "content-type: application/json" \\`,
    `      -H "authorization: Bearer $TOKEN" -d '${query}'`,
    "  The network's health over the last 30 days, with trends against the 30 before:",
    `    curl -s ${banner.url}/graphql -H "content-type: application/json" \\`,
    `      -H "authorization: Bearer $TOKEN" -d '${health}'`,
    "",
    ...agentLines(banner.agents),
    ...pendingRequestLines(banner.pendingRequest),
    ...trainingLines(banner.trainings),
    ...mobilityLines(banner.mobility),
    ...withoutAgentLines(banner.withoutAgent),
    "  Press Ctrl-C to stop.",
    "",
  ].join("\n");
}

/** The hub and the agents the demo runs; `stop` stops the agents first, then the hub. */
type DemoServices = {
  hub: HubLifecycle;
  /** Every agent built so far (started or not), in the order they were built. */
  agents: AgentLifecycle[];
  stores: DemoStores;
  stop(): Promise<void>;
};

function demoServices(
  hub: HubLifecycle,
  stores: DemoStores,
  removeRunFile: () => Promise<void>,
): DemoServices {
  const agents: AgentLifecycle[] = [];
  return {
    hub,
    agents,
    stores,
    async stop() {
      const stopped = await Promise.allSettled(agents.map((agent) => agent.stop()));
      // As `hub start` does: the run file goes before the hub, so nobody is sent to it leaving.
      await removeRunFile().catch(() => {});
      await hub.stop();
      const failed = stopped.find((result) => result.status === "rejected");
      if (failed) throw failed.reason;
    },
  };
}

/** `La Fabrique du Vivarais` → `la-fabrique-du-vivarais`: the agent's directory name. */
export function fabriqueSlug(name: string): string {
  return name
    .normalize("NFD")
    .replace(/\p{Diacritic}/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** `DATA_DIR/agents/<fabrique>`: a demo agent's data directory, beside the hub's. */
function demoAgentDir(hubConfig: HubConfig, fabrique: string): string {
  return path.join(path.dirname(hubConfig.dataDir), "agents", fabriqueSlug(fabrique));
}

/** The agents' directories as the demo found them, before the hub opened its store. */
type DemoStores = {
  /** The identity each agent's directory held (by directory), if any. */
  earlier: ReadonlyMap<string, NodeIdentity | undefined>;
  /** The hub had no store: this start created one, and gave the agents copies of it. */
  created: boolean;
};

/**
 * Runs before the hub opens its store. On a first start (the hub has no store yet), one
 * embedded cluster is initialised for the hub and copied to each agent's directory, which
 * saves two of the three slow initialisations; an agent directory left from an earlier demo
 * hub (whose data is gone) is stale and starts over.
 */
async function prepareDemoStores(
  hubApi: HubApi,
  agentApi: AgentApi,
  hubConfig: HubConfig,
  agentDirs: readonly string[],
): Promise<DemoStores> {
  const earlier = new Map<string, NodeIdentity | undefined>();
  for (const dir of agentDirs) earlier.set(dir, await agentApi.readNodeIdentity(dir));
  const storage = await hubApi.prepareDemoStorage(hubConfig.dataDir);
  if (storage.created) {
    await Promise.all(
      agentDirs.map(async (dir) => {
        // Whatever is there belongs to an earlier demo hub: its node is unknown to this one.
        await fs.rm(dir, { recursive: true, force: true });
        await storage.copyTo(dir);
      }),
    );
  }
  return { earlier, created: storage.created };
}

/** One GraphQL operation on the hub, in process; any error is a failure of the demo. */
async function hubGraphQL<T>(
  hub: HubLifecycle,
  token: string,
  what: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  const response = await hub.fetch("http://hub/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as {
    data?: T | null;
    errors?: { message: string; extensions?: { code?: string } }[];
  };
  const error = body.errors?.[0];
  if (error !== undefined || body.data == null) {
    const code = error?.extensions?.code;
    throw new CommandFailure(
      `the demo hub refused ${what}: ${code ? `${code}: ` : ""}${error?.message ?? `HTTP ${response.status}`}`,
    );
  }
  return body.data;
}

/** Waits until the agent's first pull from the hub is done (or failed, or took too long). */
async function firstSync(agent: AgentLifecycle): Promise<SyncStatus> {
  const deadline = Date.now() + FIRST_PULL_TIMEOUT_MS;
  for (;;) {
    const status = await agent.sync.status();
    if (status.lastPullAt !== null || status.lastError !== null || Date.now() >= deadline) {
      return status;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * What the first demo fabrique shares with the whole network, created through its agent's API
 * at enrolment: the other agent sees them (`networkResources`) and may request them.
 */
const DEMO_SHARED_RESOURCES = [
  {
    name: "Découpeuse laser",
    category: "MACHINE",
    description: "Trotec Speedy 300, 80 W: wood, cardboard, acrylic up to 8 mm",
    sharingScope: "NETWORK",
    requiredCredential: "laser-safety",
    rules: { minMinutes: 30, maxMinutes: 240, leadMinutes: 60, cancelDeadlineMinutes: 24 * 60 },
    windows: [{ rrule: "FREQ=WEEKLY;BYDAY=TU,WE,TH,FR,SA", opens: "09:00", closes: "18:00" }],
  },
  {
    name: "Valise de 12 ordinateurs portables",
    category: "KIT",
    description: "For digital-inclusion workshops, with a projector",
    sharingScope: "NATIONAL",
    movable: true,
    rules: { minMinutes: 60, maxMinutes: 14 * 24 * 60 },
  },
  {
    // Requests from other networks wait for the team's decision (the console's requests list).
    name: "Brodeuse numérique",
    category: "MACHINE",
    description:
      "Brother PR1055X, 10 needles: requests from other networks are decided by the team",
    sharingScope: "NETWORK",
    approvalRequired: true,
    rules: { minMinutes: 60, maxMinutes: 480, leadMinutes: 60 },
    windows: [{ rrule: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", opens: "09:00", closes: "18:00" }],
  },
] as const;

/** The shared resource whose requests wait for a person (the console's requests to decide). */
const APPROVAL_RESOURCE = "Brodeuse numérique";
/** How long the second agent waits for its replica before the demo goes on without a request. */
const APPROVAL_REPLICA_TIMEOUT_MS = 10_000;

/**
 * The second agent's team asks for the first one's approval resource (for its own fabrique,
 * next week): a PENDING request the first team decides in its console. Undefined when the
 * replica did not arrive in time or the request was refused (the demo goes on without it).
 */
async function requestApprovalResource(
  owner: DemoAgentBanner,
  requester: DemoAgentBanner,
): Promise<DemoPendingRequest | undefined> {
  const agent = requester.agent;
  if (agent === undefined) return undefined;
  const ask = async <T>(query: string, variables: Record<string, unknown> = {}) => {
    const response = await agent.fetch("http://agent/graphql", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${requester.token}`,
      },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: T | null; errors?: { message: string }[] };
  };
  try {
    const deadline = Date.now() + APPROVAL_REPLICA_TIMEOUT_MS;
    let resourceId: string | undefined;
    for (;;) {
      const { data } = await ask<{ networkResources: { id: string; name: string }[] | null }>(
        "query DemoApprovalResource { networkResources { id name } }",
      );
      // An agent that does not answer the list goes without a request (nothing to wait for).
      if (!Array.isArray(data?.networkResources)) return undefined;
      resourceId = data.networkResources.find((r) => r.name === APPROVAL_RESOURCE)?.id;
      if (resourceId !== undefined || Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if (resourceId === undefined) return undefined;
    const day = demoDay(new Date(), 7, 1);
    const startsAt = parisInstant(day, 10 * 60).toISOString();
    const endsAt = parisInstant(day, 12 * 60).toISOString();
    const { data } = await ask<{ requestBooking: { id: string } | null }>(
      "mutation DemoApprovalRequest($r: ID!, $s: ID!, $from: DateTime!, $to: DateTime!) { requestBooking(resourceId: $r, forSpaceId: $s, startsAt: $from, endsAt: $to) { id } }",
      { r: resourceId, s: agent.identity.fabriqueId, from: startsAt, to: endsAt },
    );
    const id = data?.requestBooking?.id;
    if (id === undefined) return undefined;
    return {
      id,
      resource: APPROVAL_RESOURCE,
      owner: owner.fabrique,
      requester: requester.fabrique,
      startsAt: `${day} 10:00–12:00`,
    };
  } catch {
    return undefined;
  }
}

async function shareDemoResources(agent: AgentLifecycle, token: string): Promise<void> {
  for (const resource of DEMO_SHARED_RESOURCES) {
    const response = await agent.fetch("http://agent/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query:
          "mutation ShareDemoResource($i: CreateResourceInput!) { createResource(input: $i) { id } }",
        variables: { i: { spaceId: agent.identity.fabriqueId, ...resource } },
      }),
    });
    const body = (await response.json()) as { errors?: { message: string }[] };
    const error = body.errors?.[0];
    if (error !== undefined) {
      throw new CommandFailure(`the demo agent refused a shared resource: ${error.message}`);
    }
  }
}

/** How many satellites the agent owns, asked through its own API; undefined if that fails. */
async function ownedSatellites(agent: AgentLifecycle, token: string): Promise<number | undefined> {
  try {
    const response = await agent.fetch("http://agent/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: "{ satellites { owned } }" }),
    });
    const body = (await response.json()) as { data?: { satellites: { owned: boolean }[] } };
    return body.data?.satellites.filter((satellite) => satellite.owned).length;
  } catch {
    return undefined;
  }
}

export function describeSync(status: SyncStatus, owned: number | undefined): string {
  if (status.lastPullAt === null) {
    return status.lastError === null
      ? "first pull from the hub still running"
      : `not synced yet: ${status.lastError}`;
  }
  const outbox =
    status.outboxPending === 0
      ? "outbox empty"
      : `${status.outboxPending} event${status.outboxPending === 1 ? "" : "s"} to push`;
  const satellites = owned === undefined ? "" : `${owned} satellites owned, `;
  const refused = status.poisoned === null ? "" : `, seq ${status.poisoned.seq} refused`;
  return `pulled from the hub: ${satellites}${outbox}${refused}`;
}

type DemoAgentsContext = {
  hubApi: HubApi;
  agentApi: AgentApi;
  ctx: CliContext;
  demo: DemoServices;
  /** The hub's URL, as the agents reach it. */
  hubUrl: string;
  /** A NATIONAL token of the hub. */
  token: string;
  /** The hub was seeded by this start: agent directories left from an earlier hub are stale. */
  hubIsNew: boolean;
};

/** Ports of the demo agents: after the hub's, or any free one when the hub's is 0. */
export function demoAgentPort(hubConfig: HubConfig, index: number): number {
  const port = hubConfig.port === 0 ? 0 : hubConfig.port + 1 + index;
  return port > 65535 ? 0 : port;
}

async function startDemoAgent(
  t: DemoAgentsContext,
  fabrique: { id: string; name: string },
  index: number,
): Promise<DemoAgentBanner> {
  const { agentApi, demo } = t;
  const hubConfig = demo.hub.config;
  const dataDir = demoAgentDir(hubConfig, fabrique.name);
  const existing = demo.stores.earlier.get(dataDir);
  const stale = existing !== undefined && t.hubIsNew;
  if (stale && !demo.stores.created) {
    // Enrolled in an earlier demo hub whose data is gone (the hub's store is there, but was
    // never seeded): that node is unknown here and its records refer to spaces that no longer
    // exist. The demo enrols a new one in its place (the first start's stores did it already).
    await fs.rm(dataDir, { recursive: true, force: true });
  }
  const enrolment = existing === undefined ? "enrolled" : stale ? "replaced" : "reused";
  if (enrolment !== "reused") {
    const { createEnrolmentCode } = await hubGraphQL<{ createEnrolmentCode: { code: string } }>(
      demo.hub,
      t.token,
      `an enrolment code for ${fabrique.name}`,
      "mutation EnrolDemoAgent($f: ID!) { createEnrolmentCode(fabriqueId: $f) { code } }",
      { f: fabrique.id },
    );
    await agentApi.initAgent({ dataDir, hubUrl: t.hubUrl, code: createEnrolmentCode.code });
  }
  // Embedded storage like the hub's; the hub's URL of this start (the port may have changed).
  const config = loadAgentConfig(
    agentApi,
    { ...t.ctx, env: { ...t.ctx.env, DATABASE_URL: undefined } },
    {
      dataDir,
      port: demoAgentPort(hubConfig, index),
      hubUrl: t.hubUrl,
      hubAudience: hubConfig.audience,
      logLevel: hubConfig.logLevel,
    },
  );
  const agent = await agentApi.createAgent(config);
  demo.agents.push(agent);
  const { url } = await agent.start();
  const token = await agentApi.issueAgentToken({
    dataDir,
    role: "FABRIQUE_ADMIN",
    ttl: DEMO_TOKEN_TTL,
  });
  if (enrolment !== "reused" && index === 0) await shareDemoResources(agent, token);
  const status = await firstSync(agent);
  const owned = status.lastPullAt === null ? undefined : await ownedSatellites(agent, token);
  return {
    fabrique: fabrique.name,
    url,
    dataDir,
    token,
    enrolment,
    sync: describeSync(status, owned),
    agent,
  };
}

/**
 * The agent's one-time sign-in links (its team's console, one satellite's view, one member's),
 * once the demo's members exist (the mobility step makes them on a first start).
 */
async function withWebLinks(agentApi: AgentApi, banner: DemoAgentBanner): Promise<DemoAgentBanner> {
  const people = banner.agent === undefined ? {} : await demoPeople(banner.agent, banner.token);
  const link = (request: DemoAgentLinkRequest) =>
    agentApi.issueAgentLoginLink({
      dataDir: banner.dataDir,
      baseUrl: banner.url,
      ttl: DEMO_LINK_TTL,
      ...request,
    });
  const webLinks: DemoWebLink[] = [
    {
      label: `Console de l'équipe — ${banner.fabrique}`,
      url: await link({ role: "FABRIQUE_ADMIN" }),
    },
  ];
  if (people.satellite) {
    webLinks.push({
      label: `Satellite — ${people.satellite.name} (${banner.fabrique})`,
      url: await link({ role: "SATELLITE", spaceId: people.satellite.id }),
    });
  }
  if (people.member) {
    webLinks.push({
      label: `Espace membre — ${people.member.name} (${banner.fabrique})`,
      url: await link({ role: "MEMBER", memberId: people.member.id }),
    });
  }
  return {
    ...banner,
    webLinks,
    satelliteId: people.satellite?.id,
    memberId: people.member?.id,
  };
}

type DemoAgentLinkRequest = {
  role: "FABRIQUE_ADMIN" | "SATELLITE" | "MEMBER";
  spaceId?: string;
  memberId?: string;
};

/**
 * One satellite the agent owns and one member homed at its fabrique, for the banner's links
 * (either absent when the agent has none, or does not answer).
 */
async function demoPeople(
  agent: AgentLifecycle,
  token: string,
): Promise<{
  satellite?: { id: string; name: string } | undefined;
  member?: { id: string; name: string } | undefined;
}> {
  try {
    const response = await agent.fetch("http://agent/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query:
          "query DemoPeople($f: ID!) { satellites { id name owned } members(spaceId: $f) { id displayName } }",
        variables: { f: agent.identity.fabriqueId },
      }),
    });
    const body = (await response.json()) as {
      data?: {
        satellites?: { id: string; name: string; owned: boolean }[] | null;
        members?: { id: string; displayName: string | null }[] | null;
      } | null;
    };
    const satellite = body.data?.satellites?.find((candidate) => candidate.owned);
    const member = body.data?.members?.find((candidate) => candidate.displayName);
    return {
      satellite: satellite && { id: satellite.id, name: satellite.name },
      member: member && { id: member.id, name: member.displayName ?? member.id },
    };
  } catch {
    return {};
  }
}

/**
 * Starts a node agent for each of the first demo fabriques, side by side. An agent not
 * enrolled yet gets a one-time code from the hub (as a NATIONAL caller) and enrols with it.
 */
async function startDemoAgents(t: DemoAgentsContext): Promise<DemoAgentBanner[]> {
  const names = demoAgentFabriques(t.hubApi);
  const { fabriques } = await hubGraphQL<{ fabriques: { id: string; name: string }[] }>(
    t.demo.hub,
    t.token,
    "the list of fabriques",
    "query DemoFabriques { fabriques { id name } }",
  );
  const chosen = names.map((name) => {
    const fabrique = fabriques.find((candidate) => candidate.name === name);
    if (fabrique === undefined) {
      throw new CommandFailure(`the demo hub has no open fabrique named "${name}"`);
    }
    return fabrique;
  });
  const results = await Promise.allSettled(
    chosen.map((fabrique, index) => startDemoAgent(t, fabrique, index)),
  );
  const failed = results.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
  return results.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
}

/** The demo fabriques that run a node agent: the first ones of the demo network. */
function demoAgentFabriques(hubApi: HubApi): string[] {
  return hubApi.DEMO_NETWORK.slice(0, DEMO_AGENT_COUNT).map((network) => network.name);
}

export async function runDemo(argv: readonly string[], ctx: CliContext): Promise<number> {
  const parsed = parseCommand(DEMO, argv);
  if (parsed.help) {
    ctx.stdout(commandHelp(DEMO));
    return 0;
  }
  const hubApi = await ctx.loadHub();
  const agentApi = await ctx.loadAgent();
  const run = demoRun(hubApi, agentApi, ctx);
  return serve(ctx, "the agents and the hub", run.build, async (demo) =>
    demoBanner(await run.start(demo)),
  );
}

/** The demo's two steps: build its services (stores, hub), then start and seed them. */
function demoRun(hubApi: HubApi, agentApi: AgentApi, ctx: CliContext) {
  // The demo always runs on embedded storage: never seed a demo network into a real database.
  const config = loadConfig(hubApi, ctx, { databaseUrl: undefined, redisUrl: undefined });
  const agentDirs = demoAgentFabriques(hubApi).map((name) => demoAgentDir(config, name));
  return {
    config,
    async build(): Promise<DemoServices> {
      const stores = await prepareDemoStores(hubApi, agentApi, config, agentDirs);
      return demoServices(await hubApi.createHub(config), stores, () =>
        hubApi.removeHubRunFile(config.dataDir),
      );
    },
    async start(demo: DemoServices): Promise<DemoBanner> {
      // History for every fabrique; nodes (replaced by the agents below) for those with agents.
      const seed = await hubApi.seedDemoNetwork(demo.hub, { nodes: DEMO_AGENT_COUNT });
      const { url } = await demo.hub.start();
      // `hub report` and `hub token` find the demo's hub as they find one `hub start` runs.
      await hubApi.writeHubRunFile(config.dataDir, url);
      const token = await hubApi.issueHubToken(
        demo.hub.config,
        { role: "NATIONAL" },
        DEMO_TOKEN_TTL,
      );
      const agents = await startDemoAgents({
        hubApi,
        agentApi,
        ctx,
        demo,
        hubUrl: url,
        token,
        hubIsNew: seed.seeded,
      });
      // The first agent's trainings, once every agent runs: the second one's members ask for
      // one of them from their own agent. Made at the first agent's enrolment only.
      const [organiser, requester] = agents;
      const trainings =
        organiser?.agent !== undefined && organiser.enrolment !== "reused"
          ? await seedDemoTrainings(
              { agent: organiser.agent, token: organiser.token },
              requester?.agent === undefined
                ? undefined
                : { agent: requester.agent, token: requester.token },
            )
          : undefined;
      // Members of each fabrique with passes from home visit the other one (checked in through
      // the visited agent's API), once both agents run; made at the first agent's enrolment.
      const mobility =
        organiser?.agent !== undefined &&
        requester?.agent !== undefined &&
        organiser.enrolment !== "reused"
          ? await seedDemoMobility(
              { agent: organiser.agent, token: organiser.token },
              { agent: requester.agent, token: requester.token },
            )
          : undefined;
      const pendingRequest =
        organiser?.agent !== undefined &&
        requester?.agent !== undefined &&
        organiser.enrolment !== "reused"
          ? await requestApprovalResource(organiser, requester)
          : undefined;
      const withLinks = await Promise.all(agents.map((agent) => withWebLinks(agentApi, agent)));
      const national = await hubApi.signHubLoginLink(
        demo.hub.config,
        { role: "NATIONAL", ttl: DEMO_LINK_TTL },
        url,
      );
      return {
        url,
        token,
        trainings,
        mobility,
        ...seed,
        storage: describeStorage(demo.hub.config),
        agents: withLinks,
        withoutAgent: hubApi.DEMO_NETWORK.slice(DEMO_AGENT_COUNT).map((network) => network.name),
        webLinks: [{ label: "Tableau de bord national", url: national }],
        pendingRequest,
      };
    },
  };
}

/** What a fresh one-time sign-in link opens (`DemoNetwork.loginLink`). */
export type DemoLinkTarget =
  | { server: "hub"; role: "NATIONAL" }
  | { server: "hub"; role: "FABRIQUE_ADMIN"; fabriqueId: string }
  | { server: "agent"; agent: number; role: "FABRIQUE_ADMIN" | "SATELLITE" | "MEMBER" };

/** The demo network started in process (browser tests): `startDemoNetwork`. */
export type DemoNetwork = {
  /** The hub's base URL (`http://127.0.0.1:<port>`). */
  hubUrl: string;
  hub: HubLifecycle;
  /** The agents, in the banner's order: URL, fabrique, FABRIQUE_ADMIN token, links, the agent. */
  agents: readonly DemoAgentBanner[];
  /** What the banner shows, its links included (each opens one session only). */
  banner: DemoBanner;
  /** The banner as `npm start` prints it. */
  text: string;
  /**
   * A fresh one-time sign-in link (`<server url>/login?t=…`, valid `ttl`, default 15m): a
   * SATELLITE link is for the agent's first owned satellite, a MEMBER link for its first member.
   */
  loginLink(target: DemoLinkTarget, ttl?: string): Promise<string>;
  /** Stops the agents, then the hub. */
  stop(): Promise<void>;
  /** Stops the hub alone (its run file removed): the agents keep running, hub unreachable. */
  stopHub(): Promise<void>;
};

export type StartDemoNetworkOptions = {
  /** PORT (0: free ports), DATA_DIR (a temp dir in tests), LOG_LEVEL, ... as `npm start` reads them. */
  env: Record<string, string | undefined>;
  cwd?: string;
  /** The hub's and the agents' APIs (default: the real packages). */
  hubApi?: HubApi;
  agentApi?: AgentApi;
};

/**
 * Starts the demo network as `npm start` does (seeded hub, two enrolled agents, trainings,
 * mobility, the banner's links), in process, and returns it; nothing is printed. On a
 * failure, what was started is stopped again.
 */
export async function startDemoNetwork(options: StartDemoNetworkOptions): Promise<DemoNetwork> {
  const hubApi: HubApi =
    options.hubApi ??
    ({
      ...(await import("@maillage/hub/client")),
      ...(await import("@maillage/hub")),
    } as HubApi);
  const agentApi: AgentApi =
    options.agentApi ??
    ({
      ...(await import("@maillage/node-agent/client")),
      ...(await import("@maillage/node-agent")),
    } as AgentApi);
  const ctx: CliContext = {
    stdout: () => {},
    stderr: () => {},
    env: options.env,
    cwd: options.cwd ?? process.cwd(),
    untilStopSignal: () => new Promise<string>(() => {}),
    loadHubClient: async () => hubApi,
    loadAgentClient: async () => agentApi,
    loadHub: async () => hubApi,
    loadAgent: async () => agentApi,
  };
  const run = demoRun(hubApi, agentApi, ctx);
  const demo = await run.build();
  let banner: DemoBanner;
  try {
    banner = await run.start(demo);
  } catch (error) {
    await demo.stop().catch(() => {});
    throw error;
  }
  const agentOf = (index: number) => {
    const agent = banner.agents[index];
    if (agent === undefined) throw new Error(`the demo has no agent ${index}`);
    return agent;
  };
  return {
    hubUrl: banner.url,
    hub: demo.hub,
    agents: banner.agents,
    banner,
    text: demoBanner(banner),
    async loginLink(target, ttl = "15m") {
      if (target.server === "hub") {
        return hubApi.signHubLoginLink(
          demo.hub.config,
          target.role === "NATIONAL"
            ? { role: "NATIONAL", ttl }
            : { role: "FABRIQUE_ADMIN", fabriqueId: target.fabriqueId, ttl },
          banner.url,
        );
      }
      const agent = agentOf(target.agent);
      const ids =
        target.role === "SATELLITE"
          ? { spaceId: agent.satelliteId }
          : target.role === "MEMBER"
            ? { memberId: agent.memberId }
            : {};
      return agentApi.issueAgentLoginLink({
        dataDir: agent.dataDir,
        baseUrl: agent.url,
        role: target.role,
        ttl,
        ...ids,
      });
    },
    stop: () => demo.stop(),
    async stopHub() {
      await hubApi.removeHubRunFile(demo.hub.config.dataDir).catch(() => {});
      await demo.hub.stop();
    },
  };
}

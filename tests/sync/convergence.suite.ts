import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { agentApi } from "../support/agent-api.ts";
import {
  agentRecords,
  type Backend,
  type ClusterAgent,
  type ClusterHub,
  hubLogOf,
  hubNetwork,
  hubOwnedBy,
  Resources,
  recordHubCalls,
  settle,
  startClusterAgent,
  startClusterHub,
} from "../support/sync-cluster.ts";

/**
 * Randomised convergence: two fabriques' agents write through their GraphQL APIs while the hub
 * goes down and comes back, agents stop and restart, and graphql-ws links drop, in an order a
 * seeded PRNG draws. Once everything is back online and settled, the hub holds exactly what a
 * run of the same writes, in the same order, without any fault, leaves there; each agent owns
 * exactly what the hub says it owns, and holds the other's network as the hub has it.
 *
 * The seeds are fixed: a failure names its seed, and the same seed replays the same plan.
 */
export const SEEDS = [1, 20_240_611, 3_735_928_559];
const WRITES = 120;

type AgentName = "A" | "B";
const AGENTS: AgentName[] = ["A", "B"];

/** What a write refers to: a satellite or a member by its plan key, the fabrique as "F". */
type Write =
  | { op: "createSatellite"; key: string; name: string; communeCode: string; services: string[] }
  | {
      op: "updateSatellite";
      key: string;
      input: { name?: string; communeCode?: string; services?: string[] };
    }
  | { op: "closeSatellite"; key: string }
  | { op: "registerMember"; key: string; home: string }
  | { op: "moveMember"; key: string; home: string }
  | { op: "eraseMember"; key: string };

type Step =
  | { kind: "write"; agent: AgentName; write: Write }
  | { kind: "hub-down" }
  | { kind: "hub-up" }
  | { kind: "agent-stop"; agent: AgentName }
  | { kind: "agent-start"; agent: AgentName }
  | { kind: "drop-subscription"; agent: AgentName }
  | { kind: "pause"; ms: number };

/** mulberry32: a small, well-mixed 32-bit PRNG. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const COMMUNES = { A: ["07186", "07107", "07129", "07019"], B: ["23096", "23176", "23008"] };
const SERVICES = ["fablab", "coworking", "repair-cafe", "cuisine", "ressourcerie"];

/**
 * The plan of one seed: WRITES valid writes (each changes the replicated state, so each is one
 * event), with faults placed among them: two hub outages, two agent stops, four link drops,
 * and short pauses that let the sync engines run between writes.
 */
export function planFor(seed: number): Step[] {
  const random = prng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: T[]): T => items[int(items.length)] as T;

  const faults = new Map<number, Step[]>();
  const at = (index: number, step: Step) => faults.set(index, [...(faults.get(index) ?? []), step]);
  for (let k = 0; k < 2; k++) {
    const from = int(WRITES - 10);
    at(from, { kind: "hub-down" });
    at(Math.min(WRITES - 1, from + 5 + int(30)), { kind: "hub-up" });
  }
  for (let k = 0; k < 2; k++) {
    const agent = pick(AGENTS);
    const from = int(WRITES);
    at(from, { kind: "agent-stop", agent });
    at(Math.min(WRITES - 1, from + 1 + int(15)), { kind: "agent-start", agent });
  }
  for (let k = 0; k < 4; k++) at(int(WRITES), { kind: "drop-subscription", agent: pick(AGENTS) });

  type Satellite = { name: string; communeCode: string; services: string[]; version: number };
  const model = Object.fromEntries(
    AGENTS.map((a) => [
      a,
      {
        open: new Map<string, Satellite>(),
        members: new Map<string, string>(),
        satellites: 0,
        registered: 0,
        running: true,
      },
    ]),
  ) as Record<
    AgentName,
    {
      open: Map<string, Satellite>;
      members: Map<string, string>;
      satellites: number;
      registered: number;
      running: boolean;
    }
  >;

  function nextWrite(agent: AgentName): Write {
    const m = model[agent];
    const openKeys = [...m.open.keys()];
    const memberKeys = [...m.members.keys()];
    const roll = random();
    if (roll < 0.15 || openKeys.length === 0) {
      const key = `${agent}:s${++m.satellites}`;
      const sat = {
        name: `${agent} satellite ${m.satellites}`,
        communeCode: pick(COMMUNES[agent]),
        services: SERVICES.filter(() => random() < 0.3),
        version: 0,
      };
      m.open.set(key, sat);
      return { op: "createSatellite", key, ...sat, services: [...sat.services] };
    }
    if (roll < 0.35) {
      const key = pick(openKeys);
      const sat = m.open.get(key) as Satellite;
      const what = int(3);
      if (what === 0) {
        sat.name = `${agent} satellite ${key.slice(3)} v${++sat.version}`;
        return { op: "updateSatellite", key, input: { name: sat.name } };
      }
      if (what === 1) {
        const others = COMMUNES[agent].filter((c) => c !== sat.communeCode);
        sat.communeCode = pick(others);
        return { op: "updateSatellite", key, input: { communeCode: sat.communeCode } };
      }
      const toggled = pick(SERVICES);
      sat.services = sat.services.includes(toggled)
        ? sat.services.filter((s) => s !== toggled)
        : [...sat.services, toggled];
      return { op: "updateSatellite", key, input: { services: [...sat.services] } };
    }
    if (roll < 0.4 && openKeys.length >= 2) {
      const key = pick(openKeys);
      m.open.delete(key);
      return { op: "closeSatellite", key };
    }
    const homes = ["F", ...m.open.keys()];
    if (roll < 0.55 && memberKeys.length > 0) {
      const key = pick(memberKeys);
      const choices = homes.filter((h) => h !== m.members.get(key));
      if (choices.length > 0) {
        const home = pick(choices);
        m.members.set(key, home);
        return { op: "moveMember", key, home };
      }
    }
    if (roll < 0.65 && memberKeys.length > 0) {
      const key = pick(memberKeys);
      m.members.delete(key);
      return { op: "eraseMember", key };
    }
    const key = `${agent}:m${++m.registered}`;
    const home = pick(homes);
    m.members.set(key, home);
    return { op: "registerMember", key, home };
  }

  const steps: Step[] = [];
  for (let i = 0; i < WRITES; i++) {
    for (const fault of faults.get(i) ?? []) {
      if (fault.kind === "agent-stop") model[fault.agent].running = false;
      if (fault.kind === "agent-start") model[fault.agent].running = true;
      steps.push(fault);
    }
    const agent = pick(AGENTS);
    // A team writes on its own agent: a stopped agent is started for it.
    if (!model[agent].running) {
      model[agent].running = true;
      steps.push({ kind: "agent-start", agent });
    }
    steps.push({ kind: "write", agent, write: nextWrite(agent) });
    if (random() < 0.15) steps.push({ kind: "pause", ms: int(60) });
  }
  return steps;
}

export function registerConvergenceTests(backend: Backend) {
  describe(`randomised convergence of two agents and the hub (${backend})`, () => {
    let hub: ClusterHub;
    const resources = new Resources();

    beforeAll(async () => {
      hub = await startClusterHub(backend);
    });
    afterEach(async () => {
      await resources.closeAll();
      if (!hub.running) await hub.start();
    });
    afterAll(() => hub?.close());

    /** Runs a plan on two new agents; with `faults` false, its writes only. */
    async function run(seed: number, steps: Step[], faults: boolean) {
      const label = faults ? "faults" : "clean";
      const agents = {} as Record<AgentName, ClusterAgent>;
      const wire = recordHubCalls();
      for (const name of AGENTS) {
        // Both runs' fabriques look alike: only the ids differ.
        const fabrique = await hub.createFabrique(`Fabrique ${name}`, COMMUNES[name][0]);
        agents[name] = resources.add(
          await startClusterAgent(hub, {
            name: `${name}-${seed}-${label}`,
            backend,
            fabrique,
            fetch: wire.fetch,
          }),
        );
      }
      /** Plan key → the id the agent gave it in this run. */
      const ids = new Map<string, string>();
      const id = (agent: AgentName, key: string) =>
        key === "F" ? agents[agent].fabriqueId : (ids.get(key) as string);

      for (const step of steps) {
        if (step.kind === "write") {
          const api = agentApi(agents[step.agent]);
          const w = step.write;
          switch (w.op) {
            case "createSatellite":
              ids.set(
                w.key,
                await api.createSatellite({
                  name: w.name,
                  communeCode: w.communeCode,
                  services: w.services,
                }),
              );
              break;
            case "updateSatellite":
              await api.updateSatellite(id(step.agent, w.key), w.input);
              break;
            case "closeSatellite":
              await api.closeSatellite(id(step.agent, w.key));
              break;
            case "registerMember":
              ids.set(w.key, await api.registerMember(id(step.agent, w.home), `Membre ${w.key}`));
              break;
            case "moveMember":
              await api.moveMember(id(step.agent, w.key), id(step.agent, w.home));
              break;
            case "eraseMember":
              await api.eraseMember(id(step.agent, w.key));
              break;
          }
          continue;
        }
        if (step.kind === "pause") {
          await new Promise((r) => setTimeout(r, step.ms));
          continue;
        }
        if (!faults) continue;
        switch (step.kind) {
          case "hub-down":
            await hub.stop();
            break;
          case "hub-up":
            await hub.start();
            break;
          case "agent-stop":
            await agents[step.agent].stop();
            break;
          case "agent-start":
            await agents[step.agent].start();
            break;
          case "drop-subscription":
            agents[step.agent].sockets.drop();
            break;
        }
      }

      // Everything back online, then pushed and pulled until quiet.
      await hub.start();
      for (const name of AGENTS) await agents[name].start();
      await settle(hub, [agents.A, agents.B]);

      // Each agent owns what the hub says it owns, and holds the other's network as the hub.
      for (const [self, other] of [
        ["A", "B"],
        ["B", "A"],
      ] as const) {
        expect(await agentRecords(agents[self], { owned: true })).toEqual(
          await hubOwnedBy(hub, agents[self].nodeId),
        );
        const otherNetwork = await hubNetwork(hub, agents[other].fabriqueId);
        expect(
          await agentRecords(agents[self], { owned: false, fabriqueId: agents[other].fabriqueId }),
        ).toEqual({
          spaces: otherNetwork.spaces.map(({ owner: _owner, ...space }) => space),
          members: otherNetwork.members.map(({ owner: _owner, ...member }) => member),
        });
      }

      // The hub's state, with this run's ids replaced by the plan's keys.
      const keyOf = new Map<string, string>([...ids].map(([key, value]) => [value, key]));
      const snapshot = {} as Record<AgentName, unknown>;
      for (const name of AGENTS) {
        const agent = agents[name];
        const rename = (value: string | null) =>
          value === null
            ? null
            : value === agent.fabriqueId
              ? "F"
              : value === agent.nodeId
                ? "node"
                : (keyOf.get(value) ?? value);
        const network = await hubNetwork(hub, agent.fabriqueId);
        const byKey = (a: { key: string | null }, b: { key: string | null }) =>
          String(a.key).localeCompare(String(b.key));
        snapshot[name] = {
          spaces: network.spaces
            .map(({ id: spaceId, fabriqueId, owner, ...space }) => ({
              key: rename(spaceId),
              ...space,
              fabrique: rename(fabriqueId),
              owner: rename(owner),
            }))
            .sort(byKey),
          members: network.members
            .map((m) => ({
              key: rename(m.id),
              home: rename(m.homeSpaceId),
              owner: rename(m.owner),
            }))
            .sort(byKey),
          log: await hubLogOf(hub, agent.nodeId),
        };
      }
      await resources.closeAll();
      const pushes = wire.of("PushChanges");
      const answers = pushes.flatMap((c) => (c.answer ? [c.answer as { duplicates: number }] : []));
      return {
        snapshot,
        wire: {
          pushes: pushes.length,
          failedPushes: pushes.length - answers.length,
          duplicates: answers.reduce((sum, a) => sum + a.duplicates, 0),
          pulls: wire.of("PullChanges").length,
        },
      };
    }

    it.each(SEEDS)(
      "seed %i: the hub converges to the state of a run without faults",
      async (seed) => {
        const steps = planFor(seed);
        const count = (kind: Step["kind"]) => steps.filter((s) => s.kind === kind).length;
        console.log(
          `convergence seed ${seed} (${backend}): ${count("write")} writes, ` +
            `${count("hub-down")} hub outages, ${count("agent-stop")} agent stops, ` +
            `${count("agent-start")} agent starts, ${count("drop-subscription")} link drops, ${count("pause")} pauses`,
        );
        const started = performance.now();
        const withFaults = await run(seed, steps, true);
        const withoutFaults = await run(seed, steps, false);
        expect(withFaults.snapshot).toEqual(withoutFaults.snapshot);
        // The faults were felt: pushes failed while the hub was down, and were retried.
        expect(withFaults.wire.failedPushes).toBeGreaterThan(0);
        expect(withoutFaults.wire.failedPushes).toBe(0);
        // Every write is one event, at the hub exactly once.
        const writes = (agent: AgentName) =>
          steps.filter((s) => s.kind === "write" && s.agent === agent).length;
        for (const name of AGENTS) {
          const n = writes(name);
          expect((withFaults.snapshot[name] as { log: unknown }).log).toEqual({
            events: n,
            seqs: n,
            ids: n,
            top: n,
            pushedSeq: n,
          });
        }
        const w = withFaults.wire;
        console.log(
          `convergence seed ${seed} (${backend}): both runs in ${Math.round(performance.now() - started)} ms; ` +
            `with faults ${w.pushes} pushes (${w.failedPushes} failed, ${w.duplicates} duplicate events re-sent), ${w.pulls} pulls`,
        );
      },
      60_000,
    );
  });
}

// Part 3: one event broadcast to N subscribers. The hub: N graphql-ws sockets with a NATIONAL
// token subscribed to `spaceChanged { change space { id name } }`, the trigger an
// `updateSpace` mutation over HTTP (on a copy of the national database). The floor: a bare
// graphql-ws server whose `touch` mutation publishes the same payload from memory. Per
// broadcast: the time until every subscriber received it and until the mutation was answered
// (both from the mutation's send), the server's CPU; the server's RSS idle, with the sockets
// open, after the broadcasts, and after every client left (then after a full GC).
import type { BenchContext, BenchPart } from "../support/context.ts";
import { postOnce } from "../support/load.ts";
import { benchFabrique, copyOfNational } from "../support/national.ts";
import type { PartResult } from "../support/report.ts";
import { type BenchServer, startFloorServer, startHubServer } from "../support/servers.ts";
import { fixed, formatSpread, median, spread } from "../support/stats.ts";
import { openSubscribers } from "../support/subscribers.ts";

const SUBSCRIPTION = "subscription { spaceChanged { change space { id name } } }";
const HUB_TRIGGER = `mutation($id: ID!, $name: String!) {
  updateSpace(id: $id, input: { name: $name }) { id name } }`;
const FLOOR_TRIGGER = `mutation($id: ID!, $name: String!) { touch(id: $id, name: $name) { id name } }`;
const BROADCAST_TIMEOUT_MS = 120_000;
const MB = 2 ** 20;

type Broadcast = { allReceivedMs: number; received: number; answeredMs: number; cpuMs: number };
type ServerRun = {
  subscribers: number;
  connectSeconds: number;
  broadcasts: Broadcast[];
  rssMB: {
    idle: number;
    connected: number;
    afterBroadcasts: number;
    afterLeave: number;
    afterLeaveGc: number;
  };
  /** V8 heap in use after a full GC: idle, and after every client left. */
  heapMB: { idle: number; afterLeaveGc: number };
};

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function rssMB(server: BenchServer): Promise<number> {
  return (await server.usage()).rssBytes / MB;
}

async function broadcastTo(
  ctx: BenchContext,
  server: BenchServer,
  options: { label: string; spaceId: string; trigger: string; token?: string },
): Promise<ServerRun> {
  const headers: Record<string, string> = options.token
    ? { authorization: `Bearer ${options.token}` }
    : {};
  await server.gc();
  const idleUsage = await server.usage();
  const idle = idleUsage.rssBytes / MB;
  const counts = new Map<string, number>();
  let waiter: { name: string; resolve(): void } | undefined;
  const connectStarted = performance.now();
  const subscribers = await openSubscribers({
    url: server.url,
    count: ctx.subscribers,
    query: SUBSCRIPTION,
    authToken: options.token,
    onNext: (data) => {
      const name = (data as { spaceChanged?: { space?: { name?: string } } })?.spaceChanged?.space
        ?.name;
      if (!name) return;
      const count = (counts.get(name) ?? 0) + 1;
      counts.set(name, count);
      if (waiter && waiter.name === name && count >= ctx.subscribers) waiter.resolve();
    },
  });
  const connectSeconds = (performance.now() - connectStarted) / 1000;
  try {
    const connected = await rssMB(server);
    const once = async (name: string): Promise<Broadcast> => {
      const all = new Promise<void>((resolve) => {
        waiter = { name, resolve };
      });
      const before = await server.usage();
      const started = performance.now();
      const answered = postOnce(
        `${server.url}/graphql`,
        { query: options.trigger, variables: { id: options.spaceId, name } },
        headers,
      ).then((r) => {
        if (r.status !== 200 || r.json.errors)
          throw new Error(JSON.stringify(r.json).slice(0, 300));
        return performance.now() - started;
      });
      const timedOut = await Promise.race([
        all.then(() => false),
        pause(BROADCAST_TIMEOUT_MS).then(() => true),
      ]);
      const allReceivedMs = timedOut ? Number.NaN : performance.now() - started;
      const answeredMs = await answered;
      const after = await server.usage();
      return {
        allReceivedMs,
        received: counts.get(name) ?? 0,
        answeredMs,
        cpuMs: after.cpuMs - before.cpuMs,
      };
    };
    // Until one broadcast reaches everyone: every subscription is then live.
    let warm = await once(`${options.label} warm-up 0`);
    for (let i = 1; i < 3 && Number.isNaN(warm.allReceivedMs); i++) {
      warm = await once(`${options.label} warm-up ${i}`);
    }
    if (Number.isNaN(warm.allReceivedMs)) {
      throw new Error(
        `${options.label}: ${warm.received} of ${ctx.subscribers} got the warm-up broadcast`,
      );
    }
    const broadcasts: Broadcast[] = [];
    for (let i = 0; i < ctx.broadcasts; i++) {
      await pause(500);
      broadcasts.push(await once(`${options.label} ${i}`));
      ctx.log(
        `  ${options.label} broadcast ${i + 1}/${ctx.broadcasts}: all ${broadcasts[i]?.received} ` +
          `in ${fixed(broadcasts[i]?.allReceivedMs ?? 0, 0)} ms, answered in ${fixed(broadcasts[i]?.answeredMs ?? 0, 0)} ms`,
      );
    }
    const afterBroadcasts = await rssMB(server);
    await subscribers.close();
    await pause(2_000);
    const afterLeave = await rssMB(server);
    await server.gc();
    const leftUsage = await server.usage();
    const afterLeaveGc = leftUsage.rssBytes / MB;
    return {
      subscribers: subscribers.count,
      connectSeconds,
      broadcasts,
      rssMB: { idle, connected, afterBroadcasts, afterLeave, afterLeaveGc },
      heapMB: { idle: idleUsage.heapUsedBytes / MB, afterLeaveGc: leftUsage.heapUsedBytes / MB },
    };
  } finally {
    await subscribers.close();
  }
}

export const broadcastPart: BenchPart = {
  name: "broadcast",
  title: "3. broadcast to N subscribers ÷ bare graphql-ws",
  async run(ctx): Promise<PartResult> {
    const national = await ctx.national();
    const copy = await copyOfNational(national);
    ctx.log(`  copy of the national database in ${copy.seconds.toFixed(1)} s`);
    try {
      const space = await benchFabrique(copy.url);
      const floor = await startFloorServer();
      let floorRun: ServerRun;
      try {
        floorRun = await broadcastTo(ctx, floor, {
          label: "floor",
          spaceId: space.id,
          trigger: FLOOR_TRIGGER,
        });
      } finally {
        await floor.stop();
      }
      const hub = await startHubServer({
        databaseUrl: copy.url,
        dataDir: await ctx.scratch("broadcast"),
      });
      let hubRun: ServerRun;
      try {
        hubRun = await broadcastTo(ctx, hub, {
          label: "hub",
          spaceId: space.id,
          trigger: HUB_TRIGGER,
          token: await hub.token({ role: "NATIONAL" }),
        });
      } finally {
        await hub.stop();
      }
      const figure = (run: ServerRun, key: keyof Broadcast) => run.broadcasts.map((b) => b[key]);
      const ratioOfMedians = (key: keyof Broadcast) =>
        fixed(median(figure(hubRun, key)) / median(figure(floorRun, key)), 1);
      const rss = (run: ServerRun) =>
        `${[
          run.rssMB.idle,
          run.rssMB.connected,
          run.rssMB.afterBroadcasts,
          run.rssMB.afterLeave,
          run.rssMB.afterLeaveGc,
        ]
          .map((x) => x.toFixed(0))
          .join(" → ")} MB`;
      const heap = (run: ServerRun) =>
        `${run.heapMB.idle.toFixed(0)} → ${run.heapMB.afterLeaveGc.toFixed(0)} MB`;
      return {
        part: "broadcast",
        title: `3. broadcast to ${ctx.subscribers} subscribers ÷ bare graphql-ws`,
        rows: [
          {
            measure: "time until every subscriber received it (ms)",
            subject: formatSpread(spread(figure(hubRun, "allReceivedMs")), 0),
            floor: formatSpread(spread(figure(floorRun, "allReceivedMs")), 0),
            ratio: ratioOfMedians("allReceivedMs"),
          },
          {
            measure: "time until the triggering mutation was answered (ms)",
            subject: formatSpread(spread(figure(hubRun, "answeredMs")), 0),
            floor: formatSpread(spread(figure(floorRun, "answeredMs")), 0),
            ratio: ratioOfMedians("answeredMs"),
          },
          {
            measure: "server CPU per broadcast (ms)",
            subject: formatSpread(spread(figure(hubRun, "cpuMs")), 0),
            floor: formatSpread(spread(figure(floorRun, "cpuMs")), 0),
            ratio: ratioOfMedians("cpuMs"),
          },
          {
            measure: "server RSS: idle → connected → after broadcasts → clients left → after GC",
            subject: rss(hubRun),
            floor: rss(floorRun),
            ratio: fixed(
              (hubRun.rssMB.afterLeave - hubRun.rssMB.idle) /
                (floorRun.rssMB.afterLeave - floorRun.rssMB.idle),
              1,
            ),
          },
          {
            measure: "server V8 heap in use after a full GC: idle → clients left",
            subject: heap(hubRun),
            floor: heap(floorRun),
            ratio: "–",
          },
          {
            measure: `connecting ${ctx.subscribers} sockets and subscribing (s)`,
            subject: fixed(hubRun.connectSeconds, 1),
            floor: fixed(floorRun.connectSeconds, 1),
            ratio: fixed(hubRun.connectSeconds / floorRun.connectSeconds, 1),
          },
        ],
        data: { hub: hubRun, floor: floorRun },
        notes: [
          "ratios are of the medians over the broadcasts (one server at a time, floor first); the RSS ratio is of the growth from idle to after the clients left",
        ],
      };
    } finally {
      await copy.drop();
    }
  },
};

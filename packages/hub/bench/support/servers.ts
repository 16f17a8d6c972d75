// Starts a bench server (hub-server.ts or floor-server.ts) in a child process and talks to it
// over IPC: its URL, its CPU time and memory, tokens it signs, stop. Every child is killed
// when this process exits, whatever the way.
import { type ChildProcess, fork } from "node:child_process";
import path from "node:path";
import type { ServerRequest, ServerUsage } from "./child.ts";

export type BenchServer = {
  url: string;
  pid: number;
  usage(): Promise<ServerUsage>;
  token(claims: Record<string, unknown>): Promise<string>;
  /** A full GC in the child (started with --expose-gc). */
  gc(): Promise<void>;
  /** Starts sampling the child's CPU (inspector); `stop` writes the .cpuprofile to `file`. */
  startProfile(): Promise<void>;
  stopProfile(file: string): Promise<void>;
  stop(): Promise<void>;
};

const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

export type ServerOptions = {
  env?: Record<string, string>;
};

async function startChild(script: string, options: ServerOptions): Promise<BenchServer> {
  const execArgv = ["--import", "tsx", "--expose-gc"];
  const child = fork(path.join(import.meta.dirname, script), [], {
    execArgv,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${script} exited ${code} before it listened`)));
    child.on("message", (raw) => {
      const message = raw as {
        type?: "ready";
        url?: string;
        id?: number;
        result?: unknown;
        error?: string;
      };
      if (message.type === "ready" && message.url) return resolve(message.url);
      const waiter = message.id === undefined ? undefined : pending.get(message.id);
      if (!waiter || message.id === undefined) return;
      pending.delete(message.id);
      if (message.error) waiter.reject(new Error(message.error));
      else waiter.resolve(message.result);
    });
  });
  child.once("exit", () => {
    for (const waiter of pending.values()) waiter.reject(new Error(`${script} exited`));
    pending.clear();
  });
  const ask = <T>(type: ServerRequest["type"], claims?: unknown) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, type, claims } satisfies ServerRequest);
    });
  return {
    url,
    pid: child.pid as number,
    usage: () => ask<ServerUsage>("usage"),
    token: (claims) => ask<string>("token", claims),
    gc: () => ask<void>("gc"),
    startProfile: () => ask<void>("profile-start"),
    stopProfile: (file) => ask<void>("profile-stop", file),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      await Promise.race([
        ask("stop").catch(() => {}),
        new Promise((resolve) => setTimeout(resolve, 10_000)),
      ]);
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A hub on `databaseUrl` (its keys and files in `dataDir`, shared by replicas). */
export function startHubServer(
  hub: { databaseUrl: string; dataDir: string; redisUrl?: string; registryCache?: boolean },
  options: ServerOptions = {},
): Promise<BenchServer> {
  return startChild("hub-server.ts", {
    ...options,
    env: { ...options.env, BENCH_HUB: JSON.stringify(hub) },
  });
}

/** The bare graphql-yoga + graphql-ws floor. */
export function startFloorServer(options: ServerOptions = {}): Promise<BenchServer> {
  return startChild("floor-server.ts", options);
}

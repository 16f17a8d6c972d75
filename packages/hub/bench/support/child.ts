// The child side of servers.ts: announces the server's URL, then answers the parent's
// requests over IPC (CPU time and memory of this process, a token, a CPU profile of a
// window of its life through the inspector, stop).
import fs from "node:fs/promises";
import { Session } from "node:inspector/promises";
export type ServerRequest = {
  id: number;
  type: "usage" | "token" | "gc" | "profile-start" | "profile-stop" | "stop";
  /** The token's claims; the file to write the CPU profile to. */
  claims?: unknown;
};
export type ServerUsage = { cpuMs: number; rssBytes: number; heapUsedBytes: number };

export function serveParent(
  url: string,
  handlers: { token?: (claims: unknown) => Promise<string>; stop: () => Promise<void> },
) {
  const send = (message: unknown) => process.send?.(message);
  let profiler: Session | undefined;
  process.on("message", async (raw) => {
    const request = raw as ServerRequest;
    try {
      let result: unknown;
      if (request.type === "usage") {
        const cpu = process.cpuUsage();
        const memory = process.memoryUsage();
        result = {
          cpuMs: (cpu.user + cpu.system) / 1000,
          rssBytes: memory.rss,
          heapUsedBytes: memory.heapUsed,
        } satisfies ServerUsage;
      } else if (request.type === "gc") {
        (globalThis as { gc?: () => void }).gc?.();
        result = true;
      } else if (request.type === "profile-start") {
        profiler = new Session();
        profiler.connect();
        await profiler.post("Profiler.enable");
        await profiler.post("Profiler.setSamplingInterval", { interval: 200 });
        await profiler.post("Profiler.start");
        result = true;
      } else if (request.type === "profile-stop") {
        if (!profiler) throw new Error("no profile started");
        const { profile } = await profiler.post("Profiler.stop");
        profiler.disconnect();
        profiler = undefined;
        await fs.writeFile(String(request.claims), JSON.stringify(profile));
        result = request.claims;
      } else if (request.type === "token") {
        if (!handlers.token) throw new Error("this server signs no tokens");
        result = await handlers.token(request.claims);
      } else {
        await handlers.stop();
        send({ id: request.id, result: true });
        // A clean exit, so that --cpu-prof writes its profile.
        setTimeout(() => process.exit(0), 50);
        return;
      }
      send({ id: request.id, result });
    } catch (error) {
      send({ id: request.id, error: String(error) });
    }
  });
  process.on("disconnect", () => process.exit(0));
  send({ type: "ready", url });
}

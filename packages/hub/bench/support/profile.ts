// Where a CPU profile's time went (a .cpuprofile written by node --cpu-prof): self time by
// package (node_modules/<package>, node:<module>, the repository's own files by package, GC,
// idle) and by function. `tsx packages/hub/bench/support/profile.ts FILE` prints both.
import fs from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

type ProfileNode = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
};
type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

export type ProfileShare = { name: string; ms: number; share: number };

/** Which package a frame belongs to. */
export function frameGroup(frame: ProfileNode["callFrame"]): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName.startsWith("(")) return functionName; // (garbage collector), (idle), (program)
    return `native ${functionName}`; // writev: socket writes; stat: the file system; …
  }
  // The only WebAssembly a hub on PostgreSQL loads is Prisma's query compiler.
  if (url.startsWith("wasm://")) return "@prisma/client (wasm)";
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0) {
    const rest = url.slice(modules + "node_modules/".length).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith("node:")) return url;
  const repo = /\/packages\/([^/]+)\/(src|bench)\/(?:([^/]+)\/)?/.exec(url);
  if (repo)
    return `maillage ${repo[1]}/${repo[2]}${repo[3] && !repo[3].endsWith(".ts") ? `/${repo[3]}` : ""}`;
  return url;
}

/** Self time by group and by function, largest first. */
export async function summarizeProfile(
  file: string,
  top = 15,
): Promise<{ totalMs: number; groups: ProfileShare[]; functions: ProfileShare[] }> {
  const profile = JSON.parse(await fs.readFile(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    if (!node || node.callFrame.functionName === "(idle)") return;
    total += us;
    const group = frameGroup(node.callFrame);
    groups.set(group, (groups.get(group) ?? 0) + us);
    const fn = `${node.callFrame.functionName || "(anonymous)"} ${group}${
      node.callFrame.url
        ? ` ${path.basename(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`
        : ""
    }`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  });
  const rank = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, share: us / total }));
  return { totalMs: total / 1000, groups: rank(groups), functions: rank(functions) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: profile.ts FILE.cpuprofile");
    process.exit(2);
  }
  const summary = await summarizeProfile(file, 25);
  console.log(`${summary.totalMs.toFixed(0)} ms of CPU (idle excluded)\n\nself time by package:`);
  for (const g of summary.groups)
    console.log(`${(g.share * 100).toFixed(1).padStart(5)}%  ${g.name}`);
  console.log("\nself time by function:");
  for (const f of summary.functions)
    console.log(`${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name}`);
}

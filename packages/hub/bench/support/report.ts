// What a bench run reports: one Markdown table (part, measure, hub, floor, ratio) on stdout and
// the same figures, raw, in a JSON file (bench-results/<timestamp>.json at the repository root).
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export type BenchRow = {
  /** What is measured, with its unit: "RPS", "hub CPU per request (ms)". */
  measure: string;
  /** The hub's figure, formatted ("median (min–max, n runs)"). */
  subject: string;
  /** The floor's figure, formatted; "–" when the row has no floor. */
  floor: string;
  /** subject ÷ floor, paired per run, formatted; "–" when there is no floor. */
  ratio: string;
};

export type PartResult = {
  part: string;
  title: string;
  rows: BenchRow[];
  /** Raw figures of every run, for the JSON file. */
  data: Record<string, unknown>;
  notes?: string[];
};

export type Machine = {
  cpus: number;
  cpuModel: string;
  totalMemoryGB: number;
  node: string;
  platform: string;
  loadAverageStart: number[];
  loadAverageEnd?: number[];
};

export type BenchReport = {
  startedAt: string;
  finishedAt?: string;
  machine: Machine;
  options: Record<string, unknown>;
  parts: PartResult[];
  failures: { part: string; error: string }[];
};

export function describeMachine(): Machine {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    totalMemoryGB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverageStart: loadAverage(),
  };
}

export function loadAverage(): number[] {
  return os.loadavg().map((x) => Math.round(x * 100) / 100);
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** The report as Markdown: the machine, then one table of every part's rows. */
export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const lines = [
    `Machine: ${m.cpus} cores (${m.cpuModel}), ${m.totalMemoryGB} GB, Node ${m.node}; ` +
      `load average ${m.loadAverageStart.join(" ")} at the start` +
      (m.loadAverageEnd ? `, ${m.loadAverageEnd.join(" ")} at the end` : "") +
      ` (1, 5, 15 min; shared machine: figures move with it, ratios less).`,
    `Options: ${Object.entries(report.options)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}.`,
    "",
    "| part | measure | hub | floor | hub ÷ floor |",
    "|---|---|---|---|---|",
  ];
  for (const part of report.parts) {
    for (const row of part.rows) {
      lines.push(
        `| ${cell(part.title)} | ${cell(row.measure)} | ${cell(row.subject)} | ${cell(row.floor)} | ${cell(row.ratio)} |`,
      );
    }
  }
  for (const failure of report.failures) {
    lines.push(`| ${cell(failure.part)} | failed | ${cell(failure.error.slice(0, 200))} | – | – |`);
  }
  const notes = report.parts.flatMap((p) => (p.notes ?? []).map((n) => `- ${p.title}: ${n}`));
  if (notes.length > 0) lines.push("", ...notes);
  return lines.join("\n");
}

/** Writes the report as `<dir>/<timestamp>.json`; returns the file's path. */
export async function writeJson(report: BenchReport, dir: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(
    dir,
    `${report.startedAt.replaceAll(":", "-").replace(/\.\d+Z$/, "Z")}.json`,
  );
  await fs.writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

import { parseArgs } from "node:util";
import type { MaillageError } from "@maillage/schema";

/** A mistake in how `maillage` was called: reported as one line on stderr, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** An expected failure of a well-formed command: one line on stderr, exit code 1. */
export class CommandFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CommandFailure";
  }
}

/**
 * A documented failure of the contract (`MaillageError`), recognised by its name and code, not
 * by its class: the compiled CLI holds its own copy of the few contract modules it uses, beside
 * the servers' copy (see packages/cli/build.mjs), so an error thrown by the hub or the agent is
 * not an instance of the CLI's class.
 */
export function isMaillageError(error: unknown): error is MaillageError {
  return (
    error instanceof Error &&
    error.name === "MaillageError" &&
    typeof (error as { code?: unknown }).code === "string"
  );
}

export type OptionSpec = {
  readonly type: "string" | "boolean";
  readonly short?: string;
  /** Placeholder shown after a string flag in the help, e.g. `<port>`. */
  readonly value?: string;
  readonly description: string;
};

export type CommandSpec = {
  /** The words after `maillage`, e.g. `hub start`. */
  readonly name: string;
  readonly summary: string;
  /** The synopsis after `maillage <name>`, e.g. `--role <role> [options]`. */
  readonly synopsis: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** The positional arguments it takes, by name (e.g. `["FILE"]`); none when absent. */
  readonly positionals?: readonly string[];
  /** Paragraphs printed after the options. */
  readonly notes?: readonly string[];
};

export type OptionValues<O extends CommandSpec["options"]> = {
  [K in keyof O]?: O[K]["type"] extends "boolean" ? boolean : string;
};

export type ParsedCommand<S extends CommandSpec> =
  | { help: true }
  | { help: false; values: OptionValues<S["options"]>; positionals: string[] };

const HELP_OPTION: OptionSpec = { type: "boolean", short: "h", description: "Show this help" };

/** `--help` or `-h` anywhere before a `--` asks for help, whatever else is on the line. */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  const head = end === -1 ? argv : argv.slice(0, end);
  return head.includes("--help") || head.includes("-h");
}

/**
 * Parses a command's flags strictly (no unknown flags; positionals only as many as the spec
 * names, each required). Any mistake becomes
 * a one-line `UsageError` that names the flag and points at the command's help.
 */
export function parseCommand<S extends CommandSpec>(
  spec: S,
  argv: readonly string[],
): ParsedCommand<S> {
  if (wantsHelp(argv)) return { help: true };
  const options = Object.fromEntries(
    Object.entries(spec.options).map(([name, option]) => [
      name,
      option.short === undefined
        ? { type: option.type }
        : { type: option.type, short: option.short },
    ]),
  );
  try {
    const expected = spec.positionals ?? [];
    const { values, positionals } = parseArgs({
      args: [...argv],
      options,
      strict: true,
      allowPositionals: expected.length > 0,
    });
    if (positionals.length > expected.length) {
      throw new UsageError(
        `unexpected argument "${positionals[expected.length]}" (see "maillage ${spec.name} --help")`,
      );
    }
    const missing = expected[positionals.length];
    if (missing !== undefined) {
      throw new UsageError(`${missing} is required (see "maillage ${spec.name} --help")`);
    }
    return { help: false, values: values as OptionValues<S["options"]>, positionals };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw toUsageError(error, spec.name);
  }
}

/** Turns a `node:util` parseArgs error (which may span several lines) into one short line. */
export function toUsageError(error: unknown, commandName: string): UsageError {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? "";
  const flag = quoted.split(" ")[0] ?? quoted;
  const seeHelp = `see "${commandName === "" ? "maillage" : `maillage ${commandName}`} --help"`;
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return new UsageError(`unknown option ${flag} (${seeHelp})`);
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return new UsageError(`unexpected argument "${quoted}" (${seeHelp})`);
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (message.includes("does not take an argument")) {
        return new UsageError(`option ${flag} does not take a value`);
      }
      if (message.includes("ambiguous")) {
        return new UsageError(
          `option ${flag} needs a value (write ${flag}=VALUE for a value that starts with "-")`,
        );
      }
      return new UsageError(`option ${flag} needs a value`);
    default:
      return new UsageError(message.split("\n")[0] ?? "invalid arguments");
  }
}

export function commandHelp(spec: CommandSpec): string {
  const rows = Object.entries({ ...spec.options, help: HELP_OPTION }).map(([name, option]) => {
    const short = option.short === undefined ? "    " : `-${option.short}, `;
    const value = option.type === "string" ? ` ${option.value ?? "<value>"}` : "";
    return [`${short}--${name}${value}`, option.description] as const;
  });
  const lines = [
    `Usage: maillage ${spec.name} ${spec.synopsis}`.trimEnd(),
    "",
    spec.summary,
    "",
    "Options:",
    ...table(rows),
  ];
  for (const note of spec.notes ?? []) lines.push("", note);
  return `${lines.join("\n")}\n`;
}

export type GroupEntry = { name: string; summary: string };

/** Help of `maillage` itself or of a command group such as `maillage hub`. */
export function groupHelp(
  name: string,
  summary: string,
  commands: readonly GroupEntry[],
  notes: readonly string[] = [],
): string {
  const prefix = name === "" ? "maillage" : `maillage ${name}`;
  const lines = [
    `Usage: ${prefix} <command> [options]`,
    "",
    summary,
    "",
    "Commands:",
    ...table(commands.map((command) => [command.name, command.summary] as const)),
    "",
    "Options:",
    ...table([["-h, --help", "Show this help"]]),
    "",
    `Run "${prefix} <command> --help" for the options of a command.`,
  ];
  for (const note of notes) lines.push("", note);
  return `${lines.join("\n")}\n`;
}

function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}

/** A TCP port: an integer from 0 (any free port) to 65535. */
export function parsePort(value: string, flag = "--port"): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) {
    throw new UsageError(`${flag} must be an integer from 0 to 65535, got "${value}"`);
  }
  return Number(value);
}

export function requireNonEmpty(value: string, flag: string): string {
  if (value.trim() === "") throw new UsageError(`${flag} must not be empty`);
  return value;
}

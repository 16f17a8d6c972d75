/** The hub's public API, loaded only by the commands that need it (help and usage errors never do). */
export type HubModule = typeof import("@maillage/hub");

/**
 * Everything a command may use from the outside world. `main.ts` builds the real one from
 * `process`; tests pass their own, so no test needs a child process or a real hub.
 */
export type CliContext = {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  /** Relative `--data-dir` values are resolved against this directory. */
  cwd: string;
  /** Resolves with the signal's name when the process is asked to stop (SIGINT or SIGTERM). */
  untilStopSignal: () => Promise<string>;
  loadHub: () => Promise<HubModule>;
};

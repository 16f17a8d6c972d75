import { pino } from "pino";
import type { AgentConfig } from "./env.ts";

export type Logger = pino.Logger;

/** Structured JSON logs on stdout, one object per line. */
export function createLogger(config: Pick<AgentConfig, "logLevel">): Logger {
  return pino({ level: config.logLevel, base: { service: "node-agent" } });
}

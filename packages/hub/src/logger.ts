import { pino } from "pino";
import type { HubConfig } from "./env.ts";

export type Logger = pino.Logger;

/** Structured JSON logs on stdout, one object per line. */
export function createLogger(config: Pick<HubConfig, "logLevel">): Logger {
  return pino({ level: config.logLevel, base: { service: "hub" } });
}

import type { Metafile } from "esbuild";

/**
 * Compiles the CLI into `outdir` (default packages/cli/dist/) and returns esbuild's metafiles of
 * main.js and of the servers (dist/server/). See build.mjs.
 */
export function buildCli(options?: {
  outdir?: string;
  quiet?: boolean;
}): Promise<{ main: Metafile; servers: Metafile }>;

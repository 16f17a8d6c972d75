#!/usr/bin/env node
// The `maillage` command. The CLI is TypeScript run from source: register tsx, then hand over.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../packages/cli/src/main.ts");
process.exit(await main(process.argv.slice(2)));

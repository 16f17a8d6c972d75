#!/usr/bin/env node
// npm links workspace bins into node_modules/.bin (the root package's own bin is not linked
// for the project itself): this is what `npx maillage` runs. The real entry is the root bin.
import "../../../bin/maillage.js";

#!/usr/bin/env node
// The CLI. It runs from a precompiled runtime (bin/runtime.js: one module built from the
// TypeScript sources and the user's property and design files, cached under a hash of them,
// rebuilt after any edit), or through tsx if that cannot be built: a clone works right after
// `npm ci`, and a new file under properties/ or designs/ is picked up without a build step.
import { loadMain } from './runtime.js';

process.setSourceMapsEnabled(true);
const main = await loadMain();
process.exitCode = await main(process.argv);

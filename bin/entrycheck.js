#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx (no build step): a clone works right after
// `npm ci`, and a new invariant under properties/ is picked up without rebuilding.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);

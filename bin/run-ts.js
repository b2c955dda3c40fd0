#!/usr/bin/env node
// Runs one TypeScript file through tsx: `node bin/run-ts.js FILE [ARGS...]` (used by npm scripts).
import { register } from 'tsx/esm/api';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

register();
const file = process.argv[2];
if (!file) {
  console.error('run-ts: missing file');
  process.exit(2);
}
await import(pathToFileURL(resolve(file)).href);

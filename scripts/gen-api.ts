/**
 * `npm run api-docs`: docs/api.md, the reference of entrycheck's public API (what src/index.ts
 * exports, which is what a property file, a design file or a tool imports), generated from the
 * TSDoc comments with the TypeScript compiler. test/check/api-docs.test.ts fails while the
 * committed file differs from what this writes.
 */
import { writeFileSync } from 'node:fs';
import { renderApiDocs } from './api-docs.ts';

const out = new URL('../docs/api.md', import.meta.url).pathname;
writeFileSync(out, renderApiDocs());
process.stdout.write('wrote docs/api.md\n');

/**
 * `npm run schemas`: writes schemas/*.schema.json from the zod schemas (src/check/json-schemas.ts).
 * Run it after changing a file format or a `--json` output; test/check/json-schemas.test.ts fails
 * while the committed files differ from what this writes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSchemas } from '../src/check/json-schemas.ts';

const dir = new URL('../schemas/', import.meta.url).pathname;
mkdirSync(dir, { recursive: true });
for (const { file, text } of renderSchemas()) {
  writeFileSync(join(dir, file), text);
  process.stdout.write(`wrote schemas/${file}\n`);
}

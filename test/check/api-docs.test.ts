/** docs/api.md is what `npm run api-docs` generates from the TSDoc of src/index.ts's exports, and documents the CheckContext API. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderApiDocs } from '../../scripts/api-docs.ts';

describe('docs/api.md', () => {
  it('is up to date (run npm run api-docs after changing a documented export)', () => {
    const committed = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderApiDocs());
  });

  it('documents every member of CheckContext and CheckKernel', () => {
    const text = renderApiDocs();
    for (const m of ['vendor', 'paging', 'kernel', 'describe', 'at', 'percpuBase', 'isKernelStack', 'fixupFor', 'vdso']) {
      expect(text, m).toMatch(new RegExp(`\\n- \`${m}\\??: [^\\n]*\`: \\S`));
    }
  });
});

/** Acceptance tests of the second half of the bug corpus (two files, so they run in parallel). */
import { BUGS } from './bugs.ts';
import { acceptance } from './harness.ts';

for (const bug of BUGS.filter((_, i) => i % 2 === 1)) acceptance(bug);

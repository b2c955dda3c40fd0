/** Acceptance tests of the first half of the bug corpus (see bugs.ts and harness.ts). */
import { BUGS } from './bugs.ts';
import { acceptance } from './harness.ts';

for (const bug of BUGS.filter((_, i) => i % 2 === 0)) acceptance(bug);

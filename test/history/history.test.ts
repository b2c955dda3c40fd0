/** Acceptance tests of the first half of the bug corpus (see bugs.ts and harness.ts). */
import { acceptance, half } from './harness.ts';

for (const bug of half(0)) acceptance(bug);

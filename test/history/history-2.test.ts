/** Acceptance tests of the second half of the bug corpus (two files, so they run in parallel). */
import { acceptance, half } from './harness.ts';

for (const bug of half(1)) acceptance(bug);

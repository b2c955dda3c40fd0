/** One acceptance test per bug of the corpus (see bugs.ts and harness.ts). */
import { BUGS } from './bugs.ts';
import { acceptance } from './harness.ts';

for (const bug of BUGS) acceptance(bug);

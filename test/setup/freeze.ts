/**
 * Every test runs with deep-frozen snapshots: a write that reaches an object a snapshot shares
 * (a copy-on-write slip in the working machine) throws at once instead of silently changing a
 * state an invariant or a report already holds.
 */
import { setFreezeSnapshots } from '../../src/model/index.ts';

setFreezeSnapshots(true);

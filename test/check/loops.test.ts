/**
 * The exploration's loops (explore.ts `loops`): a trace that ends in a signal handler is judged
 * with its events once and twice more, the user program going round through the handler. The
 * case is user-progress on linux-3.19: its fast path returns by SYSRET with the user's TF (the B4
 * mechanism, linux-entry-history; the TF test came in the v4.0 cycle), so a POPF that sets TF and
 * a system call trap before the instruction after the call, and a SIGTRAP handler that does the
 * same traps there every round; that it comes back shows only in the second round, past the
 * exploration's depth.
 */
import { describe, expect, it } from 'vitest';
import { discoverInvariants } from '../../src/check/discover.ts';
import { runExploration } from '../../src/check/explore/alphabet.ts';
import { explore } from '../../src/check/explore/explore.ts';
import { kernelOf } from '../../src/check/session.ts';
import { findDesign, type Design } from '../../src/kernel/index.ts';

const progress = (await discoverInvariants()).map((d) => d.invariant).filter((i) => i.id === 'user-progress');
const cellOf = (name: string) => ({ kernel: kernelOf(findDesign(name) as Design), vendor: 'intel' as const, paging: 4 as const });

describe('the exploration\'s loops', () => {
  it('find user-progress on linux-3.19 in three rounds of a two-event body that ends in the SIGTRAP handler', () => {
    const x = explore({ invariants: progress, cell: cellOf('linux-3.19'), ...runExploration(), depth: 2 });
    const raw = x.found?.raw ?? [];
    expect(x.found?.invariant).toBe('user-progress');
    expect(raw).toHaveLength(6);
    expect(raw.slice(2, 4)).toEqual(raw.slice(0, 2));
    expect(raw.slice(4, 6)).toEqual(raw.slice(0, 2));
    expect(raw[0]).toEqual({ type: 'user.popf', flags: '0x302' });
    expect(x.found?.failure.message).toMatch(/^expected task 1 to get past 0x[0-9a-f]+, got it resumed there and trapping before executing it twice/);
  });

  it('are what finds it: without them the same exploration holds', () => {
    const x = explore({ invariants: progress, cell: cellOf('linux-3.19'), ...runExploration(), loops: false, depth: 2 });
    expect(x.found).toBeNull();
  });

  // Nothing on linux-6.7, whose SYSRET test refuses TF (the trap comes once, at the next
  // instruction): reference-holds.test.ts.
});

/**
 * Instruction breakpoints and RF (SDM Vol. 3 17.3.1.1), SMAP (4.6.1), machine-check priority at a
 * boundary (6.9), and a delivery that pushes onto a write-protected stack (6.15: a #PF while
 * delivering #GP is a double fault).
 */
import { describe, expect, it } from 'vitest';
import {
  boundaryEvent, breakpointHit, deliverEvent, EMPTY_MEMORY, rf, smapFault, VEC, watchpointHit,
} from '../../src/isa/index.ts';
import { kernelCpu, USER_RIP, userCpu } from './helpers.ts';

describe('instruction breakpoints', () => {
  it('fire before the instruction at the address, unless RF is set or a MOV SS shadow holds them', () => {
    const u = { ...userCpu(), breakAt: USER_RIP };
    expect(breakpointHit(u, USER_RIP)).toBe(true);
    expect(breakpointHit(u, USER_RIP + 1n)).toBe(false);
    expect(breakpointHit({ ...u, rflags: u.rflags | rf.RF }, USER_RIP)).toBe(false);
    expect(breakpointHit({ ...u, shadow: 'movss' }, USER_RIP)).toBe(false);
  });
});

describe('data breakpoints', () => {
  it('a one-byte read/write watchpoint fires for any access that covers its byte (17.3.1.2)', () => {
    const u = { ...userCpu(), watch: 0x60_0010n };
    expect(watchpointHit(u, 0x60_0010n, 1n)).toBe(true);
    expect(watchpointHit(u, 0x60_000cn, 8n)).toBe(true);
    expect(watchpointHit(u, 0x60_0011n, 1n)).toBe(false);
    expect(watchpointHit({ ...u, watch: null }, 0x60_0010n, 1n)).toBe(false);
  });
});

describe('SMAP', () => {
  it('a supervisor access to a user address faults (P, W for a store) unless AC is set', () => {
    const k = { ...kernelCpu(), smap: true };
    expect(smapFault(k, 0x60_0000n, false)).toEqual({ vector: VEC.PF, error: 1, cr2: 0x60_0000n });
    expect(smapFault(k, 0x60_0000n, true)).toEqual({ vector: VEC.PF, error: 3, cr2: 0x60_0000n });
    expect(smapFault({ ...k, rflags: k.rflags | rf.AC }, 0x60_0000n, false)).toBeNull();
    expect(smapFault(k, 0xffff_8880_0000_0000n, false)).toBeNull();
    expect(smapFault({ ...k, smap: false }, 0x60_0000n, false)).toBeNull();
  });
});

describe('machine checks and write-protected stacks', () => {
  it('a machine check comes first at a boundary, whatever IF, shadows or NMI blocking say', () => {
    const k = { ...kernelCpu(), shadow: 'movss' as const, nmiBlocked: true, pendingDb: { cause: 'single-step' as const, held: false } };
    expect(boundaryEvent(k, true, true, true)).toBe('mce');
    expect(boundaryEvent(k, true, true, false)).toBe(null);
  });

  it('#GP delivered onto a read-only stack takes #PF while pushing: a double fault', () => {
    const rsp = 0xffff_ff00_ffff_0fc0n;
    const k = kernelCpu('intel', 4, { writeProtected: [[0xffff_ff00_0000_0000n, 0xffff_ff01_0000_0000n]] });
    const r = deliverEvent({ ...k, regs: { ...k.regs, rsp } }, EMPTY_MEMORY, { vector: VEC.GP, kind: 'fault', rip: k.regs.rip, error: 0 });
    if (!r.ok) throw new Error('shutdown');
    expect(r.delivered.vector).toBe(VEC.DF);
  });
});

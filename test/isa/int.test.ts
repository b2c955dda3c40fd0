/**
 * INT n / INT3 / INT 0x80, #PF and CR2, NMI blocking, and escalation during delivery. Source:
 * reference/x86-semantics.md sections 4.6 (SDM INT n Operation: gate DPL check, error code
 * (num << 3) | 2 | EXT, return RIP), 5.2 (CR2), 5.5 (NMI blocking), SDM Vol. 3 Tables 6-4/6-5
 * (double fault, shutdown).
 */
import { describe, expect, it } from 'vitest';
import {
  boundaryEvent, cpl, DEFAULT_IST, defaultHandler, deliver, deliverEvent, EMPTY_MEMORY, IST_DF,
  readQ, softInt, USER_CS, VEC, type CpuState,
} from '../../src/isa/index.ts';
import { frameAt, kernelCpu, USER_RIP, userCpu } from './helpers.ts';

const without = (cpu: CpuState, ...vectors: number[]): CpuState =>
  ({ ...cpu, idt: Object.fromEntries(Object.entries(cpu.idt).filter(([v]) => !vectors.includes(Number(v)))) });

describe('software interrupts', () => {
  // Ref 4.6: return RIP for INT n / INT3 is the next instruction: INT3 (CC) is 1 byte.
  it('INT3 pushes RIP + 1 and enters the #BP handler at CPL 0', () => {
    const r = softInt(userCpu(), EMPTY_MEMORY, VEC.BP);
    if (!r.ok) throw new Error('shutdown');
    expect(frameAt(r.mem, r.cpu.regs.rsp, false).rip).toBe(USER_RIP + 1n);
    expect(r.cpu.regs.rip).toBe(defaultHandler(VEC.BP));
    expect(cpl(r.cpu)).toBe(0);
  });

  // Ref 4.6: INT n (CD ib) is 2 bytes; INT 0x80's gate has DPL 3 so user mode may use it.
  it('INT 0x80 (and INT n on another DPL-3 gate) pushes RIP + 2', () => {
    for (const v of [VEC.INT80, VEC.OF]) {
      const r = softInt(userCpu(), EMPTY_MEMORY, v);
      if (!r.ok) throw new Error('shutdown');
      expect(r.delivered.vector).toBe(v);
      expect(frameAt(r.mem, r.cpu.regs.rsp, false).rip).toBe(USER_RIP + 2n);
    }
  });

  // Ref 4.6: software interrupt with gate.DPL < CPL: #GP(error_code(vector, 1, 0)) = (v << 3) | 2,
  // a fault on the INT instruction itself: the pushed RIP is the INT, not the next instruction.
  it('INT n through a DPL-0 gate from CPL 3 raises #GP((v << 3) | 2) with RIP = the INT', () => {
    for (const v of [VEC.TIMER, VEC.PF, VEC.NMI]) {
      const r = softInt(userCpu(), EMPTY_MEMORY, v);
      if (!r.ok) throw new Error('shutdown');
      expect(r.delivered.vector).toBe(VEC.GP);
      const f = frameAt(r.mem, r.cpu.regs.rsp, true);
      expect(f.error).toBe(BigInt((v << 3) | 2));
      expect(f.rip).toBe(USER_RIP);
      expect(f.cs).toBe(BigInt(USER_CS));
      expect(r.cpu.regs.rip).toBe(defaultHandler(VEC.GP));
    }
  });

  // Ref 4.6: the DPL check applies to INT n only, never to exceptions or external interrupts.
  it('the gate DPL is not checked for exceptions and external interrupts', () => {
    const r = deliver(userCpu(), EMPTY_MEMORY, { vector: VEC.TIMER, kind: 'interrupt', rip: USER_RIP });
    expect(r.ok).toBe(true);
  });

  // Ref 4.6: a missing gate: #GP(error_code(vector, 1, EXT)); EXT = 1 for an external event.
  it('a missing gate gives #GP((v << 3) | 2 | EXT)', () => {
    const r = deliver(without(userCpu(), 0x41), EMPTY_MEMORY, { vector: 0x41, kind: 'interrupt', rip: USER_RIP });
    expect(r.ok ? null : r.fault).toEqual({ vector: VEC.GP, error: (0x41 << 3) | 3 });
  });
});

describe('#PF and CR2', () => {
  // Ref 5.2: CR2 <- the faulting address before the handler's first instruction.
  it('#PF delivery writes CR2 and pushes the error code', () => {
    const r = deliverEvent(userCpu(), EMPTY_MEMORY, { vector: VEC.PF, kind: 'fault', rip: USER_RIP, error: 6, cr2: 0xdead_b000n });
    if (!r.ok) throw new Error('shutdown');
    expect(r.cpu.cr2).toBe(0xdead_b000n);
    expect(readQ(r.mem, r.cpu.regs.rsp)).toBe(6n);
  });

  // Ref 5.2 + SDM Table 6-5: #PF then #GP during its delivery is a double fault; CR2 was already
  // written when the #PF was recognised, so it holds the #PF address in the #DF handler.
  it('#GP during #PF delivery escalates to #DF on its IST stack, and CR2 is still written', () => {
    const r = deliverEvent(without(userCpu(), VEC.PF), EMPTY_MEMORY, { vector: VEC.PF, kind: 'fault', rip: USER_RIP, error: 4, cr2: 0x1000n });
    if (!r.ok) throw new Error('shutdown');
    expect(r.delivered.vector).toBe(VEC.DF);
    expect(r.cpu.cr2).toBe(0x1000n);
    expect(r.frame.top).toBe(DEFAULT_IST[IST_DF]);
    const f = frameAt(r.mem, r.cpu.regs.rsp, true);
    expect(f.error).toBe(0n);
    expect(f.rip).toBe(USER_RIP);
  });

  // SDM Table 6-5: a fault while delivering #DF shuts the processor down (triple fault).
  it('a fault while delivering #DF is a shutdown', () => {
    const cpu = without(userCpu(), VEC.PF, VEC.DF);
    const r = deliverEvent(cpu, EMPTY_MEMORY, { vector: VEC.PF, kind: 'fault', rip: USER_RIP, error: 4, cr2: 0x1000n });
    expect(r.ok).toBe(false);
    const k = kernelCpu();
    const bad = { ...k, tss: { ...k.tss, ist: k.tss.ist.map((s, i) => (i === IST_DF ? 1n << 47n : s)) } };
    expect(deliverEvent(bad, EMPTY_MEMORY, { vector: VEC.DF, kind: 'abort', rip: k.regs.rip, error: 0 }).ok).toBe(false);
  });

  // SDM Table 6-5: a fault while delivering a benign event (external interrupt) is delivered in
  // its place, not escalated.
  it('a fault while delivering an external interrupt is delivered in its place', () => {
    const r = deliverEvent(without(userCpu(), 0x41), EMPTY_MEMORY, { vector: 0x41, kind: 'interrupt', rip: USER_RIP });
    expect(r.ok && r.delivered.vector).toBe(VEC.GP);
  });
});

describe('NMI blocking', () => {
  // Ref 5.5: NMI delivery blocks further NMIs until the next IRET; IRQs are not affected by it.
  it('NMI delivery blocks NMIs', () => {
    const r = deliver(userCpu(), EMPTY_MEMORY, { vector: VEC.NMI, kind: 'nmi', rip: USER_RIP });
    if (!r.ok) throw new Error('failed');
    expect(r.cpu.nmiBlocked).toBe(true);
    expect(boundaryEvent(r.cpu, true, false)).toBeNull();
    expect(boundaryEvent({ ...r.cpu, rflags: r.cpu.rflags | 0x200n }, true, true)).toBe('irq');
  });

  // Ref 5.5: other events do not block NMIs.
  it('other deliveries leave NMIs unblocked', () => {
    const r = deliver(userCpu(), EMPTY_MEMORY, { vector: VEC.TIMER, kind: 'interrupt', rip: USER_RIP });
    expect(r.ok && r.cpu.nmiBlocked).toBe(false);
  });
});

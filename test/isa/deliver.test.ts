/**
 * Event delivery in IA-32e mode: stacks, frame layout, error codes, flags. Source:
 * reference/x86-semantics.md sections 4.6 (SDM INT n Operation IA-32e paths; QEMU
 * do_interrupt64; seL4 traps.S frame layout), 5.3 (RF in the pushed image).
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_IST, DEFAULT_RSP0, defaultHandler, deliver, deliverEvent, EMPTY_MEMORY, ERROR_CODE_VECTORS, flatCode,
  IST_NMI, KERNEL_CS, nullSegment, pushesErrorCode, readQ, rf, USER_CS, USER_DS, VEC, type CpuState, type Delivery,
} from '../../src/isa/index.ts';
import { KERNEL_RSP, kernelCpu, USER_RIP, USER_RSP, userCpu } from './helpers.ts';

const irq: Delivery = { vector: VEC.TIMER, kind: 'interrupt', rip: USER_RIP };
const ok = (cpu: CpuState, d: Delivery) => {
  const r = deliver(cpu, EMPTY_MEMORY, d);
  if (!r.ok) throw new Error(`delivery failed: ${JSON.stringify(r.fault)}`);
  return r;
};

describe('event delivery: stacks', () => {
  // Ref 4.6: privilege change without IST: newRSP <- TSS.RSP0; SS <- NULL (RPL = new CPL).
  it('from CPL 3 loads RSP0 and sets SS to NULL', () => {
    const r = ok(userCpu(), irq);
    expect(r.frame.top).toBe(DEFAULT_RSP0);
    expect(r.cpu.regs.rsp).toBe(DEFAULT_RSP0 - 40n);
    expect(r.frame.privilegeChange).toBe(true);
    expect(r.cpu.ss).toEqual(nullSegment(0));
    expect(r.cpu.cs).toEqual(flatCode(KERNEL_CS, 0, true));
    expect(r.cpu.regs.rip).toBe(defaultHandler(VEC.TIMER));
  });

  // Ref 4.6: "IST switches even at CPL 0"; no privilege change keeps SS.
  it('uses the IST stack even without a privilege change (CPL 0), keeping SS', () => {
    const k = kernelCpu();
    const r = ok(k, { vector: VEC.NMI, kind: 'nmi', rip: k.regs.rip });
    expect(r.frame.ist).toBe(IST_NMI);
    expect(r.frame.privilegeChange).toBe(false);
    expect(r.cpu.regs.rsp).toBe(DEFAULT_IST[IST_NMI]! - 40n);
    expect(r.cpu.ss).toEqual(k.ss);
    expect(readQ(r.mem, r.cpu.regs.rsp + 24n)).toBe(KERNEL_RSP);
  });

  // Ref 4.6: from CPL 3 a gate with IST takes the IST stack, not RSP0.
  it('from CPL 3 an IST gate takes the IST stack, not RSP0', () => {
    const r = ok(userCpu(), { vector: VEC.NMI, kind: 'nmi', rip: USER_RIP });
    expect(r.frame.top).toBe(DEFAULT_IST[IST_NMI]);
    expect(r.cpu.ss.usable).toBe(false);
  });

  // Ref 4.6: without IST at CPL 0 the current RSP is kept (no stack switch).
  it('at CPL 0 without IST pushes on the current stack', () => {
    const k = kernelCpu();
    expect(ok(k, { ...irq, rip: k.regs.rip }).frame.top).toBe(KERNEL_RSP);
  });

  // Ref 4.6: "newRSP non-canonical -> #SS(EXT)": the current stack at CPL 0, or RSP0/IST.
  it('a non-canonical new stack raises #SS(EXT)', () => {
    const k = kernelCpu('intel', 4, { regs: { ...kernelCpu().regs, rsp: 1n << 47n } });
    const r = deliver(k, EMPTY_MEMORY, { ...irq, rip: k.regs.rip });
    expect(r.ok ? null : r.fault).toEqual({ vector: VEC.SS, error: 1 });
  });

  // Ref 4.6: RSP <- newRSP AND ~0xF, always (both the RSP0 and the current-stack cases).
  it('aligns the new stack top down to 16 bytes', () => {
    const u = userCpu();
    const r = ok({ ...u, tss: { ...u.tss, rsp0: DEFAULT_RSP0 - 8n } }, irq);
    expect(r.frame.top).toBe(DEFAULT_RSP0 - 16n);
    expect(r.cpu.regs.rsp).toBe(DEFAULT_RSP0 - 56n);
    const k = kernelCpu('intel', 4, { regs: { ...kernelCpu().regs, rsp: KERNEL_RSP + 0xcn } });
    expect(ok(k, { ...irq, rip: k.regs.rip }).frame.top).toBe(KERNEL_RSP);
  });
});

describe('event delivery: the frame', () => {
  // Ref 4.6 (seL4 traps.S): SS +40, RSP +32, RFLAGS +24, CS +16, RIP +8, error code +0.
  it('pushes SS, RSP, RFLAGS, CS, RIP at top-8 .. top-40 and the error code at top-48', () => {
    const u = userCpu('intel', 4, { rflags: rf.FIXED | rf.IF | rf.AC });
    const r = ok(u, { vector: VEC.GP, kind: 'fault', rip: USER_RIP, error: 0x18 });
    const t = r.frame.top;
    expect(readQ(r.mem, t - 8n)).toBe(BigInt(USER_DS));
    expect(readQ(r.mem, t - 16n)).toBe(USER_RSP);
    expect(readQ(r.mem, t - 24n)).toBe(rf.FIXED | rf.IF | rf.AC | rf.RF);
    expect(readQ(r.mem, t - 32n)).toBe(BigInt(USER_CS));
    expect(readQ(r.mem, t - 40n)).toBe(USER_RIP);
    expect(readQ(r.mem, t - 48n)).toBe(0x18n);
    expect(r.cpu.regs.rsp).toBe(t - 48n);
  });

  // Ref 4.6 (QEMU exception_has_error_code): only 8, 10-14, 17 push an error code.
  it('pushes an error code only for exceptions 8, 10-14 and 17', () => {
    expect([...ERROR_CODE_VECTORS].sort((a, b) => a - b)).toEqual([8, 10, 11, 12, 13, 14, 17]);
    for (let v = 0; v < 32; v++) {
      const r = ok(userCpu(), { vector: v, kind: v === 2 ? 'nmi' : 'fault', rip: USER_RIP, error: 0x10 });
      const qwords = (r.frame.top - r.cpu.regs.rsp) / 8n;
      expect(qwords, `vector ${v}`).toBe(ERROR_CODE_VECTORS.has(v) ? 6n : 5n);
    }
  });

  // Ref 4.6: the processor pushes an error code for these exceptions unconditionally; a caller
  // that leaves `error` out still gets a 6-qword frame (error code 0), never a 5-qword one.
  it('an error-code exception always gets an error code slot (0 when none is given)', () => {
    const r = ok(userCpu(), { vector: VEC.GP, kind: 'fault', rip: USER_RIP });
    expect(r.frame.top - r.cpu.regs.rsp).toBe(48n);
    expect(readQ(r.mem, r.cpu.regs.rsp)).toBe(0n);
  });

  // Ref 4.6: callers locate the frame from deliverEvent's `delivered.error`, so it is defined
  // exactly when an error code was pushed.
  it('deliverEvent reports delivered.error exactly when an error code was pushed', () => {
    const gp = deliverEvent(userCpu(), EMPTY_MEMORY, { vector: VEC.GP, kind: 'fault', rip: USER_RIP });
    expect(gp.ok && gp.delivered.error).toBe(0);
    const ext = deliverEvent(userCpu(), EMPTY_MEMORY, { vector: VEC.GP, kind: 'interrupt', rip: USER_RIP, error: 5 });
    expect(ext.ok && 'error' in ext.delivered).toBe(false);
    expect(pushesErrorCode({ vector: VEC.PF, kind: 'fault', rip: 0n })).toBe(true);
    expect(pushesErrorCode({ vector: VEC.PF, kind: 'software', rip: 0n })).toBe(false);
  });

  // Ref 4.6: "never for INT n, never for external interrupts (even on those vectors)".
  it('never pushes an error code for external interrupts or INT n, even on vectors 8-17', () => {
    for (const v of [8, 13, 14, 17]) {
      const ext = ok(userCpu(), { vector: v, kind: 'interrupt', rip: USER_RIP, error: 5 });
      expect(ext.frame.top - ext.cpu.regs.rsp).toBe(40n);
      const k = kernelCpu();
      const soft = ok(k, { vector: v, kind: 'software', rip: k.regs.rip + 2n, error: 5 });
      expect(soft.frame.top - soft.cpu.regs.rsp).toBe(40n);
    }
  });
});

describe('event delivery: RFLAGS', () => {
  const flags = rf.FIXED | rf.IF | rf.TF | rf.NT | rf.RF | rf.VM | rf.AC;

  // Ref 4.6: interrupt gate: IF <- 0; trap gate: IF unchanged.
  it('interrupt gates clear IF, trap gates do not', () => {
    expect(ok(userCpu(), irq).cpu.rflags & rf.IF).toBe(0n);
    const u = userCpu();
    const trapGate = { ...u, idt: { ...u.idt, [VEC.TIMER]: { ...u.idt[VEC.TIMER]!, type: 'trap' as const } } };
    expect(ok(trapGate, irq).cpu.rflags & rf.IF).toBe(rf.IF);
  });

  // Ref 4.6: TF, NT, RF, VM <- 0 in the handler; the pushed image keeps TF and NT.
  it('clears TF, NT, RF and VM in the handler but pushes them in the image', () => {
    const r = ok(userCpu('intel', 4, { rflags: flags }), irq);
    expect(r.cpu.rflags).toBe(rf.FIXED | rf.AC);
    expect(readQ(r.mem, r.frame.top - 24n)).toBe(flags);
  });

  // Ref 5.3: faults push RF = 1; interrupts between instructions push the current RF.
  it('pushes RF = 1 for faults and the current RF for interrupts and traps', () => {
    const clear = userCpu('intel', 4, { rflags: rf.FIXED | rf.IF });
    const set = userCpu('intel', 4, { rflags: rf.FIXED | rf.IF | rf.RF });
    const image = (c: CpuState, d: Delivery) => { const r = ok(c, d); return readQ(r.mem, r.frame.top - 24n) & rf.RF; };
    expect(image(clear, { vector: VEC.PF, kind: 'fault', rip: USER_RIP, error: 4, cr2: 0n })).toBe(rf.RF);
    expect(image(clear, irq)).toBe(0n);
    expect(image(set, irq)).toBe(rf.RF);
    expect(image(set, { vector: VEC.DB, kind: 'trap', rip: USER_RIP })).toBe(rf.RF);
  });

  // Ref 5.3 (SDM: "Software-generated interrupts (RF is pushed as 0, since it was cleared when
  // the INT n instruction started execution)").
  it('pushes RF = 0 for INT n even when RF was set before it (e.g. right after IRET)', () => {
    const set = userCpu('intel', 4, { rflags: rf.FIXED | rf.IF | rf.RF });
    const r = ok(set, { vector: VEC.INT80, kind: 'software', rip: USER_RIP + 2n });
    expect(readQ(r.mem, r.frame.top - 24n) & rf.RF).toBe(0n);
  });
});

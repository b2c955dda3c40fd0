/**
 * The comparison rules (src/cosim/rules.ts, docs/cosim.md) on hand-made records: each rule
 * applies to the registers it concerns and nowhere else; RF is compared where it was probed;
 * signal frames are compared field by field where both sides give the field; no model gap is
 * pending, so no mask hides anything.
 */
import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/cosim/compare.ts';
import { REG_NAMES, type EventRecord, type SideRun, type SigRecord } from '../../src/cosim/types.ts';
import type { Event } from '../../src/model/index.ts';

const PID = 4242;
const nop: Event = { type: 'user.nop' };
const regs = (over: Record<string, bigint> = {}): bigint[] => REG_NAMES.map((n) => over[n] ?? (n === 'rflags' ? 0x202n : n === 'cs' ? 0x33n : n === 'ss' ? 0x2bn : 0n));
const rec = (over: Partial<EventRecord> = {}): EventRecord => ({ skipped: false, state: 'boundary', signals: [], traps: [], regs: regs(), ...over });
const run = (records: EventRecord[], pid?: number): SideRun => ({ status: 'ok', detail: '', ...(pid ? { pid } : {}), records });
const fields = (m: EventRecord[], r: EventRecord[]): string[] =>
  compareRuns(m.map(() => nop), run(m, 1), run(r, PID)).differences.map((d) => d.field);

const sig = (rsp: bigint, ctx: SigRecord['ctx'] = {}): SigRecord =>
  ({ signo: 10, code: 0, addr: 0n, rip: 0x400102n, fatal: false, frame: { rsp, rsi: rsp + 0x100n, rdx: rsp + 0x200n }, ctx });

describe('co-simulation comparison rules', () => {
  it('pid: the real pid stands for 1 in RAX, RDI and RBX only', () => {
    expect(fields([rec({ regs: regs({ rax: 1n, rdi: 1n, rbx: 1n }) })], [rec({ regs: regs({ rax: BigInt(PID), rdi: BigInt(PID), rbx: BigInt(PID) }) })])).toEqual([]);
    expect(fields([rec({ regs: regs({ rcx: 1n }) })], [rec({ regs: regs({ rcx: BigInt(PID) }) })])).toEqual(['rcx']);
  });

  it('frame addresses: a real frame stands for the model frame in RSP, RSI and RDX only', () => {
    const m = [rec({ signals: [sig(0x7fffffffdb38n)], regs: regs({ rsp: 0x7fffffffdb38n, r12: 0x7fffffffdb38n }) })];
    const r = [rec({ signals: [sig(0x7fffffffd3f8n)], regs: regs({ rsp: 0x7fffffffd3f8n, r12: 0x7fffffffd3f8n }) })];
    expect(fields(m, r)).toEqual(['r12']);
  });

  it('RF is compared where the harness probed it, and only there', () => {
    const m = [rec({ regs: regs({ rflags: 0x246n }) })];
    const r = (probed: boolean): EventRecord[] => [rec({ regs: regs({ rflags: 0x10246n }), ...(probed ? { rfProbe: true } : {}) })];
    expect(fields(m, r(false))).toEqual([]);
    expect(fields(m, r(true))).toEqual(['rflags']);
  });

  it('vDSO: the host landing pad stands for the model\'s in RIP and RCX only', () => {
    const vdso = { model: { fastcall: 0xf7fc057an, int80: 0xf7fc057cn, landingPad: 0xf7fc057en }, real: { fastcall: 0xf7fc05e5n, int80: 0xf7fc05e7n, landing: 0xf7fc05e9n } };
    const m = run([rec({ regs: regs({ rip: 0xf7fc057en, rcx: 0xf7fc057en, rdx: 0xf7fc057en }) })]);
    const r = run([rec({ regs: regs({ rip: 0xf7fc05e9n, rcx: 0xf7fc05e9n, rdx: 0xf7fc05e9n }) })]);
    expect(compareRuns([nop], m, r, { vdso }).differences.map((d) => d.field)).toEqual(['rdx']);
    expect(compareRuns([nop], m, r).differences.map((d) => d.field)).toEqual(['rcx', 'rdx', 'rip']);
  });

  it('vDSO call: RSP 16 lower and the kept RBP while the model holds a call, and only then', () => {
    const m = (kept: boolean): EventRecord[] => [rec({ regs: regs({ rsp: 0xffffc000n, rbp: 0xffffc000n }), ...(kept ? { vdsoCall: { rbp: 0x1234n } } : {}) })];
    const r = [rec({ regs: regs({ rsp: 0xffffbff0n, rbp: 0x1234n }) })];
    expect(fields(m(true), r)).toEqual([]);
    expect(fields(m(false), r)).toEqual(['rbp', 'rsp']);
    // ESP copied into EBP while the call is held (seed 12: SYSENTER's EBP = ESP after a tracer
    // sent the call elsewhere): 16 lower too, and nothing else is.
    const copied = [rec({ regs: regs({ rsp: 0xffffbff0n, rbp: 0xffffbff0n }) })];
    const held = (rbp: bigint): EventRecord[] => [rec({ regs: regs({ rsp: 0xffffc000n, rbp }), vdsoCall: { rbp: 0x1234n } })];
    expect(fields(held(0xffffc000n), copied)).toEqual([]);
    expect(fields(held(0xffffc008n), copied)).toEqual(['rbp']);
    expect(fields(m(false), copied)).toEqual(['rbp', 'rsp']);
  });

  // Seed 8 on AMD 6.18: a 64-bit rt_sigreturn to CS 0x23 with RSP 0x7fffffff5418 at an unmapped
  // RIP; the harness held the child before the IRETQ that leaves only ESP (isa/iret.ts).
  it('held return: RSP by its low half where the real child is held before a return to 32-bit code, and only there', () => {
    const m = [rec({ regs: regs({ rsp: 0xffff5418n, cs: 0x23n }) })];
    const r = (held: boolean, cs = 0x23n, rsp = 0x7fffffff5418n): EventRecord[] => [rec({ regs: regs({ rsp, cs }), ...(held ? { held: true } : {}) })];
    expect(fields(m, r(true))).toEqual([]);
    expect(fields(m, r(false))).toEqual(['rsp']);
    expect(fields(m, r(true, 0x33n))).toEqual(['rsp', 'cs']);
    expect(fields(m, r(true, 0x23n, 0x7fffffff5410n))).toEqual(['rsp']);
  });

  // Intel 6.18: a 64-bit rt_sigreturn to CS 0x23 with RIP 0x7fffffffffff. Intel's IRETQ keeps
  // EIP (isa/iret.ts), the model's boundary shows 0xffffffff, the held child pt_regs' RIP.
  it('held return: RIP by its low half too, where the child is held before a return to 32-bit code', () => {
    const m = [rec({ regs: regs({ rip: 0xffff_ffffn, cs: 0x23n }) })];
    const r = (held: boolean, rip = 0x7fff_ffff_ffffn): EventRecord[] => [rec({ regs: regs({ rip, cs: 0x23n }), ...(held ? { held: true } : {}) })];
    expect(fields(m, r(true))).toEqual([]);
    expect(fields(m, r(false))).toEqual(['rip']);
    expect(fields(m, r(true, 0x7fff_ffff_fffen))).toEqual(['rip']);
  });

  it('compares the signal frame field by field where both sides give the field', () => {
    const m = [rec({ signals: [sig(0x7000n, { rip: 0x400102n, rflags: 0x246n, cs: 0x33n })] })];
    const r = [rec({ signals: [sig(0x6000n, { rip: 0x400102n, rflags: 0x10246n, cs: 0x33n, err: 4n, trapno: 14n })] })];
    expect(fields(m, r)).toEqual(['signal.frame.rflags']);
  });

  it('compares orig_rax and the GS base where both sides give them', () => {
    const stop = (orig: bigint, gs?: bigint): EventRecord => rec({ state: 'stopped', stop: 'syscall-entry', extra: { orig_rax: orig, ...(gs === undefined ? {} : { gs_base: gs }) } });
    expect(fields([stop(39n, 0n)], [stop(39n)])).toEqual([]);
    expect(fields([stop(39n)], [stop(24n)])).toEqual(['orig_rax']);
  });

  // The gap orig-rax-at-delivery is fixed: no mask hides orig_rax after a delivery any more.
  it('masks nothing now that no model gap is pending: orig_rax after a delivery counts', () => {
    const delivered = (orig: bigint): EventRecord => rec({ state: 'stopped', stop: 'singlestep', signals: [sig(0x7000n)], extra: { orig_rax: orig } });
    const m = run([delivered(BigInt.asUintN(64, -1n))], 1);
    const r = run([delivered(62n)], PID);
    const c = compareRuns([nop], m, r);
    expect(c.agree).toBe(false);
    expect(c.masked).toEqual({});
    expect(c.differences.map((d) => d.field)).toEqual(['orig_rax']);
  });

  // Rule "frame addresses": a 32-bit pop or register write keeps only the low half of a frame
  // address; the low halves of a paired frame stand for each other too.
  it('pairs the low halves of frame addresses', () => {
    const m = run([rec({ state: 'boundary', signals: [sig(0x7fff_ffff_6b38n)] }), rec({ state: 'boundary', regs: regs({ rdx: 0xffff_6d38n }) })], 1);
    const r = run([rec({ state: 'boundary', signals: [sig(0x7fff_ffff_63f8n)] }), rec({ state: 'boundary', regs: regs({ rdx: 0xffff_65f8n }) })], PID);
    expect(compareRuns([nop, nop], m, r).differences).toEqual([]);
  });
});

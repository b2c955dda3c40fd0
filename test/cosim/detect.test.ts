/**
 * Where co-simulation refuses to run: a host whose user mode does not run as the architecture
 * says (a paravirtualized guest loses RFLAGS.NT at a single-step stop) would make every
 * difference the host's. The probe's verdict is read by platformOfProbe; this machine's own verdict
 * is in the first describe's title.
 */
import { describe, expect, it } from 'vitest';
import { detectPlatform, NOT_ARCHITECTURAL, parseCpuinfo, platformOfProbe } from '../../src/cosim/detect.ts';

const cpu = { vendor: 'amd', paging: 4, cpu: 'AMD EPYC', umip: false } as const;
const line = (o: object): string => `${JSON.stringify({ ok: true, int80: true, vdso: null, detail: '', ...o })}\n`;

const here = detectPlatform();
describe(`platformOfProbe (this machine: ${here.ok ? `${here.vendor}, co-simulation runs` : `no co-simulation: ${here.reason}`})`, () => {
  it('runs where POPF\'s NT survives the single-step stop', () => {
    const p = platformOfProbe(line({ nt: true }), '/h', cpu);
    expect(p.ok, `[FAIL] expected ok, got ${p.ok ? "ok" : p.reason}`).toBe(true);
  });

  it('refuses, with the reason, where NT was lost (the host is not the architecture)', () => {
    expect(platformOfProbe(line({ nt: false }), '/h', cpu)).toEqual({ ok: false, reason: NOT_ARCHITECTURAL, harness: '/h', int80: true });
  });

  it('keeps int $0x80\'s absence as a fact of the host, not a refusal', () => {
    const p = platformOfProbe(line({ nt: true, int80: false }), '/h', cpu);
    expect(p.ok && p.int80).toBe(false);
    expect(p.ok).toBe(true);
  });

  it('reads the host\'s XSAVE area size in signal frames, 0 when absent or malformed', () => {
    const p = platformOfProbe(line({ nt: true, xstate: '0xb04' }), '/h', cpu);
    expect(p.ok && p.xstate).toBe(0xb04n);
    const none = platformOfProbe(line({ nt: true }), '/h', cpu);
    expect(none.ok && none.xstate).toBe(0n);
    const bad = platformOfProbe(line({ nt: true, xstate: 'lots' }), '/h', cpu);
    expect(bad.ok && bad.xstate).toBe(0n);
  });

  it('names a probe that printed no JSON', () => {
    const p = platformOfProbe('segfault', '/h', cpu);
    expect(p.ok ? '' : p.reason).toBe('the harness probe failed: segfault');
  });
});

describe('parseCpuinfo', () => {
  it('reads vendor, LA57 and UMIP from the flags', () => {
    expect(parseCpuinfo('vendor_id\t: GenuineIntel\nmodel name\t: X\nflags\t\t: fpu la57 umip\n')).toEqual({ vendor: 'intel', paging: 5, cpu: 'X', umip: true });
  });
});


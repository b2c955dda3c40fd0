/** Messages cut down to what differs (src/report/brief.ts). */
import { describe, expect, it } from 'vitest';
import { briefMessage } from '../../src/report/brief.ts';

const dump = (rcx: string, r11: string): string =>
  `rax=0x0 rbx=0x0 rcx=${rcx} rdx=0x0 rsp=0x7fffffffe000 r11=${r11} rip=0x400102 rflags=0x202 cs=0x33 (code64 dpl3) ss=0x2b (data dpl3) gs=0x0`;

describe('briefMessage', () => {
  it('keeps only the fields that differ in a two-sided register dump, and says how many it left out', () => {
    const m = `expected task 3 resumes with ${dump('0x0', '0x0')} (as after IRET), got task 3 resumes with ${dump('0x400102', '0x202')} after SYSRET`;
    expect(briefMessage(m)).toBe('expected task 3 resumes with rcx=0x0 r11=0x0 (as after IRET), got task 3 resumes with rcx=0x400102 r11=0x202 after SYSRET (9 other fields equal)');
  });

  it('compares a segment with its attributes', () => {
    const a = dump('0x0', '0x0');
    const b = a.replace('ss=0x2b (data dpl3)', 'ss=0x2b (data dpl0)');
    expect(briefMessage(`expected ${a}, got ${b}`)).toBe('expected ss=0x2b (data dpl3), got ss=0x2b (data dpl0) (10 other fields equal)');
  });

  it('leaves other messages alone', () => {
    for (const m of ['expected task 3 in user mode without TS_COMPAT, got it set', 'expected rcx = 0x0 (pt_regs), got 0x400102', 'expected a=1 b=2, got a=1 b=3', `expected ${dump('0x0', '0x0')}, got ${dump('0x0', '0x0')}`]) {
      expect(briefMessage(m)).toBe(m);
    }
  });
});

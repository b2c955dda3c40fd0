/**
 * Bad input to the ISA layer throws an IsaInputError that names the field and the bad value
 * (errors.ts). These are programming or file errors, never CPU faults.
 */
import { describe, expect, it } from 'vitest';
import {
  deliver, EMPTY_MEMORY, IsaInputError, isCanonical, makeCpu, popf, setReg, softInt, taskSizeMax,
  type Paging, type Vendor,
} from '../../src/isa/index.ts';
import { userCpu } from './helpers.ts';

/** Runs `f` and returns the IsaInputError it throws (fails the test otherwise). */
function inputError(f: () => unknown): IsaInputError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(IsaInputError);
    return e as IsaInputError;
  }
  throw new Error('expected an IsaInputError, nothing was thrown');
}

describe('bad input', () => {
  // cpu.ts assertVendor; DESIGN 2.1: vendor is intel | amd.
  it('makeCpu with an unknown vendor names the vendor field and the value', () => {
    const e = inputError(() => makeCpu({ vendor: 'via' as Vendor, paging: 4 }));
    expect(e.message).toBe('vendor: expected "intel" or "amd", got "via"');
  });

  // canonical.ts assertPaging; DESIGN 2.1: 4-level (48-bit) or 5-level (57-bit) paging.
  it('makeCpu with paging 3 says paging must be 4 or 5', () => {
    const e = inputError(() => makeCpu({ vendor: 'intel', paging: 3 as Paging }));
    expect(e.message).toBe('paging: expected 4 or 5, got number 3');
  });

  // u64.ts assertU64; DESIGN 2.1: registers are 64-bit.
  it('makeCpu with a negative register value names the register', () => {
    const e = inputError(() => makeCpu({ vendor: 'intel', paging: 4, regs: { rax: -1n } }));
    expect(e.message).toBe('register rax: expected a 64-bit quantity (bigint in 0..2^64-1), got -0x1n');
  });

  // u64.ts assertU64: 2^64 does not fit in a 64-bit register.
  it('makeCpu with a register value >= 2^64 names the register', () => {
    const e = inputError(() => makeCpu({ vendor: 'amd', paging: 5, regs: { rcx: 1n << 64n } }));
    expect(e.message).toMatch(/^register rcx: expected a 64-bit quantity .* got 0x10000000000000000n$/);
  });

  // u64.ts assertU64: 64-bit values are bigints (a number loses precision above 2^53).
  it('makeCpu with a number instead of a bigint says it got a number', () => {
    const e = inputError(() => makeCpu({ vendor: 'intel', paging: 4, regs: { rip: 0x401000 as unknown as bigint } }));
    expect(e.message).toMatch(/^register rip: expected a 64-bit quantity .* got number 4198400$/);
  });

  // make-cpu.ts: only REG_NAMES exist.
  it('makeCpu with an unknown register name says so', () => {
    const e = inputError(() => makeCpu({ vendor: 'intel', paging: 4, regs: { eax: 1n } as never }));
    expect(e.message).toMatch(/register eax \(unknown register\)/);
  });

  // rflags.ts assertRflags; reference 1.1 reserved-bit invariant.
  it('makeCpu with an RFLAGS value with reserved bits set says which bits must be fixed', () => {
    const e = inputError(() => makeCpu({ vendor: 'intel', paging: 4, rflags: 0n }));
    expect(e.message).toBe('rflags: reserved bits must be fixed (bit 1 set; bits 3, 5, 15, 22-63 clear), got 0x0');
  });

  // make-cpu.ts setReg validates like makeCpu.
  it('setReg with a bad value names the register', () => {
    expect(inputError(() => setReg(userCpu(), 'r11', -5n)).message).toMatch(/^register r11: /);
  });

  // popf.ts: the popped value is a 64-bit quantity (reserved bits in it are ignored, reference 1.2).
  it('popf with a value that is not a 64-bit bigint names the popf value', () => {
    expect(inputError(() => popf(userCpu(), EMPTY_MEMORY, -1n)).message).toMatch(/^popf value: expected a 64-bit quantity.*got -0x1n$/);
    expect(inputError(() => popf(userCpu(), EMPTY_MEMORY, 0x202 as unknown as bigint)).message).toMatch(/got number 514$/);
  });

  // canonical.ts: an address is a 64-bit quantity; paging is 4 or 5.
  it('isCanonical with a bad address or paging mode names it', () => {
    expect(inputError(() => isCanonical(-1n, 4)).message).toMatch(/^address: expected a 64-bit quantity.*got -0x1n$/);
    expect(inputError(() => isCanonical(1n << 64n, 5)).message).toMatch(/^address: /);
    expect(inputError(() => isCanonical(0n, 3 as Paging)).message).toBe('paging: expected 4 or 5, got number 3');
    expect(inputError(() => taskSizeMax(6 as Paging)).message).toMatch(/^paging: /);
  });

  // deliver.ts / interrupts.ts: IDT vectors are 0..255 (reference 4.6).
  it('deliver with vector 300 says the vector must be 0..255', () => {
    const e = inputError(() => deliver(userCpu(), EMPTY_MEMORY, { vector: 300, kind: 'interrupt', rip: 0n }));
    expect(e.message).toBe('vector: expected an integer 0..255, got number 300');
    expect(inputError(() => softInt(userCpu(), EMPTY_MEMORY, -1)).message).toMatch(/^vector: /);
  });
});

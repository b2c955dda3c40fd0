/**
 * What RSP IRETQ leaves by the segments it returns to (sigreturn.c @ 5c4a1c09 comment; AMD
 * co-simulation): the whole image into 64-bit code, ESP only into compatibility mode on a 32-bit
 * stack, SP[15:0] only on a 16-bit stack (bits 31:16 from the kernel's RSP; bits 63:32 zero on
 * Intel, the kernel's on AMD).
 */
import { describe, expect, it } from 'vitest';
import { flatData, iretRsp } from '../../src/isa/index.ts';
import { kernelCpu } from './helpers.ts';

const ESPFIX = 0xffff_ff00_1234_0fc0n;
const stack16 = { ...flatData(0x0f, 3), db: false };

describe('IRETQ and RSP', () => {
  it('keeps the whole image for 64-bit code, only ESP for compatibility mode on a 32-bit stack', () => {
    const k = kernelCpu('amd');
    expect(iretRsp(k, 0x7fff_ffff_c800n, true, flatData(0x2b, 3))).toBe(0x7fff_ffff_c800n);
    expect(iretRsp(k, 0x7fff_ffff_c800n, false, flatData(0x2b, 3))).toBe(0xffff_c800n);
  });

  it('on a 16-bit stack loads SP[15:0] only: bits 31:16 from the kernel RSP, 63:32 zero on Intel, kept on AMD', () => {
    const intel = kernelCpu('intel', 4, {});
    const amd = kernelCpu('amd', 4, {});
    expect(iretRsp({ ...intel, regs: { ...intel.regs, rsp: ESPFIX } }, 0x8bad_f00d_5aad_c0den, false, stack16)).toBe(0x1234_c0den);
    expect(iretRsp({ ...amd, regs: { ...amd.regs, rsp: ESPFIX } }, 0x8bad_f00d_5aad_c0den, false, stack16)).toBe(0xffff_ff00_1234_c0den);
  });
});

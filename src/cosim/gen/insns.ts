/**
 * Chunks of the single user instructions the harness encodes as they are (native/encode.c):
 * INT n in its encodings (CD ib, CC, ICEBP, INTO), CLI, and PUSHF followed by a POP of what it
 * pushed. Each exercises one ISA rule of src/isa (int-forms.ts, privileged.ts, stack.ts) on the
 * real CPU.
 */
import type { Event, UserReg } from '../../model/index.ts';
import type { Guide } from './guide.ts';
import type { Rng } from './rng.ts';
import type { Chunk, Step } from './chunks.ts';

/** INT n vectors: DPL 0 gates (#GP(n*8+2)), #BP and #OF (DPL 3), an unused one, the top one. */
const VECTORS = [0x01, 0x03, 0x04, 0x0d, 0x0e, 0x29, 0x2d, 0x81, 0xff];

const user = (f: (g: Guide) => Event | null): Step => (g) => (g.state === 'boundary' ? f(g) : null);

/**
 * A software interrupt or CLI. ICEBP only on Intel, and not single-stepped: on an AMD host (a KVM
 * guest on AMD EPYC) its #DB reports RIP at the ICEBP, where the SDM (INT1: a trap), the model and
 * an Intel host put it after; under TF the Intel host reports a single step and no ICEBP SIGTRAP
 * (see docs/cosim.md, "Known limits").
 */
export function softInt(r: Rng, vendor: 'intel' | 'amd'): Chunk {
  return [user((g) => r.weighted<Event>([
    [4, { type: 'user.int', vector: r.pick(VECTORS) }],
    [vendor === 'intel' && !g.stepping && (g.rflags & 0x100n) === 0n ? 1 : 0, { type: 'user.int', vector: 1, form: 'icebp' }],
    [1, { type: 'user.int', vector: 3, form: 'cc' }],
    [1, { type: 'user.int', vector: 4, form: 'into' }],
    [1, { type: 'user.cli' }],
  ]))];
}

/**
 * PUSHF, then POP of the word it pushed into one of `regs`: the pop runs only where the push
 * left RSP (no fault, no trap into a handler between them), so it never reads stack the model
 * has no content for (its user memory is abstract: 0 where nothing was stored). Not on a signal
 * frame: the frames' addresses differ on the two sides (the rule pairs them, not RSP below them).
 */
export function pushPop(r: Rng, regs: readonly UserReg[]): Chunk {
  let expect: bigint | null = null;
  return [
    user((g) => {
      if (g.frameAtRsp) return null;
      expect = g.compat ? BigInt.asUintN(32, g.rsp - 4n) : BigInt.asUintN(64, g.rsp - 8n);
      return { type: 'user.pushf' };
    }),
    user((h) => (h.rsp === expect ? { type: 'user.pop', reg: r.pick(regs) } : null)),
  ];
}

/**
 * The hardware frame of the innermost activation (what event delivery pushed), read from the
 * kernel stack: whole, or one qword when a step tests only that (a read allocates a BigInt).
 */
import { readQ, readQs } from '../isa/index.ts';
import { KernelCorruption, type MachineState } from '../model/index.ts';
import { act } from './ops.ts';

/** Address of the innermost activation's hardware frame (its saved RIP), past any error code. */
export function frameAt(m: MachineState): bigint {
  const a = act(m);
  const f = a?.frame;
  if (!a || !f) throw new KernelCorruption('no hardware frame for this activation');
  return a.hw.error !== undefined ? f.rsp + 8n : f.rsp;
}

/** One qword of the innermost hardware frame (0 RIP, 8 CS, 16 RFLAGS, 24 RSP, 32 SS): a test reads only it. */
export const frameQ = (m: MachineState, off: bigint): bigint => readQ(m.mem, frameAt(m) + off);

/** Hardware frame of the innermost activation: where RIP is and whether an error code sits below it. */
export function frameOf(m: MachineState): { rip: bigint; cs: bigint; flags: bigint; rsp: bigint; ss: bigint; at: bigint; err: bigint | null } {
  const a = act(m);
  const f = a?.frame;
  if (!a || !f) throw new KernelCorruption('no hardware frame for this activation');
  const hasErr = a.hw.error !== undefined;
  const at = f.rsp + (hasErr ? 8n : 0n);
  // The error code (if any) and the five frame qwords, read in one go.
  const q = readQs(m.mem, f.rsp, hasErr ? 6 : 5);
  const i = hasErr ? 1 : 0;
  return {
    rip: q[i] as bigint, cs: q[i + 1] as bigint, flags: q[i + 2] as bigint, rsp: q[i + 3] as bigint, ss: q[i + 4] as bigint, at,
    err: hasErr ? q[0] as bigint : null,
  };
}

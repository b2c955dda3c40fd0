/**
 * Whether two machine states have the same future: from either, the same events produce the same
 * observations. They must be equal but for what the future cannot depend on:
 * - the clock itself (only differences of clocks matter: armed countdowns are compared by the
 *   time they have left, as a set (`armedKey`), and the NMI bookkeeping by which of "last delivered" and "last
 *   handled" is later);
 * - activation ids and the next id (labels, never tested by kernel code);
 * - CPU-written memory: kernel stacks, where every frame is written before it is read (the
 *   hardware frame on delivery, the IRET frame by the exit, saved registers by the entry).
 *   Stale bytes below a popped frame are never read again.
 * Comparison walks both states with an identity shortcut: states of one run share every
 * subtree nobody wrote, so this is cheap where they agree.
 */
import type { MachineState } from '../model/index.ts';

const SKIP = new Set(['clock', 'mem', 'nextActId', 'id', 'nmiLastDelivered', 'nmiLastHandled', 'armed']);

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equal(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof Map || b instanceof Map) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (SKIP.has(k)) continue;
    if (!equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/**
 * The armed countdowns as a set: kind, vector and time left of each, sorted, repeats dropped.
 * Firing is order-free and idempotent (a flag latched, an IRQ line asserted, an LDT entry
 * cleared: delivery.ts fireDue), so an IRQ armed before an NMI, or twice, has the same future.
 */
export function armedKey(m: MachineState): string {
  const armed = m.hw.armed;
  if (armed.length === 0) return '';
  const keys = armed.map((x) => `${x.kind}/${x.vector}/${x.due - m.clock}`);
  return [...new Set(keys)].sort().join(',');
}

/** True when `a` and `b` have the same future (see the file comment). */
export function sameFuture(a: MachineState, b: MachineState): boolean {
  if (!equal(a.cpu, b.cpu) || !equal(a.k, b.k) || !equal(a.hw, b.hw)) return false;
  if (armedKey(a) !== armedKey(b)) return false;
  const order = (m: MachineState): number => Math.sign(m.hw.nmiLastDelivered - m.k.percpu.nmiLastHandled);
  return order(a) === order(b);
}

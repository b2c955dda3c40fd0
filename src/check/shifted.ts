/**
 * A trace with its hardware events moved. The model arms an IRQ, NMI or machine check to fire
 * after a count of instruction boundaries (model/events.ts HwEvent), so on a design whose path is
 * a few micro-steps longer or shorter the same trace delivers it elsewhere. mutate uses these
 * moves to tell such a shift from a difference in behaviour.
 */

/** How far (in boundaries, either way) a hardware event is moved. */
export const SHIFT = 16;

/**
 * `t` with its hardware events moved by 1..`by` boundaries either way (SHIFT by default): all of
 * them together, and (when there are several) each one alone; never to a negative count. Nothing
 * when `t` has no hardware event.
 */
export function* shifted<E extends { readonly type: string }>(t: readonly E[], by = SHIFT): Generator<E[]> {
  const hw = t.flatMap((e, i) => (e.type.startsWith('hw.') ? [i] : []));
  if (hw.length === 0) return;
  const after = (i: number): number => (t[i] as unknown as { readonly after: number }).after;
  const groups = hw.length > 1 ? [hw, ...hw.map((i) => [i])] : [hw];
  for (let d = -by; d <= by; d++) {
    if (d === 0) continue;
    for (const g of groups) {
      if (g.some((i) => after(i) + d < 0)) continue;
      yield t.map((e, i) => (g.includes(i) ? { ...e, after: after(i) + d } : e));
    }
  }
}

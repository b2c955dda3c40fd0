/**
 * The trace arbitrary: lists of trace events (in file form, so "$next"-style values are resolved
 * where each event runs), each drawn from the vocabulary's generators (gen/events.ts) with values
 * at the boundaries of the ISA's predicates (gen/values.ts). It holds no sequence written for a
 * known bug: the corpus's traces live in counterexamples/ and the acceptance tests. Depth comes
 * from the coverage-guided search (gen/guided.ts), which extends the traces that reached
 * something new.
 */
import fc from 'fast-check';
import { eventArbitrary } from './gen/events.ts';
import type { RawEvent } from './trace-file.ts';

export { eventArbitrary } from './gen/events.ts';
export { EDGE_ADDRESSES, RFLAGS_VALUES, SELECTORS } from './gen/values.ts';

/** A trace: 1 to `maxLength` independent events. */
export function traceArbitrary(maxLength = 16): fc.Arbitrary<RawEvent[]> {
  return fc.array(eventArbitrary, { minLength: 1, maxLength });
}

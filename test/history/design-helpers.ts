/**
 * Helpers to write buggy and fixed designs for the corpus: a preset by name, and a preset with
 * some knobs changed (a fix reverted or applied).
 */
import type { RawEvent } from '../../src/check/trace-file.ts';
import { findDesign, variant, type Design, type Knobs } from '../../src/kernel/index.ts';

/** One bug of the corpus. */
export interface BugCase {
  readonly id: string;
  readonly title: string;
  readonly invariant: string;
  readonly buggy: Design;
  readonly fixed: Design;
  readonly vendor: 'intel' | 'amd';
  readonly paging?: 4 | 5;
  /** Length of the corpus's minimal trace (its numbered steps). */
  readonly corpusLength: number;
  /** The regression trace: it violates the invariant on the buggy design and not on the fixed one. */
  readonly trace: readonly RawEvent[];
  /**
   * The generic search's budget per seed when exploration to depth 3 does not find the bug
   * (default RUNS), or why it does not find it yet (the test says so; it is not counted found).
   */
  readonly search?: { readonly runs: number } | { readonly notYet: string };
}

/** A preset by name (throws on a typo). */
export function preset(name: string): Design {
  const d = findDesign(name);
  if (!d) throw new Error(`no preset ${name}`);
  return d;
}

/** `base` with some knobs changed, named after the bug or the fix. */
export function withKnobs(base: string, name: string, change: Partial<Knobs>): Design {
  return variant(preset(base), name, change);
}

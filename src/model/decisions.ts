/**
 * Decision coverage: a kernel decision (the SYSRET checks, the exit choice, ...) reports the value
 * of each of its conditions and its outcome each time it is taken, into a log a run was given.
 * From the distinct condition vectors seen, MC/DC tells which conditions were seen true and
 * false and which independently decided the outcome (two vectors that differ in that condition
 * only, with different outcomes: "unique-cause" MC/DC, DO-178C's definition).
 */

/** What one decision has been seen doing. */
export interface DecisionSeen {
  readonly conditions: readonly string[];
  /** Distinct vectors: bit i = condition i, bit conditions.length = the outcome. */
  readonly vectors: Set<number>;
}

/** Decision id -> what it has been seen doing (filled by runs that are given the log). */
export type DecisionLog = Map<string, DecisionSeen>;

/** Records one evaluation of decision `id`; returns its outcome. Conditions are evaluated in full. */
export function recordDecision(log: DecisionLog | null, id: string, conditions: ReadonlyArray<readonly [string, boolean]>, outcome: boolean): boolean {
  if (log === null) return outcome;
  let seen = log.get(id);
  if (seen === undefined || seen.conditions.length !== conditions.length) {
    seen = { conditions: conditions.map(([n]) => n), vectors: new Set() };
    log.set(id, seen);
  }
  let v = outcome ? 1 << conditions.length : 0;
  conditions.forEach(([, b], i) => { if (b) v |= 1 << i; });
  seen.vectors.add(v);
  return outcome;
}

/** One condition's coverage. */
export interface ConditionCoverage {
  readonly condition: string;
  readonly seenTrue: boolean;
  readonly seenFalse: boolean;
  /** Two vectors seen that differ in this condition only and in the outcome. */
  readonly independent: boolean;
}

/** MC/DC of a decision from the vectors seen. */
export function mcdc(conditions: readonly string[], vectors: Iterable<number>): ConditionCoverage[] {
  const n = conditions.length;
  const outcome = new Map<number, boolean>();
  for (const v of vectors) outcome.set(v & ((1 << n) - 1), (v >> n & 1) === 1);
  return conditions.map((condition, i) => {
    let seenTrue = false;
    let seenFalse = false;
    let independent = false;
    for (const [x, out] of outcome) {
      if ((x >> i & 1) === 1) seenTrue = true; else seenFalse = true;
      const flipped = outcome.get(x ^ (1 << i));
      if (flipped !== undefined && flipped !== out) independent = true;
    }
    return { condition, seenTrue, seenFalse, independent };
  });
}

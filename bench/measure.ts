/**
 * Measuring helpers for the benchmark: CPU time (process.cpuUsage: user + system, this process
 * and its worker threads) and the median of repeats. Speed is measured here, never in tests.
 */

/** CPU milliseconds `f` took. */
export function cpuMs(f: () => void): number {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

/** The median of numbers; Infinity counts as "not reached" (a median beyond the finite half is Infinity). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] as number;
}

/** Runs `f` once to warm up, then `repeats` times; the median CPU milliseconds. */
export function medianCpuMs(f: () => void, repeats: number): number {
  f();
  return median(Array.from({ length: repeats }, () => cpuMs(f)));
}

/** "1.2 s", "340 ms", "-" for NaN, "not found" for Infinity. */
export function fmtMs(ms: number): string {
  if (Number.isNaN(ms)) return '-';
  if (!Number.isFinite(ms)) return 'not found';
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** A thousands-separated integer. */
export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en');

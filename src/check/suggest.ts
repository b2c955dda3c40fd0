/**
 * "Did you mean ...?": the known name closest to a misspelt one. Closeness is the edit distance
 * (insert, delete, replace, swap two neighbours), case-insensitive; a name counts as close when
 * the distance is at most a third of its length (at least 1), or when one name contains the
 * other (`6.7` for `linux-6.7`), so unrelated names are never offered.
 */

/** Optimal string alignment distance between `a` and `b` (Damerau-Levenshtein without repeated edits of one substring). */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  if (m === 0) return n;
  if (n === 0) return m;
  // Three rows suffice: the current, the previous, and the one before (for transpositions).
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (prev2[j - 2] as number) + 1);
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n] as number;
}

/** The known names closest to `name`: all those at the best distance (at most `max`), or none when nothing is close. */
export function closest(name: string, known: readonly string[], max = 2): string[] {
  const low = name.toLowerCase();
  if (low.length === 0 || low.length > 200) return [];
  const scored: Array<{ k: string; d: number }> = [];
  for (const k of known) {
    const kl = k.toLowerCase();
    if (kl === low) return [k];
    const d = editDistance(low, kl);
    const near = d <= Math.max(1, Math.floor(Math.max(low.length, 3) / 3));
    const inside = low.length >= 3 && (kl.includes(low) || low.includes(kl));
    if (near || inside) scored.push({ k, d: near ? d : d + 100 });
  }
  scored.sort((x, y) => x.d - y.d || (x.k < y.k ? -1 : 1));
  const best = scored[0]?.d;
  return scored.filter((x) => x.d === best).slice(0, max).map((x) => x.k);
}

/**
 * The generator's source of randomness: a small seeded PRNG (xoshiro128**, Blackman and Vigna),
 * so a seed names the same traces on every machine and Node version. The generator steers by
 * the model's state between events (generate.ts), which fast-check's declarative arbitraries
 * cannot do; values are still drawn with a bias to the edges (values.ts).
 */

/** A deterministic random source. */
export class Rng {
  private s: Uint32Array;

  constructor(seed: number) {
    // splitmix32 spreads the seed over the four words of state (all-zero state is invalid).
    this.s = new Uint32Array(4);
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1] as number, 5) >>> 0, 7), 9) >>> 0;
    const t = ((s[1] as number) << 9) >>> 0;
    s[2] = (s[2] as number) ^ (s[0] as number);
    s[3] = (s[3] as number) ^ (s[1] as number);
    s[1] = (s[1] as number) ^ (s[2] as number);
    s[0] = (s[0] as number) ^ (s[3] as number);
    s[2] = (s[2] as number) ^ t;
    s[3] = rotl(s[3] as number, 11);
    return r;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : Math.floor((this.u32() / 0x1_0000_0000) * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }

  /** One element of a non-empty list. */
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }

  /** One option by weight ([weight, value] pairs with a positive total). */
  weighted<T>(opts: ReadonlyArray<readonly [number, T]>): T {
    const total = opts.reduce((a, [w]) => a + w, 0);
    let x = (this.u32() / 0x1_0000_0000) * total;
    for (const [w, v] of opts) {
      if (x < w) return v;
      x -= w;
    }
    return (opts[opts.length - 1] as readonly [number, T])[1];
  }

  /** A uniform 64-bit value. */
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

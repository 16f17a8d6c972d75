/**
 * The generator's randomness: a small seeded PRNG (mulberry32), so the same seed always
 * writes the same network, and the helpers built on it.
 */
export type Random = {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max], both included. */
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** A Poisson-distributed count (Knuth; fine for the small means used here). */
  poisson(mean: number): number;
};

export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick<T>(items: readonly T[]): T {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error("pick from an empty list");
      return item;
    },
    poisson(mean) {
      const limit = Math.exp(-mean);
      let k = 0;
      let p = next();
      while (p > limit) {
        k++;
        p *= next();
      }
      return k;
    },
  };
}

/** A seed for an independent stream, derived from a parent seed and a label (FNV-1a). */
export function deriveSeed(seed: number, label: string): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < label.length; i++) {
    hash ^= label.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A ULID whose time part is `time` and whose random part comes from `random`. */
export function seededUlid(time: number, random: Random): string {
  let id = "";
  let rest = time;
  for (let i = 0; i < 10; i++) {
    id = CROCKFORD.charAt(rest % 32) + id;
    rest = Math.floor(rest / 32);
  }
  for (let i = 0; i < 16; i++) id += CROCKFORD.charAt(random.int(0, 31));
  return id;
}

/** Weighted choice over a fixed list: cumulative weights and a binary search. */
export function weightedPicker<T>(items: readonly T[], weight: (item: T) => number) {
  const cumulative: number[] = [];
  let total = 0;
  for (const item of items) {
    total += Math.max(0, weight(item));
    cumulative.push(total);
  }
  return {
    size: items.length,
    pick(random: Random): T {
      const target = random.next() * total;
      let low = 0;
      let high = cumulative.length - 1;
      while (low < high) {
        const mid = (low + high) >> 1;
        if ((cumulative[mid] ?? 0) > target) high = mid;
        else low = mid + 1;
      }
      const item = items[low];
      if (item === undefined) throw new Error("pick from an empty list");
      return item;
    },
  };
}

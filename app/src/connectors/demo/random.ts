/**
 * Seeded pseudo-random numbers (mulberry32): the same seed always yields the same
 * sequence, so generated demo data is reproducible.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error("cannot pick from an empty list");
    return item;
  }

  /** Picks a value with probability proportional to its weight. */
  weighted<T>(options: readonly (readonly [T, number])[]): T {
    const total = options.reduce((sum, [, weight]) => sum + weight, 0);
    let remaining = this.next() * total;
    for (const [value, weight] of options) {
      remaining -= weight;
      if (remaining < 0) return value;
    }
    // Floating-point rounding can leave a sliver past the last weight.
    const last = options.at(-1);
    if (last === undefined) throw new Error("cannot pick from an empty list");
    return last[0];
  }

  /** Exponentially distributed with the given mean: waiting times between independent events. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }
}

/**
 * Percentiles are found by selection, which reorders the values, not by sorting: they must be
 * exactly the values a sort would put at each nearest rank, for any values (ties, sorted or
 * reversed input, and arrays long enough for the selection to sample).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Distribution, largestOf, nthSmallest, percentilesOf } from "./stats.js";

const PERCENTILES = [1, 50, 70, 85, 95, 100] as const;

/** The p-th percentile by nearest rank, read off a sorted copy. */
function byNearestRank(values: readonly number[], p: number): number | null {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? null : sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}

/** Few distinct values (many ties), any durations, and runs already in order or in reverse. */
const valuesArbitrary = fc.oneof(
  fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3000 }),
  fc.array(fc.integer({ min: 0, max: 400 * 86_400_000 }), { maxLength: 3000 }),
  fc.integer({ min: 0, max: 3000 }).map((n) => Array.from({ length: n }, (_, i) => i * 1000)),
  fc.integer({ min: 0, max: 3000 }).map((n) => Array.from({ length: n }, (_, i) => (n - i) * 1000)),
);

describe("percentiles by selection", () => {
  it("equal the nearest-rank values of the sorted values", () => {
    fc.assert(
      fc.property(valuesArbitrary, (values) => {
        expect(percentilesOf(Float64Array.from(values), PERCENTILES)).toEqual(PERCENTILES.map((p) => byNearestRank(values, p)));
      }),
      { numRuns: 300 },
    );
  });

  it("find any rank, and the largest values largest first", () => {
    fc.assert(
      fc.property(valuesArbitrary, fc.nat(), fc.integer({ min: 0, max: 600 }), (values, at, count) => {
        const sorted = [...values].sort((a, b) => a - b);
        if (values.length > 0) expect(nthSmallest(Float64Array.from(values), at % values.length)).toBe(sorted[at % values.length]);
        expect(largestOf(Float64Array.from(values), count)).toEqual(sorted.reverse().slice(0, count));
      }),
      { numRuns: 300 },
    );
  });
});

describe("a distribution values go into and come out of", () => {
  /** Values in, then changes: a value put in, or one of those present taken out (by its position among them). */
  const changesArbitrary = fc.record({
    initial: fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 3000 }),
    sortedFirst: fc.boolean(),
    changes: fc.array(fc.oneof(fc.record({ add: fc.integer({ min: -5, max: 55 }) }), fc.record({ remove: fc.nat() })), { maxLength: 2500 }),
  });

  it("gives the nearest-rank percentiles and count of what is in it, through splits and emptied blocks", () => {
    fc.assert(
      fc.property(changesArbitrary, ({ initial, sortedFirst, changes }) => {
        const distribution = new Distribution();
        for (const value of initial) distribution.add(value);
        if (sortedFirst) distribution.keepSorted();
        const present = [...initial];
        for (const change of changes) {
          if ("add" in change) {
            distribution.add(change.add);
            present.push(change.add);
          } else if (present.length > 0) {
            const [value] = present.splice(change.remove % present.length, 1);
            distribution.remove(value!);
          }
        }
        expect(distribution.count).toBe(present.length);
        expect(distribution.percentiles(PERCENTILES)).toEqual(PERCENTILES.map((p) => byNearestRank(present, p)));
        expect([...distribution.values()].sort((a, b) => a - b)).toEqual([...present].sort((a, b) => a - b));
      }),
      { numRuns: 100 },
    );
  });

  it("refuses to take out a value that was never put in", () => {
    const distribution = new Distribution();
    distribution.add(3);
    expect(() => distribution.remove(4)).toThrow(/never put in/);
    expect(distribution.percentiles([50])).toEqual([3]);
  });
});

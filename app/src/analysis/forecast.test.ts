import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Distribution } from "./stats.js";
import { WEEK_MS, forecastHowMany, forecastWhen, weeklyThroughput, type HowManyForecast, type WhenForecast } from "./forecast.js";

function when(...args: Parameters<typeof forecastWhen>): WhenForecast {
  const result = forecastWhen(...args);
  if (result.insufficientData) throw new Error(result.reason);
  return result;
}

function howMany(...args: Parameters<typeof forecastHowMany>): HowManyForecast {
  const result = forecastHowMany(...args);
  if (result.insufficientData) throw new Error(result.reason);
  return result;
}

/** P(at least k successes in n fair coin flips). */
function atLeastHeads(k: number, n: number): number {
  let below = 0;
  let choose = 1;
  for (let heads = 0; heads < k; heads++) {
    below += choose;
    choose = (choose * (n - heads)) / (heads + 1);
  }
  return 1 - below / 2 ** n;
}

describe("weeklyThroughput", () => {
  it("counts completions per whole week from `from`, leaving out the partial last week and anything outside", () => {
    const from = Date.parse("2025-01-06T00:00Z");
    const completions = [from - 1, from, from + 1, from + WEEK_MS - 1, from + WEEK_MS, from + 2 * WEEK_MS + 5, from + 3 * WEEK_MS];
    const counted = new Distribution();
    for (const completion of completions) counted.add(completion);
    expect(weeklyThroughput(counted, from, from + 3 * WEEK_MS + WEEK_MS / 2)).toEqual([3, 1, 1]);
    expect(weeklyThroughput(counted, from, from + WEEK_MS - 1)).toEqual([]);
    counted.keepSorted();
    expect(weeklyThroughput(counted, from, from + 3 * WEEK_MS + WEEK_MS / 2)).toEqual([3, 1, 1]);
  });
});

describe("forecastWhen", () => {
  it("needs exactly 4 weeks for 20 items at a constant 5 a week", () => {
    const result = when([5, 5, 5], 20);
    expect(result).toEqual({ insufficientData: false, trials: 10_000, weeks: { p50: 4, p85: 4, p95: 4 }, distribution: [{ weeks: 4, trials: 10_000 }], unreachable: 0 });
  });

  it("matches the negative binomial distribution when weeks finish 0 or 10 items", () => {
    // 50 items need 5 weeks of 10: the weeks needed are the flips until the 5th head.
    const result = when([0, 10], 50);
    const finishedWithin = (weeks: number): number => atLeastHeads(5, weeks);
    for (const { weeks, trials } of result.distribution) {
      // 0.015 is over three standard errors of a share estimated from 10,000 trials.
      expect(Math.abs(trials / result.trials - (finishedWithin(weeks) - finishedWithin(weeks - 1)))).toBeLessThan(0.015);
    }
    // P(within 9 weeks) is exactly 1/2, so sampling puts p50 at 9 or 10; p85 and p95 are clear of their thresholds.
    expect([9, 10]).toContain(result.weeks.p50);
    expect(finishedWithin(12)).toBeLessThan(0.85 - 0.03);
    expect(finishedWithin(13)).toBeGreaterThan(0.85 + 0.01);
    expect(result.weeks.p85).toBe(13);
    expect(finishedWithin(15)).toBeLessThan(0.95 - 0.005);
    expect(finishedWithin(16)).toBeGreaterThan(0.95 + 0.01);
    expect(result.weeks.p95).toBe(16);
  });

  it("reproduces with the same seed and varies with another", () => {
    const samples = [3, 8, 0, 12, 7, 5];
    expect(when(samples, 60, { seed: 7 })).toEqual(when(samples, 60, { seed: 7 }));
    expect(when(samples, 60, { seed: 8 }).distribution).not.toEqual(when(samples, 60, { seed: 7 }).distribution);
  });

  it("counts every trial unreachable when nothing is ever finished", () => {
    const result = when([0, 0, 0], 5, { trials: 1000 });
    expect(result).toEqual({ insufficientData: false, trials: 1000, weeks: { p50: null, p85: null, p95: null }, distribution: [], unreachable: 1000 });
  });

  it("counts trials beyond maxWeeks as unreachable", () => {
    const result = when([1], 10, { maxWeeks: 9, trials: 100 });
    expect(result.unreachable).toBe(100);
    expect(when([1], 10, { maxWeeks: 10, trials: 100 }).weeks).toEqual({ p50: 10, p85: 10, p95: 10 });
  });

  it("says when there is no history instead of failing", () => {
    expect(forecastWhen([], 10)).toEqual({ insufficientData: true, reason: expect.stringContaining("at least one finished week") });
  });

  it.each([0, -3, 2.5, Number.NaN])("refuses %s items with a message saying what to fix", (items) => {
    expect(() => forecastWhen([5], items)).toThrow(new RangeError(`items must be a whole number of at least 1 (the number of items left to finish), got ${items}`));
  });

  it("refuses bad options and samples", () => {
    expect(() => forecastWhen([5], 10, { trials: 0 })).toThrow(/trials must be a whole number from 1 to 1000000/);
    expect(() => forecastWhen([5], 10, { maxWeeks: 1.5 })).toThrow(RangeError);
    expect(() => forecastWhen([5], 10, { seed: 0.5 })).toThrow(RangeError);
    expect(() => forecastWhen([5, -1], 10)).toThrow(/samples must be finite, non-negative numbers/);
  });
});

describe("forecastHowMany", () => {
  it("finishes exactly weeks × throughput at a constant rate", () => {
    expect(howMany([5, 5, 5], 4)).toEqual({ insufficientData: false, trials: 10_000, items: { p50: 20, p85: 20, p95: 20 }, distribution: [{ items: 20, trials: 10_000 }] });
  });

  it("says when there is no history, and refuses a bad number of weeks", () => {
    expect(forecastHowMany([], 4)).toMatchObject({ insufficientData: true });
    expect(() => forecastHowMany([5], 0)).toThrow(/weeks must be a whole number from 1 to 5200/);
  });
});

describe("forecast properties", () => {
  const samples = fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 12 });
  const options = { trials: 300, maxWeeks: 200 };
  const rank = (weeks: number | null): number => weeks ?? Infinity;

  it("forecastWhen: p50 <= p85 <= p95, each the fewest weeks that finish that share of trials", () => {
    fc.assert(
      fc.property(samples, fc.integer({ min: 1, max: 400 }), fc.integer(), (history, items, seed) => {
        const { weeks, distribution, unreachable, trials } = when(history, items, { ...options, seed });
        expect(rank(weeks.p50)).toBeLessThanOrEqual(rank(weeks.p85));
        expect(rank(weeks.p85)).toBeLessThanOrEqual(rank(weeks.p95));
        expect(distribution.reduce((sum, row) => sum + row.trials, 0) + unreachable).toBe(trials);
        for (const [p, w] of [[50, weeks.p50], [85, weeks.p85], [95, weeks.p95]] as const) {
          const finishedWithin = (limit: number): number => distribution.filter((row) => row.weeks <= limit).reduce((sum, row) => sum + row.trials, 0);
          if (w === null) expect(finishedWithin(Infinity) * 100).toBeLessThan(p * trials);
          else {
            expect(finishedWithin(w) * 100).toBeGreaterThanOrEqual(p * trials);
            expect(finishedWithin(w - 1) * 100).toBeLessThan(p * trials);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("forecastHowMany: p50 >= p85 >= p95, each the most items that share of trials reached", () => {
    fc.assert(
      fc.property(samples, fc.integer({ min: 1, max: 52 }), fc.integer(), (history, weeks, seed) => {
        const { items, distribution, trials } = howMany(history, weeks, { trials: 300, seed });
        expect(items.p50).toBeGreaterThanOrEqual(items.p85);
        expect(items.p85).toBeGreaterThanOrEqual(items.p95);
        const reached = (atLeast: number): number => distribution.filter((row) => row.items >= atLeast).reduce((sum, row) => sum + row.trials, 0);
        for (const [p, n] of [[50, items.p50], [85, items.p85], [95, items.p95]] as const) {
          expect(reached(n) * 100).toBeGreaterThanOrEqual(p * trials);
          expect(reached(n + 1) * 100).toBeLessThan(p * trials);
        }
      }),
      { numRuns: 200 },
    );
  });
});

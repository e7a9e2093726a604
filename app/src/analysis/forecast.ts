/**
 * Monte Carlo forecasts from weekly throughput: "when will these items be done?" and "how many
 * items will be done in these weeks?". Each trial replays past weeks drawn at random, so the
 * forecast carries the team's real week-to-week variation instead of an average.
 */
import { DAY_MS } from "./event-log.js";

export const WEEK_MS = 7 * DAY_MS;

/** Bounds the work a forecast can ask for: trials × weeks simulated. */
const MAX_TRIALS = 1_000_000;
const MAX_HORIZON_WEEKS = 5_200;
const DEFAULT_TRIALS = 10_000;
const DEFAULT_MAX_WEEKS = 520;
/** Fixed, so the same history always gives the same forecast. */
const DEFAULT_SEED = 0x5eed;

export interface SimulationOptions {
  /** Default 10,000. */
  trials?: number;
  /** Any integer; the default is fixed. */
  seed?: number;
}

export interface WhenOptions extends SimulationOptions {
  /** Trials still unfinished after this many weeks are unreachable. Default 520 (10 years). */
  maxWeeks?: number;
}

export interface InsufficientData {
  insufficientData: true;
  reason: string;
}

export interface WhenForecast {
  insufficientData: false;
  trials: number;
  /** The fewest weeks within which at least p % of all trials finished; null when fewer did within maxWeeks. */
  weeks: { p50: number | null; p85: number | null; p95: number | null };
  /** Trials by weeks needed, ascending; unreachable trials are left out. */
  distribution: { weeks: number; trials: number }[];
  unreachable: number;
}

export interface HowManyForecast {
  insufficientData: false;
  trials: number;
  /**
   * p85 means "at least this many items in 85 % of trials": the most items that at least 85 % of
   * trials reached, i.e. the 15th percentile of the totals (p50 and p95 alike: p95 <= p85 <= p50).
   */
  items: { p50: number; p85: number; p95: number };
  /** Trials by items done, ascending. */
  distribution: { items: number; trials: number }[];
}

/** Completion times, as many as lie below a given time. */
export interface Completions {
  countBelow(at: number): number;
}

/** Completions per whole 7-day week from `from`; a last, partial week before `to` is left out. */
export function weeklyThroughput(completions: Completions, from: number, to: number): number[] {
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw new RangeError(`weeklyThroughput needs finite epoch milliseconds, got ${from} and ${to}`);
  const weeks = Math.max(0, Math.floor((to - from) / WEEK_MS));
  const counts: number[] = [];
  let before = completions.countBelow(from);
  for (let week = 1; week <= weeks; week += 1) {
    const upTo = completions.countBelow(from + week * WEEK_MS);
    counts.push(upTo - before);
    before = upTo;
  }
  return counts;
}

/** How many weeks `items` take, drawing each week's throughput from `samples`. */
export function forecastWhen(samples: readonly number[], items: number, options: WhenOptions = {}): WhenForecast | InsufficientData {
  requireWholeNumber("items", items, 1, Infinity, "the number of items left to finish");
  const maxWeeks = options.maxWeeks ?? DEFAULT_MAX_WEEKS;
  requireWholeNumber("maxWeeks", maxWeeks, 1, MAX_HORIZON_WEEKS, "the horizon after which a trial counts as unreachable");
  const simulation = simulationOf(samples, options);
  if ("insufficientData" in simulation) return simulation;
  const { throughput, trials, random } = simulation;
  // Weeks that never finish anything make every trial run to the horizon: the answer is known without running them.
  if (throughput.every((count) => count === 0)) return { insufficientData: false, trials, weeks: { p50: null, p85: null, p95: null }, distribution: [], unreachable: trials };

  const finishedAfter = new Uint32Array(maxWeeks + 1);
  let unreachable = 0;
  for (let trial = 0; trial < trials; trial++) {
    let remaining = items;
    let weeks = 0;
    while (remaining > 0 && weeks < maxWeeks) {
      remaining -= throughput[Math.floor(random() * throughput.length)]!;
      weeks++;
    }
    if (remaining > 0) unreachable++;
    else finishedAfter[weeks]! += 1;
  }

  const distribution: WhenForecast["distribution"] = [];
  finishedAfter.forEach((count, weeks) => {
    if (count > 0) distribution.push({ weeks, trials: count });
  });
  const weeksFor = (p: number): number | null => weeksForShare(distribution, atLeast(p, trials));
  return { insufficientData: false, trials, weeks: { p50: weeksFor(50), p85: weeksFor(85), p95: weeksFor(95) }, distribution, unreachable };
}

/** How many items `weeks` weeks finish, drawing each week's throughput from `samples`. */
export function forecastHowMany(samples: readonly number[], weeks: number, options: SimulationOptions = {}): HowManyForecast | InsufficientData {
  requireWholeNumber("weeks", weeks, 1, MAX_HORIZON_WEEKS, "the number of weeks ahead");
  const simulation = simulationOf(samples, options);
  if ("insufficientData" in simulation) return simulation;
  const { throughput, trials, random } = simulation;

  const totals = new Float64Array(trials);
  for (let trial = 0; trial < trials; trial++) {
    let total = 0;
    for (let week = 0; week < weeks; week++) total += throughput[Math.floor(random() * throughput.length)]!;
    totals[trial] = total;
  }
  totals.sort();

  const distribution: HowManyForecast["distribution"] = [];
  for (const total of totals) {
    const last = distribution.at(-1);
    if (last?.items === total) last.trials++;
    else distribution.push({ items: total, trials: 1 });
  }
  // Ascending totals: the one at index trials - n is reached by at least n trials, and any more items by fewer.
  const itemsFor = (p: number): number => totals[trials - atLeast(p, trials)]!;
  return { insufficientData: false, trials, items: { p50: itemsFor(50), p85: itemsFor(85), p95: itemsFor(95) }, distribution };
}

interface Simulation {
  throughput: Float64Array;
  trials: number;
  random: () => number;
}

function simulationOf(samples: readonly number[], options: SimulationOptions): Simulation | InsufficientData {
  const trials = options.trials ?? DEFAULT_TRIALS;
  requireWholeNumber("trials", trials, 1, MAX_TRIALS, "the number of simulated futures");
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (samples.some((sample) => !Number.isFinite(sample) || sample < 0)) {
    throw new RangeError("samples must be finite, non-negative numbers: items finished per week");
  }
  if (samples.length === 0) return { insufficientData: true, reason: "no weekly throughput yet: a forecast needs at least one finished week" };
  return { throughput: Float64Array.from(samples), trials, random: mulberry32(seed) };
}

/** The fewest weeks within which `needed` trials finished. */
function weeksForShare(distribution: WhenForecast["distribution"], needed: number): number | null {
  let finished = 0;
  for (const row of distribution) {
    finished += row.trials;
    if (finished >= needed) return row.weeks;
  }
  return null;
}

/** The fewest trials that make at least p % of `trials`. */
const atLeast = (p: number, trials: number): number => Math.ceil((p * trials) / 100);

function requireWholeNumber(name: string, value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new RangeError(`${name} must be a whole number ${range} (${what}), got ${value}`);
  }
}

/** mulberry32: a tiny, fast 32-bit generator, plenty for sampling; seeded so forecasts reproduce. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), state | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

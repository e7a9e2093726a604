/*
 * Percentiles by nearest rank: the p-th percentile is the smallest value at or below which
 * at least p % of the values lie. It is always an observed value (a real item's duration),
 * which is what a team lead can check, and it is what Kanban forecasting uses.
 *
 * Ranks are selected, not sorted for: finding a few ranks costs a few passes over the values
 * where sorting costs about log n of them (700,000 stays took 90 ms to sort and 12 ms to
 * select four percentiles from). Selecting reorders the array it is given, so the functions
 * below take values their caller owns and reads no more in their old order.
 */

/** The percentiles `ps`, given in ascending order, of `values`; null for no values. */
export function percentilesOf<const P extends readonly number[]>(values: Float64Array, ps: P): { [K in keyof P]: number | null } {
  let from = 0;
  return ps.map((p) => {
    if (values.length === 0) return null;
    const rank = Math.max(1, Math.ceil((p / 100) * values.length)) - 1;
    // Ranks are asked for in ascending order: values before the last one found are no larger.
    selectRank(values, rank, from, values.length - 1);
    from = rank;
    return values[rank]!;
  }) as { [K in keyof P]: number | null };
}

export interface Spread {
  count: number;
  p50: number | null;
  p85: number | null;
  p95: number | null;
}

export function spreadOf(values: Float64Array): Spread {
  const [p50, p85, p95] = percentilesOf(values, [50, 85, 95]);
  return { count: values.length, p50, p85, p95 };
}

/** The value of rank k (0-based, ascending): what values[k] would be if they were sorted. */
export function nthSmallest(values: Float64Array, k: number): number {
  selectRank(values, k, 0, values.length - 1);
  return values[k]!;
}

/** The `count` largest values, largest first. */
export function largestOf(values: Float64Array, count: number): number[] {
  const from = Math.max(0, values.length - count);
  if (from > 0) nthSmallest(values, from);
  return Array.from(values.subarray(from).sort()).reverse();
}

/**
 * Moves the value of rank k (0-based, ascending) to values[k], the ones before it no larger
 * and the ones after it no smaller, looking only at values[left … right]. Floyd and Rivest's
 * selection: it narrows to a sample around k first, so it nears one pass over the values.
 */
function selectRank(values: Float64Array, k: number, left: number, right: number): void {
  while (right > left) {
    if (right - left > 600) {
      const n = right - left + 1;
      const m = k - left + 1;
      const z = Math.log(n);
      const s = 0.5 * Math.exp((2 * z) / 3);
      const sd = 0.5 * Math.sqrt((z * s * (n - s)) / n) * (m - n / 2 < 0 ? -1 : 1);
      selectRank(values, k, Math.max(left, Math.floor(k - (m * s) / n + sd)), Math.min(right, Math.floor(k + ((n - m) * s) / n + sd)));
    }
    const pivot = values[k]!;
    let i = left;
    let j = right;
    swap(values, left, k);
    if (values[right]! > pivot) swap(values, left, right);
    while (i < j) {
      swap(values, i, j);
      i += 1;
      j -= 1;
      while (values[i]! < pivot) i += 1;
      while (values[j]! > pivot) j -= 1;
    }
    if (values[left] === pivot) swap(values, left, j);
    else {
      j += 1;
      swap(values, j, right);
    }
    if (j <= k) left = j + 1;
    if (k <= j) right = j - 1;
  }
}

function swap(values: Float64Array, i: number, j: number): void {
  const value = values[i]!;
  values[i] = values[j]!;
  values[j] = value;
}

/**
 * A list of numbers in a typed array: durations are collected by the hundred thousand, and a
 * typed array's values lie outside the heap the garbage collector copies. Callers size it
 * for the values they expect (growing a list of 100,000 values cost more than counting them
 * first); it grows if they were wrong.
 */
export class Float64List {
  private buffer: Float64Array;
  private length = 0;

  constructor(capacity: number) {
    this.buffer = new Float64Array(Math.max(1, capacity));
  }

  push(value: number): void {
    if (this.length === this.buffer.length) {
      const grown = new Float64Array(this.buffer.length * 2);
      grown.set(this.buffer);
      this.buffer = grown;
    }
    this.buffer[this.length] = value;
    this.length += 1;
  }

  /** The values pushed so far (a view, not a copy). */
  values(): Float64Array {
    return this.buffer.subarray(0, this.length);
  }
}

/**
 * Per group (a step, a transition, a pair of people), how many distinct items were counted
 * in it. Items are counted one after another, so remembering each group's last item is
 * enough. Groups are small integers; the columns grow to the largest one seen.
 */
export class DistinctItems {
  private counts: Int32Array;
  private lastItem: Int32Array;

  constructor(groups: number) {
    this.counts = new Int32Array(Math.max(1, groups));
    this.lastItem = new Int32Array(Math.max(1, groups)).fill(-1);
  }

  add(group: number, item: number): void {
    if (group >= this.counts.length) this.grow(group);
    if (this.lastItem[group] === item) return;
    this.lastItem[group] = item;
    this.counts[group]! += 1;
  }

  countOf(group: number): number {
    return this.counts[group] ?? 0;
  }

  private grow(group: number): void {
    const length = Math.max(group + 1, this.counts.length * 2);
    const counts = new Int32Array(length);
    counts.set(this.counts);
    const lastItem = new Int32Array(length).fill(-1);
    lastItem.set(this.lastItem);
    this.counts = counts;
    this.lastItem = lastItem;
  }
}

/** Groups with fewer items than this are marked thin, and the AI context leaves them out. */
export const THIN_SAMPLE = 5;

export const isThin = (items: number): boolean => items < THIN_SAMPLE;

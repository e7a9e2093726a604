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
    const rank = rankOf(p, values.length);
    // Ranks are asked for in ascending order: values before the last one found are no larger.
    selectRank(values, rank, from, values.length - 1);
    from = rank;
    return values[rank]!;
  }) as { [K in keyof P]: number | null };
}

/** The 0-based nearest rank of the p-th percentile among `count` values. */
const rankOf = (p: number, count: number): number => Math.max(1, Math.ceil((p / 100) * count)) - 1;

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

  /** Makes room for `count` more values at once. */
  reserve(count: number): void {
    if (this.buffer.length - this.length >= count) return;
    const grown = new Float64Array(this.length + count);
    grown.set(this.values());
    this.buffer = grown;
  }

  /** The values pushed so far (a view, not a copy). */
  values(): Float64Array {
    return this.buffer.subarray(0, this.length);
  }
}

/**
 * Per group (a step, a transition, a pair of people), how many distinct items were counted
 * in it. An item's groups are counted (or taken back, sign -1) one item after another, each
 * time under a new pass number, so remembering each group's last pass is enough. Groups are
 * small integers; the columns grow to the largest one seen.
 */
export class DistinctItems {
  private counts: Int32Array;
  private lastPass: Int32Array;

  constructor(groups: number) {
    this.counts = new Int32Array(Math.max(1, groups));
    this.lastPass = new Int32Array(Math.max(1, groups)).fill(-1);
  }

  add(group: number, pass: number, sign = 1): void {
    if (group >= this.counts.length) this.grow(group);
    if (this.lastPass[group] === pass) return;
    this.lastPass[group] = pass;
    this.counts[group]! += sign;
  }

  countOf(group: number): number {
    return this.counts[group] ?? 0;
  }

  private grow(group: number): void {
    const length = Math.max(group + 1, this.counts.length * 2);
    const counts = new Int32Array(length);
    counts.set(this.counts);
    const lastPass = new Int32Array(length).fill(-1);
    lastPass.set(this.lastPass);
    this.counts = counts;
    this.lastPass = lastPass;
  }
}

/**
 * A multiset of numbers whose percentiles are asked for after values went in and, when an
 * item changed between scans, came out again. Until the first value comes out (or
 * keepSorted is called) values are collected in the order they came and percentiles are
 * selected, which is cheaper than sorting once. From then on they are kept sorted, in
 * blocks, so a change moves at most a block of values and a percentile is a lookup.
 */
export class Distribution {
  private collected: Float64List;
  private sorted: SortedBlocks | null = null;

  constructor(capacity = 16) {
    this.collected = new Float64List(capacity);
  }

  add(value: number): void {
    if (this.sorted) this.sorted.add(value);
    else this.collected.push(value);
  }

  remove(value: number): void {
    this.keepSorted();
    if (!this.sorted!.remove(value)) throw new Error(`Distribution: ${value} was taken out but never put in`);
  }

  /** Puts the value in (sign 1) or takes it out (sign -1). */
  change(value: number, sign: number): void {
    if (sign > 0) this.add(value);
    else this.remove(value);
  }

  /** Makes room for `count` more values at once (a list grown by doubling, value by value, costs more than counting first). */
  reserve(count: number): void {
    if (!this.sorted) this.collected.reserve(count);
  }

  get count(): number {
    return this.sorted ? this.sorted.count : this.collected.values().length;
  }

  /** From now on, values are kept sorted. */
  keepSorted(): void {
    if (this.sorted) return;
    this.sorted = SortedBlocks.of(this.collected.values().sort());
    this.collected = new Float64List(1);
  }

  /** The values, in no particular order; the caller must not keep or change them. */
  values(): Float64Array {
    return this.sorted ? this.sorted.toArray() : this.collected.values();
  }

  /** The value of rank k (0-based, ascending); k must be below count. */
  at(rank: number): number {
    return this.sorted ? this.sorted.at(rank) : nthSmallest(this.collected.values(), rank);
  }

  /** How many values are below `value`. */
  countBelow(value: number): number {
    if (this.sorted) return this.sorted.countBelow(value);
    let count = 0;
    for (const each of this.collected.values()) if (each < value) count += 1;
    return count;
  }

  percentiles<const P extends readonly number[]>(ps: P): { [K in keyof P]: number | null } {
    const sorted = this.sorted;
    if (!sorted) return percentilesOf(this.collected.values(), ps);
    return ps.map((p) => (sorted.count === 0 ? null : sorted.at(rankOf(p, sorted.count)))) as { [K in keyof P]: number | null };
  }

  spread(): Spread {
    const [p50, p85, p95] = this.percentiles([50, 85, 95]);
    return { count: this.count, p50, p85, p95 };
  }
}

/** Values per block at most; a full block is split in two. */
const BLOCK = 1024;

/** Sorted values in blocks, each sorted and each no larger than the next one's first value. */
class SortedBlocks {
  private readonly blocks: Float64Array[] = [];
  private readonly lengths: number[] = [];
  count = 0;

  /** Half-full blocks, so the first changes do not split them. */
  static of(sorted: Float64Array): SortedBlocks {
    const blocks = new SortedBlocks();
    for (let from = 0; from < sorted.length; from += BLOCK / 2) {
      const block = new Float64Array(BLOCK);
      const values = sorted.subarray(from, from + BLOCK / 2);
      block.set(values);
      blocks.blocks.push(block);
      blocks.lengths.push(values.length);
    }
    blocks.count = sorted.length;
    return blocks;
  }

  add(value: number): void {
    if (this.blocks.length === 0) {
      this.blocks.push(new Float64Array(BLOCK));
      this.lengths.push(0);
    }
    const index = Math.min(this.blockAtOrAbove(value), this.blocks.length - 1);
    const block = this.blocks[index]!;
    const length = this.lengths[index]!;
    const at = upperBound(block, length, value);
    block.copyWithin(at + 1, at, length);
    block[at] = value;
    this.lengths[index] = length + 1;
    this.count += 1;
    if (length + 1 === BLOCK) this.split(index);
  }

  /** False when the value is not there. */
  remove(value: number): boolean {
    const index = this.blockAtOrAbove(value);
    if (index === this.blocks.length) return false;
    const block = this.blocks[index]!;
    const length = this.lengths[index]!;
    const at = lowerBound(block, length, value);
    if (at === length || block[at] !== value) return false;
    block.copyWithin(at, at + 1, length);
    this.lengths[index] = length - 1;
    this.count -= 1;
    if (length === 1) {
      this.blocks.splice(index, 1);
      this.lengths.splice(index, 1);
    }
    return true;
  }

  /** The value of rank k (0-based, ascending). */
  at(rank: number): number {
    let index = 0;
    while (rank >= this.lengths[index]!) rank -= this.lengths[index++]!;
    return this.blocks[index]![rank]!;
  }

  countBelow(value: number): number {
    const index = this.blockAtOrAbove(value);
    let count = 0;
    for (let i = 0; i < index; i += 1) count += this.lengths[i]!;
    return index === this.blocks.length ? count : count + lowerBound(this.blocks[index]!, this.lengths[index]!, value);
  }

  toArray(): Float64Array {
    const values = new Float64Array(this.count);
    let at = 0;
    this.blocks.forEach((block, index) => {
      values.set(block.subarray(0, this.lengths[index]!), at);
      at += this.lengths[index]!;
    });
    return values;
  }

  /** The first block whose last value is at least `value`; blocks.length when there is none. */
  private blockAtOrAbove(value: number): number {
    let low = 0;
    let high = this.blocks.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.blocks[middle]![this.lengths[middle]! - 1]! < value) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private split(index: number): void {
    const block = this.blocks[index]!;
    const upper = new Float64Array(BLOCK);
    upper.set(block.subarray(BLOCK / 2, BLOCK));
    this.blocks.splice(index + 1, 0, upper);
    this.lengths.splice(index + 1, 0, BLOCK / 2);
    this.lengths[index] = BLOCK / 2;
  }
}

/** The first position in values[0 … length - 1] holding a value at least `value`. */
function lowerBound(values: Float64Array, length: number, value: number): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (values[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The first position in values[0 … length - 1] holding a value above `value`. */
function upperBound(values: Float64Array, length: number, value: number): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (values[middle]! <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Groups with fewer items than this are marked thin, and the AI context leaves them out. */
export const THIN_SAMPLE = 5;

export const isThin = (items: number): boolean => items < THIN_SAMPLE;

/** Per group (a small integer id), a running total that changes go into and come out of; the column grows to the largest group. */
export class GroupTotals {
  private totals: Float64Array;

  constructor(groups = 8) {
    this.totals = new Float64Array(Math.max(1, groups));
  }

  add(group: number, amount: number): void {
    if (group >= this.totals.length) {
      const grown = new Float64Array(Math.max(group + 1, this.totals.length * 2));
      grown.set(this.totals);
      this.totals = grown;
    }
    this.totals[group]! += amount;
  }

  of(group: number): number {
    return this.totals[group] ?? 0;
  }
}

/** A Distribution per group, made when the group first gets a value. */
export class GroupDistributions {
  private readonly groups: (Distribution | undefined)[] = [];

  of(group: number): Distribution {
    return (this.groups[group] ??= new Distribution());
  }

  /** The distribution of a group, empty when it never got a value. */
  peek(group: number): Distribution {
    return this.groups[group] ?? EMPTY;
  }

  change(group: number, value: number, sign: number): void {
    this.of(group).change(value, sign);
  }

  /** Makes room for counts[group] more values in each group. */
  reserve(counts: Int32Array): void {
    counts.forEach((count, group) => {
      if (count > 0) this.of(group).reserve(count);
    });
  }

  keepSorted(): void {
    for (const distribution of this.groups) distribution?.keepSorted();
  }
}

const EMPTY = new Distribution(1);

/**
 * Percentiles by nearest rank: the p-th percentile is the smallest value at or below which
 * at least p % of the values lie. It is always an observed value (a real item's duration),
 * which is what a team lead can check, and it is what Kanban forecasting uses.
 */
export function percentile(sorted: Float64Array | readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function sortedValues(values: readonly number[]): Float64Array {
  const sorted = Float64Array.from(values);
  sorted.sort();
  return sorted;
}

export interface Spread {
  count: number;
  p50: number | null;
  p85: number | null;
  p95: number | null;
}

export function spreadOf(values: readonly number[]): Spread {
  const sorted = sortedValues(values);
  return { count: sorted.length, p50: percentile(sorted, 50), p85: percentile(sorted, 85), p95: percentile(sorted, 95) };
}

/** Groups with fewer items than this are marked thin, and the AI context leaves them out. */
export const THIN_SAMPLE = 5;

export const isThin = (items: number): boolean => items < THIN_SAMPLE;

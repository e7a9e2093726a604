import type { ItemLifecycle } from "./lifecycle.js";
import { isThin } from "./stats.js";
import { percentilesOf, type DurationPercentiles } from "./cycle-time.js";

export interface PingPong {
  /** Two people (opaque actor keys), in key order. */
  between: [string, string];
  /** Times the item went back to someone who had handed it on (A → B → A counts once). */
  count: number;
  items: number;
  thin: boolean;
}

export interface Handoffs {
  /** Reassignments per item (from one person to another). */
  perItem: DurationPercentiles;
  /** Items by reassignment count: index n holds the items reassigned n times (the last index is "n or more"). */
  histogram: number[];
  /** The most frequent pairs, at most TOP_PING_PONGS. */
  pingPongs: PingPong[];
}

export const TOP_PING_PONGS = 20;

const HISTOGRAM_BUCKETS = 6;

export function handoffsOf(lifecycles: readonly ItemLifecycle[]): Handoffs {
  const perItem: number[] = [];
  const histogram = new Array<number>(HISTOGRAM_BUCKETS).fill(0);
  const pairs = new Map<string, PingPong & { lastItem: ItemLifecycle | null }>();
  for (const lifecycle of lifecycles) {
    const sequence = lifecycle.trace.assigneeSequence;
    if (sequence.length === 0) continue;
    const reassignments = sequence.length - 1;
    perItem.push(reassignments);
    histogram[Math.min(reassignments, HISTOGRAM_BUCKETS - 1)]! += 1;
    for (let i = 2; i < sequence.length; i += 1) {
      const [a, b, c] = [sequence[i - 2]!, sequence[i - 1]!, sequence[i]!];
      if (a !== c || a === b) continue;
      const between: [string, string] = a < b ? [a, b] : [b, a];
      const key = between.join("\u0000");
      let pair = pairs.get(key);
      if (!pair) {
        pair = { between, count: 0, items: 0, thin: false, lastItem: null };
        pairs.set(key, pair);
      }
      pair.count += 1;
      if (pair.lastItem !== lifecycle) {
        pair.lastItem = lifecycle;
        pair.items += 1;
      }
    }
  }
  const pingPongs = [...pairs.values()]
    .map(({ lastItem: _lastItem, ...pair }) => ({ ...pair, thin: isThin(pair.items) }))
    .sort((a, b) => b.count - a.count || a.between.join().localeCompare(b.between.join()))
    .slice(0, TOP_PING_PONGS);
  return { perItem: percentilesOf(perItem), histogram, pingPongs };
}

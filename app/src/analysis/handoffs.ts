import { durationPercentilesOf, type DurationPercentiles } from "./cycle-time.js";
import { PairIds } from "./ids.js";
import type { Scope } from "./scope.js";
import { DistinctItems, Float64List, isThin } from "./stats.js";

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

export function handoffsOf(scope: Scope): Handoffs {
  const { people, firstAssignee, assignees } = scope.traces;
  const perItem = new Float64List(scope.items.length);
  const histogram = new Array<number>(HISTOGRAM_BUCKETS).fill(0);
  // A pair is (first, second) in key order, so A → B → A and B → A → B are the same pair.
  const pairs = new PairIds(people.length);
  const counts: number[] = [];
  const pairItems = new DistinctItems(0);
  for (const item of scope.items) {
    const first = firstAssignee[item]!;
    const end = firstAssignee[item + 1]!;
    if (end === first) continue;
    const reassignments = end - first - 1;
    perItem.push(reassignments);
    histogram[Math.min(reassignments, HISTOGRAM_BUCKETS - 1)]! += 1;
    for (let i = first + 2; i < end; i += 1) {
      const a = assignees[i - 2]!;
      const b = assignees[i - 1]!;
      if (assignees[i] !== a || a === b) continue;
      const pair = people[a]! < people[b]! ? pairs.idOf(a, b) : pairs.idOf(b, a);
      counts[pair] = (counts[pair] ?? 0) + 1;
      pairItems.add(pair, item);
    }
  }
  const pingPongs: PingPong[] = counts.map((count, pair) => {
    const items = pairItems.countOf(pair);
    return { between: [people[pairs.first[pair]!]!, people[pairs.second[pair]!]!], count, items, thin: isThin(items) };
  });
  pingPongs.sort((a, b) => b.count - a.count || a.between.join().localeCompare(b.between.join()));
  return { perItem: durationPercentilesOf(perItem.values()), histogram, pingPongs: pingPongs.slice(0, TOP_PING_PONGS) };
}

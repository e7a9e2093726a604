import { durationPercentilesOf, type DurationPercentiles } from "./cycle-time.js";
import { PairIds } from "./ids.js";
import type { ItemColumns, ScopeSizes } from "./scope.js";
import type { TraceTable } from "./traces.js";
import { Distribution, DistinctItems, GroupTotals, isThin } from "./stats.js";

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

/** Above any person id: people are added as scans find them, so the pair ids cannot be sized by a count. */
const PEOPLE_BOUND = 1 << 24;

/** Reassignments and ping-pongs, item by item. */
export class HandoffsTally {
  private readonly perItem = new Distribution();
  private readonly histogram = new Array<number>(HISTOGRAM_BUCKETS).fill(0);
  // A pair is (first, second) in key order, so A → B → A and B → A → B are the same pair.
  private readonly pairs = new PairIds(PEOPLE_BOUND);
  private readonly counts = new GroupTotals();
  private readonly pairItems = new DistinctItems(8);

  apply({ traces }: ItemColumns, item: number, sign: number, pass: number): void {
    const { people, firstAssignee, endAssignee, assignees } = traces;
    const first = firstAssignee[item]!;
    const end = endAssignee[item]!;
    if (end === first) return;
    const reassignments = end - first - 1;
    this.perItem.change(reassignments, sign);
    this.histogram[Math.min(reassignments, HISTOGRAM_BUCKETS - 1)]! += sign;
    for (let i = first + 2; i < end; i += 1) {
      const a = assignees[i - 2]!;
      const b = assignees[i - 1]!;
      if (assignees[i] !== a || a === b) continue;
      const pair = people[a]! < people[b]! ? this.pairs.idOf(a, b) : this.pairs.idOf(b, a);
      this.counts.add(pair, sign);
      this.pairItems.add(pair, pass, sign);
    }
  }

  reserve({ items }: ScopeSizes): void {
    this.perItem.reserve(items);
  }

  keepSorted(): void {
    this.perItem.keepSorted();
  }

  render({ people }: TraceTable): Handoffs {
    const pingPongs: PingPong[] = [];
    for (let pair = 0; pair < this.pairs.size; pair += 1) {
      const count = this.counts.of(pair);
      if (count === 0) continue;
      const items = this.pairItems.countOf(pair);
      pingPongs.push({ between: [people[this.pairs.first[pair]!]!, people[this.pairs.second[pair]!]!], count, items, thin: isThin(items) });
    }
    pingPongs.sort((a, b) => b.count - a.count || a.between.join().localeCompare(b.between.join()));
    return { perItem: durationPercentilesOf(this.perItem), histogram: [...this.histogram], pingPongs: pingPongs.slice(0, TOP_PING_PONGS) };
  }
}

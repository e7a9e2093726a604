import type { ItemLifecycle } from "./lifecycle.js";
import { PairMap } from "./pair-map.js";
import { isThin, spreadOf, type Spread } from "./stats.js";

export interface StepNode {
  step: string;
  /** Stays in the step (an item entering it twice counts twice). */
  visits: number;
  /** Items that were ever in the step. */
  items: number;
  /** Items that began in it; items whose final step it is (completed items only). */
  starts: number;
  ends: number;
}

/** A directly-follows edge: items that entered `to` straight from `from`, and how long they had stayed in `from`. */
export interface Transition {
  from: string;
  to: string;
  count: number;
  items: number;
  durationMs: Spread;
  thin: boolean;
}

export interface ProcessMap {
  steps: StepNode[];
  transitions: Transition[];
}

export function processMapOf(lifecycles: readonly ItemLifecycle[]): ProcessMap {
  const nodes = new Map<string, StepNode & { lastItem: ItemLifecycle | null }>();
  const edges = new PairMap<{ from: string; to: string; durations: number[]; items: number; lastItem: ItemLifecycle | null }>();
  for (const lifecycle of lifecycles) {
    const visits = lifecycle.trace.visits;
    if (visits.length === 0) continue;
    visits.forEach((visit, index) => {
      const node = nodeOf(nodes, visit.step);
      node.visits += 1;
      if (node.lastItem !== lifecycle) {
        node.lastItem = lifecycle;
        node.items += 1;
      }
      if (index === 0) node.starts += 1;
      const next = visits[index + 1];
      if (!next) return;
      const edge = edges.getOrCreate(visit.step, next.step, () => ({ from: visit.step, to: next.step, durations: [], items: 0, lastItem: null }));
      edge.durations.push(next.enteredAt - visit.enteredAt);
      if (edge.lastItem !== lifecycle) {
        edge.lastItem = lifecycle;
        edge.items += 1;
      }
    });
    if (lifecycle.completedAt !== null) nodeOf(nodes, visits.at(-1)!.step).ends += 1;
  }
  const transitions = [...edges.values()]
    .map(({ from, to, durations, items }) => ({ from, to, count: durations.length, items, durationMs: spreadOf(durations), thin: isThin(items) }))
    .sort((a, b) => b.count - a.count || a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  const steps = [...nodes.values()].map(({ lastItem: _lastItem, ...node }) => node).sort((a, b) => b.visits - a.visits || a.step.localeCompare(b.step));
  return { steps, transitions };
}

function nodeOf(nodes: Map<string, StepNode & { lastItem: ItemLifecycle | null }>, step: string): StepNode & { lastItem: ItemLifecycle | null } {
  let node = nodes.get(step);
  if (!node) {
    node = { step, visits: 0, items: 0, starts: 0, ends: 0, lastItem: null };
    nodes.set(step, node);
  }
  return node;
}

import type { ScanOutput } from "./scan-output.js";

export interface Drift {
  /** When the output compared against was computed. */
  since: number;
  /** Paths among the most frequent variants now that were not among them before. */
  newVariants: string[][];
  /** Transitions, with enough items both times, whose median moved by more than the threshold. */
  movedTransitions: { from: string; to: string; previousMedianMs: number; medianMs: number; change: number }[];
  /** Rework loops that were not there before. */
  newLoops: { from: string; to: string; count: number }[];
}

/** What drift compares: the parts of an earlier output it reads (an output kept for it need keep no more). */
export type DriftBasis = Pick<ScanOutput, "computedAt" | "variants" | "processMap" | "rework">;

export const driftBasisOf = ({ computedAt, variants, processMap, rework }: ScanOutput): DriftBasis => ({ computedAt, variants, processMap, rework });

/** A median has moved when it changed by more than this fraction. */
export const MEDIAN_MOVE = 0.25;

export function driftBetween(previous: DriftBasis, current: ScanOutput): Drift {
  const key = (steps: readonly string[]) => steps.join("\u0000");
  const knownVariants = new Set(previous.variants.top.map((variant) => key(variant.steps)));
  const before = new Map(previous.processMap.transitions.map((edge) => [key([edge.from, edge.to]), edge]));
  const knownLoops = new Set(previous.rework.loops.map((loop) => key([loop.from, loop.to])));
  const movedTransitions: Drift["movedTransitions"] = [];
  for (const edge of current.processMap.transitions) {
    const old = before.get(key([edge.from, edge.to]));
    if (!old || edge.thin || old.thin || old.durationMs.p50 === null || edge.durationMs.p50 === null || old.durationMs.p50 === 0) continue;
    const change = (edge.durationMs.p50 - old.durationMs.p50) / old.durationMs.p50;
    if (Math.abs(change) > MEDIAN_MOVE) movedTransitions.push({ from: edge.from, to: edge.to, previousMedianMs: old.durationMs.p50, medianMs: edge.durationMs.p50, change });
  }
  return {
    since: previous.computedAt,
    newVariants: current.variants.top.filter((variant) => !knownVariants.has(key(variant.steps))).map((variant) => variant.steps),
    movedTransitions: movedTransitions.sort((a, b) => Math.abs(b.change) - Math.abs(a.change)),
    newLoops: current.rework.loops.filter((loop) => !knownLoops.has(key([loop.from, loop.to]))).map(({ from, to, count }) => ({ from, to, count })),
  };
}

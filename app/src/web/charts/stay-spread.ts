/**
 * How long one step's stays last, for a table cell: a bar in three shades, to the median,
 * to the 85th and to the 95th percentile, on a scale the column shares, so the rows read as
 * one chart of where time goes.
 */
import type { Spread } from "../../analysis/stats.js";
import { BAR_LENGTH } from "./bars.js";
import { tag } from "./svg.js";

const THICKNESS = 12;

/** `longestMs`: the column's largest 95th percentile, whose bar fills the cell. `label`: what a screen reader says. */
export function staySpread(spread: Spread, longestMs: number, label: string): string {
  const { p50, p85, p95 } = spread;
  const size = { width: BAR_LENGTH, height: THICKNESS };
  const access = { role: "img", "aria-label": label };
  if (p50 === null || p85 === null || p95 === null || !(longestMs > 0)) return tag("svg", { class: "cell-bar", viewBox: `0 0 ${BAR_LENGTH} ${THICKNESS}`, ...size, ...access, focusable: "false" }, tag("rect", { class: "cell-bar-track", ...size }));
  const length = (ms: number) => (Math.min(ms, longestMs) / longestMs) * BAR_LENGTH;
  // Widest first, so each shorter, darker part is drawn over the one beyond it.
  const parts = [
    tag("rect", { class: "stay-p95", width: length(p95), height: THICKNESS }),
    tag("rect", { class: "stay-p85", width: length(p85), height: THICKNESS }),
    tag("rect", { class: "stay-p50", width: length(p50), height: THICKNESS }),
  ];
  return tag("svg", { class: "cell-bar", viewBox: `0 0 ${BAR_LENGTH} ${THICKNESS}`, ...size, ...access, focusable: "false" }, tag("rect", { class: "cell-bar-track", ...size }) + parts.join(""));
}

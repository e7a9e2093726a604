/**
 * Bars for table cells: one small SVG a row, as long as the row's value against the column's
 * largest, so a column of them reads as a bar chart.
 */
import { tag } from "./svg.js";

/** The length of the column's largest value, in SVG units (CSS pixels). */
export const BAR_LENGTH = 120;
const BAR_THICKNESS = 12;

export interface CellBar {
  value: number;
  /** The column's largest value: its bar fills the cell. */
  max: number;
  /**
   * What a screen reader says for the bar ("42 items"). Leave it out when the number is in the
   * same or the adjacent cell: the bar is then hidden from screen readers, which would only say it twice.
   */
  label?: string;
}

export function cellBar({ value, max, label }: CellBar): string {
  const access = label === undefined ? { "aria-hidden": "true" } : { role: "img", "aria-label": label };
  const size = { width: BAR_LENGTH, height: BAR_THICKNESS };
  return tag(
    "svg",
    { class: "cell-bar", viewBox: `0 0 ${BAR_LENGTH} ${BAR_THICKNESS}`, ...size, ...access, focusable: "false" },
    tag("rect", { class: "cell-bar-track", ...size }) + tag("rect", { class: "cell-bar-fill", width: barLength(value, max), height: BAR_THICKNESS }),
  );
}

/** A bar for each value of a column, scaled to the column's largest; `labelOf` as `label` above. */
export function columnBars(values: readonly number[], labelOf?: (value: number) => string): string[] {
  const max = Math.max(0, ...values);
  return values.map((value) => cellBar({ value, max, label: labelOf?.(value) }));
}

/** Proportional to value ÷ max; nothing for a zero (or meaningless) value, and never past the cell. */
function barLength(value: number, max: number): number {
  if (!(max > 0) || !(value > 0)) return 0;
  return (Math.min(value, max) / max) * BAR_LENGTH;
}

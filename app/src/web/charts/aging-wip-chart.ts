import { AGING_POINTS, type AgingStep } from "../../analysis/time-in-status.js";
import { duration } from "../overview-figures.js";
import { chartFrame, dotsPath, durationUnit, emptyChart, linearScale, niceTicks, tag, text, tickNumber, yAxis, type Box } from "./svg.js";

const WIDTH = 720;
const PLOT: Box = { left: 56, top: 60, width: 640, height: 220 };
const LEGEND_Y = 16;
/** Columns narrower than this get their names written aslant. */
const LEVEL_LABEL_WIDTH = 110;
/** Longer step names are cut under the columns; the description and the table give them whole. */
const LABEL_CHARACTERS = 24;
const ZONES = ["p50", "p70", "p85", "p95"] as const;

/**
 * Per step, how long each open item has been in it, against how long finished stays there
 * took: the shaded zones end where 50, 70, 85 and 95 % of them had ended. A dot above the 85 %
 * line is an item already older than most ever get in that step.
 */
export function agingWipChart(agingWip: readonly AgingStep[]): string {
  if (agingWip.length === 0) {
    return emptyChart("No item is in progress right now. The chart shows how long each open item has been in its current step, against how long finished stays there took, once there are open items.");
  }
  const column = PLOT.width / agingWip.length;
  const level = column >= LEVEL_LABEL_WIDTH;
  const longestMs = Math.max(...agingWip.flatMap((step) => [...step.agesMs, step.bandsMs.p95 ?? 0]));
  const unit = durationUnit(longestMs);
  const yTicks = niceTicks(0, longestMs / unit.ms, 5);
  const y = linearScale([0, yTicks.at(-1)!], [PLOT.top + PLOT.height, PLOT.top]);
  const base = PLOT.top + PLOT.height;
  const names = agingWip.map((step) => `${step.step.length > LABEL_CHARACTERS ? `${step.step.slice(0, LABEL_CHARACTERS - 1)}…` : step.step} (${step.items.toLocaleString("en-US")})`);
  const columns = agingWip.map((step, index) => {
    const left = PLOT.left + index * column;
    const zones = zonesOf(step).map(({ zone, fromMs, toMs }) => tag("rect", { class: `zone ${zone}`, x: left + column * 0.1, y: y(toMs / unit.ms), width: column * 0.8, height: y(fromMs / unit.ms) - y(toMs / unit.ms) }));
    const centre = left + column / 2;
    // Spread the dots across the middle of the column, the same way every time, so equal ages do not hide each other.
    const dot = (ms: number, at: number): [number, number] => [centre + (((at * 0.618034) % 1) - 0.5) * column * 0.5, y(ms / unit.ms)];
    const late = step.bandsMs.p85;
    const dots = step.agesMs.map((ms, at) => ({ ms, point: dot(ms, at) }));
    const name = names[index]!;
    const label = level
      ? text({ class: "tick", x: centre, y: base + 18, "text-anchor": "middle" }, name)
      : text({ class: "tick", x: centre, y: base + 12, "text-anchor": "end", transform: `rotate(-35 ${centre} ${base + 12})` }, name);
    return tag(
      "g",
      { class: "column" },
      zones.join("") +
        dotsPath(dots.filter(({ ms }) => late === null || ms <= late).map(({ point }) => point), "item") +
        dotsPath(dots.filter(({ ms }) => late !== null && ms > late).map(({ point }) => point), "item late") +
        label,
    );
  });
  // Slanted names reach down by their length times sin 35° (at about 6.5 units a character).
  const longestName = Math.max(...names.map((name) => name.length));
  const height = base + (level ? 36 : 24 + Math.ceil(longestName * 6.5 * Math.sin((35 * Math.PI) / 180)));
  const body =
    legend() +
    yAxis(PLOT, yTicks.map((at) => ({ at, label: tickNumber(at) })), y, `Time in the step so far (${unit.name})`) +
    tag("line", { class: "baseline", x1: PLOT.left, x2: PLOT.left + PLOT.width, y1: base, y2: base }) +
    columns.join("");
  return chartFrame({ id: "aging-wip-chart", className: "aging", width: WIDTH, height, title: "Age of open items in their current step", desc: summaryOf(agingWip), body });
}

/** The zones a step's finished stays mark out, each from the one below; none when no stay has finished. */
function zonesOf({ bandsMs }: AgingStep): { zone: (typeof ZONES)[number]; fromMs: number; toMs: number }[] {
  const zones: { zone: (typeof ZONES)[number]; fromMs: number; toMs: number }[] = [];
  let fromMs = 0;
  for (const zone of ZONES) {
    const toMs = bandsMs[zone];
    if (toMs === null) return [];
    zones.push({ zone, fromMs, toMs });
    fromMs = toMs;
  }
  return zones;
}

/** Which shade and which dot means what, above the plot. */
function legend(): string {
  const swatches = ZONES.map((zone, index) => {
    const left = 130 + index * 60;
    return tag("rect", { class: `zone ${zone}`, x: left, y: LEGEND_Y - 6, width: 12, height: 12 }) + text({ x: left + 16, y: LEGEND_Y + 1, "dominant-baseline": "middle" }, `${zone.slice(1)} %`);
  });
  const dots = dotsPath([[400, LEGEND_Y]], "item") + text({ x: 408, y: LEGEND_Y + 1, "dominant-baseline": "middle" }, "open item") + dotsPath([[500, LEGEND_Y]], "item late") + text({ x: 508, y: LEGEND_Y + 1, "dominant-baseline": "middle" }, "beyond 85 %");
  return tag("g", { class: "legend" }, text({ x: 0, y: LEGEND_Y + 1, "dominant-baseline": "middle" }, "Finished stays:") + swatches.join("") + dots);
}

/** "23 open items in 4 steps; 5 have been in their step longer than 85 % of finished stays there (In Progress 3 of 10, …); the oldest has been 45.2 days in Backlog." */
function summaryOf(agingWip: readonly AgingStep[]): string {
  const items = agingWip.reduce((sum, step) => sum + step.items, 0);
  const beyond = agingWip.reduce((sum, step) => sum + step.beyondP85, 0);
  const late = agingWip.filter((step) => step.beyondP85 > 0).map((step) => `${step.step} ${step.beyondP85.toLocaleString("en-US")} of ${step.items.toLocaleString("en-US")}`);
  const oldest = agingWip.reduce((best, step) => ((step.agesMs[0] ?? 0) > (best.agesMs[0] ?? 0) ? step : best));
  const parts = [
    `${items.toLocaleString("en-US")} open items in ${agingWip.length} steps`,
    `${beyond.toLocaleString("en-US")} have been in their step longer than 85 % of finished stays there${late.length > 0 ? ` (${late.join(", ")})` : ""}`,
    `the oldest has been ${duration(oldest.agesMs[0] ?? 0)} in ${oldest.step}`,
  ];
  const cut = agingWip.filter((step) => step.items > step.agesMs.length);
  if (cut.length > 0) parts.push(`dots for the oldest ${AGING_POINTS.toLocaleString("en-US")} items only in ${cut.map((step) => step.step).join(", ")}`);
  return `${parts.join("; ")}.`;
}

import { instance, type Viz } from "@viz-js/viz";
import type { StepClass } from "../analysis/classify.js";
import type { ProcessMap } from "../analysis/process-map.js";
import { duration } from "./overview-figures.js";

/** How much of the map to draw, from the page's query string. */
export interface MapView {
  /** The most visited steps, at most this many. */
  steps: number;
  /** The most frequent transitions between the shown steps, at most this many; null for all. */
  paths: number | null;
  /** Label edges with median and p85 durations (coloured by the wait they follow) instead of counts. */
  durations: boolean;
}

export const DEFAULT_STEPS = 12;
export const MAX_STEPS = 60;
export const MAX_PATHS = 500;

/** Edge colours by the kind of wait the edge's source step is: the team's own waits stand out. */
const WAIT_COLOURS: Readonly<Record<string, string>> = {
  team_queue: "#b42318",
  active_work: "#b54708",
  external_wait: "#2454d6",
  automation_wait: "#5b6474",
  finished: "#5b6474",
};
const UNCLASSIFIED_COLOUR = "#7a5af8";

/**
 * The process map in Graphviz's DOT language: the `view.steps` most visited steps, sized by
 * visits, and the `view.paths` most frequent transitions between them, as thick as they are frequent. Steps are named
 * s0, s1, … in the graph, so no name a source sent ends up anywhere but in a quoted label.
 */
export function processMapDot(map: ProcessMap, classes: ReadonlyMap<string, StepClass | null>, view: MapView): string {
  const shown = map.steps.slice(0, view.steps);
  const idOf = new Map(shown.map((step, index) => [step.step, `s${index}`]));
  const mostVisits = Math.max(1, ...shown.map((step) => step.visits));
  const edges = map.transitions
    .filter((edge) => idOf.has(edge.from) && idOf.has(edge.to))
    .sort((a, b) => b.count - a.count)
    .slice(0, view.paths ?? undefined);
  const mostMoves = Math.max(1, ...edges.map((edge) => edge.count));
  const lines = ["digraph process {", '  graph [rankdir=TB, fontname="Helvetica", bgcolor="transparent"];', '  node [shape=box, style="rounded,filled", fillcolor="#eef2fb", color="#2454d6", fontname="Helvetica"];', '  edge [fontname="Helvetica", fontsize=10];'];
  for (const step of shown) {
    const scale = step.visits / mostVisits;
    // A click on a step opens its time in status below the map.
    lines.push(`  ${idOf.get(step.step)} [label=${quoted(`${step.step}\n${step.visits.toLocaleString("en-US")} stays`)}, URL="#step-${idOf.get(step.step)}", tooltip=${quoted(`Time in ${step.step}`)}, penwidth=${(1 + 3 * scale).toFixed(2)}, fontsize=${(11 + 5 * scale).toFixed(1)}];`);
  }
  for (const edge of edges) {
    const weight = (0.6 + 5 * (edge.count / mostMoves)).toFixed(2);
    const label = view.durations
      ? `${edge.durationMs.p50 === null ? "—" : duration(edge.durationMs.p50)} · p85 ${edge.durationMs.p85 === null ? "—" : duration(edge.durationMs.p85)}`
      : edge.count.toLocaleString("en-US");
    const colour = view.durations ? (WAIT_COLOURS[classes.get(edge.from)?.waitClass ?? ""] ?? UNCLASSIFIED_COLOUR) : "#5b6474";
    lines.push(`  ${idOf.get(edge.from)} -> ${idOf.get(edge.to)} [label=${quoted(label)}, penwidth=${weight}, color="${colour}", fontcolor="${colour}"];`);
  }
  lines.push("}");
  return lines.join("\n");
}

/** A DOT string: backslashes and quotes escaped, line breaks as DOT's centred breaks. */
function quoted(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r?\n/g, "\\n")}"`;
}

let graphviz: Promise<Viz> | undefined;

/** The map as an SVG element, laid out by Graphviz (compiled to WebAssembly, loaded once). */
export async function processMapSvg(dot: string): Promise<string> {
  graphviz ??= instance();
  const svg = (await graphviz).renderString(dot, { format: "svg" });
  // The XML prolog and doctype do not belong inside an HTML page.
  return svg.slice(svg.indexOf("<svg"));
}

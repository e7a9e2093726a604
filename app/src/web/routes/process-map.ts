import Router from "@koa/router";
import { badRequest } from "../../platform/errors.js";
import { analyticsHeader, loadAnalyticsView } from "../analytics-view.js";
import type { WebDeps } from "../deps.js";
import { renderPage, requirePrincipal, uuidParam } from "../page.js";
import { DEFAULT_STEPS, MAX_PATHS, MAX_STEPS, processMapDot, processMapSvg, type MapView } from "../process-map-graph.js";
import { duration } from "../overview-figures.js";
import type { StepTime } from "../../analysis/time-in-status.js";
import { staySpread } from "../charts/stay-spread.js";
import type { RequestState } from "../state.js";

/** The process map page: the latest stored output's map, laid out by Graphviz, with its time in status. */
export function processMapRoutes(deps: WebDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  router.get("/connections/:id/process-map", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const id = uuidParam(ctx, "id", "connection");
    const view = mapViewOf(ctx.query);
    const analytics = await loadAnalyticsView(deps, { tenantId: principal.tenantId, timeZone: ctx.state.timeZone }, id, ctx.query, VIEW_PARAMS);
    const { processMap, timeInStatus } = analytics.output;
    const classes = new Map(analytics.output.steps.map((step) => [step.step, step.class]));
    const svg = await processMapSvg(processMapDot(processMap, classes, view));
    const shown = processMap.steps.slice(0, view.steps).map((step) => step.step);
    renderPage(ctx, deps.render, "process-map", {
      title: `Process map — ${analytics.label}`,
      analytics: analyticsHeader(analytics, "process-map", viewParamsOf(view)),
      container: analytics.container,
      svg,
      view,
      stepChoices: [6, 12, 20, 40].map((steps) => ({ steps, selected: steps === view.steps })),
      pathChoices: [5, 10, 20, 40].map((paths) => ({ paths, selected: paths === view.paths })),
      stepsShown: shown.length,
      stepsTotal: processMap.steps.length,
      steps: timeInStatusRows(timeInStatus.filter((step) => shown.includes(step.step)), shown),
    });
  });
  return router;
}

/** The time-in-status table of the steps shown, each row anchored for a click on its box in the map. */
function timeInStatusRows(steps: StepTime[], shown: string[]) {
  const longest = Math.max(0, ...steps.map((step) => step.dwellMs.p95 ?? 0));
  const written = (ms: number | null) => (ms === null ? "—" : duration(ms));
  return steps.map((step) => {
    const { p50, p85, p95 } = step.dwellMs;
    const spoken = p50 === null ? `No finished stays in ${step.step}` : `Half the stays in ${step.step} within ${written(p50)}, 85 % within ${written(p85)}, 95 % within ${written(p95)}`;
    return {
      anchor: `step-s${shown.indexOf(step.step)}`,
      step: step.step,
      entered: step.entered,
      items: step.items,
      p50: written(p50),
      p85: written(p85),
      p95: written(p95),
      spread: staySpread(step.dwellMs, longest, spoken),
      wip: step.wip,
      thin: step.thin,
    };
  });
}

const VIEW_PARAMS = ["steps", "paths", "durations"];

/** The view's own parameters, kept when the filters change. */
function viewParamsOf(view: MapView): Record<string, string> {
  return { steps: String(view.steps), ...(view.paths !== null && { paths: String(view.paths) }), ...(view.durations && { durations: "on" }) };
}

/** `steps` (how many of the most visited steps, 2 to MAX_STEPS), `paths` (how many transitions, or "all") and `durations=on`; all optional. */
function mapViewOf(query: Record<string, string | string[] | undefined>): MapView {
  const steps = wholeNumberOf(query.steps, "steps", 2, MAX_STEPS) ?? DEFAULT_STEPS;
  const paths = query.paths === "all" || query.paths === "" ? null : wholeNumberOf(query.paths, "paths", 1, MAX_PATHS);
  return { steps, paths, durations: query.durations === "on" };
}

function wholeNumberOf(raw: string | string[] | undefined, name: string, least: number, most: number): number | null {
  if (raw === undefined) return null;
  const value = typeof raw === "string" && /^\d{1,4}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= least && value <= most)) throw badRequest("invalid_view", `"${name}" must be a whole number from ${least} to ${most}${name === "paths" ? ", or all" : ""}.`);
  return value;
}

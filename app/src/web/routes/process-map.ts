import Router from "@koa/router";
import { badRequest } from "../../platform/errors.js";
import { analyticsHeader, loadAnalyticsView } from "../analytics-view.js";
import type { WebDeps } from "../deps.js";
import { renderPage, requirePrincipal, uuidParam } from "../page.js";
import { DEFAULT_STEPS, MAX_STEPS, processMapDot, processMapSvg, type MapView } from "../process-map-graph.js";
import { duration } from "../overview-figures.js";
import type { RequestState } from "../state.js";

/** The process map page: the latest stored output's map, laid out by Graphviz, with its time in status. */
export function processMapRoutes(deps: WebDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  router.get("/connections/:id/process-map", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const id = uuidParam(ctx, "id", "connection");
    const view = mapViewOf(ctx.query);
    const analytics = await loadAnalyticsView(deps, principal.tenantId, id, ctx.query, VIEW_PARAMS);
    const { processMap, timeInStatus } = analytics.output;
    const classes = new Map(analytics.output.steps.map((step) => [step.step, step.class]));
    const svg = await processMapSvg(processMapDot(processMap, classes, view));
    const shown = new Set(processMap.steps.slice(0, view.steps).map((step) => step.step));
    renderPage(ctx, deps.render, "process-map", {
      title: `Process map — ${analytics.label}`,
      analytics: analyticsHeader(analytics, "process-map", viewParamsOf(view)),
      container: analytics.container,
      svg,
      view,
      stepChoices: [6, 12, 20, 40].map((steps) => ({ steps, selected: steps === view.steps })),
      stepsShown: shown.size,
      stepsTotal: processMap.steps.length,
      steps: timeInStatus
        .filter((step) => shown.has(step.step))
        .map((step) => ({
          step: step.step,
          entered: step.entered,
          items: step.items,
          p50: step.dwellMs.p50 === null ? "—" : duration(step.dwellMs.p50),
          p85: step.dwellMs.p85 === null ? "—" : duration(step.dwellMs.p85),
          p95: step.dwellMs.p95 === null ? "—" : duration(step.dwellMs.p95),
          wip: step.wip,
          thin: step.thin,
        })),
    });
  });
  return router;
}

const VIEW_PARAMS = ["steps", "durations"];

/** The view's own parameters, kept when the filters change. */
function viewParamsOf(view: MapView): Record<string, string> {
  return view.durations ? { steps: String(view.steps), durations: "on" } : { steps: String(view.steps) };
}

/** `steps` (how many of the most visited steps, 2 to MAX_STEPS) and `durations=on`; both optional. */
function mapViewOf(query: Record<string, string | string[] | undefined>): MapView {
  const raw = query.steps;
  let steps = DEFAULT_STEPS;
  if (raw !== undefined) {
    steps = typeof raw === "string" && /^\d{1,3}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(steps >= 2 && steps <= MAX_STEPS)) throw badRequest("invalid_view", `"steps" must be a whole number from 2 to ${MAX_STEPS}.`);
  }
  return { steps, durations: query.durations === "on" };
}

import Router from "@koa/router";
import type { DurationPercentiles } from "../../analysis/cycle-time.js";
import type { ScanOutput } from "../../analysis/scan-output.js";
import { analyticsHeader, loadAnalyticsView } from "../analytics-view.js";
import { agingWipChart } from "../charts/aging-wip-chart.js";
import { bandsInStackOrder, cumulativeFlowDiagram, type StepKind } from "../charts/cumulative-flow-diagram.js";
import { binRows, binWidth, cycleTimeBins, cycleTimeHistogram } from "../charts/cycle-time-histogram.js";
import { cycleTimeScatter, scatterCoverage } from "../charts/cycle-time-scatter.js";
import { dayLabel, DAY_MS, tickNumber } from "../charts/svg.js";
import { throughputFigures, throughputRunChart, weeklyThroughput } from "../charts/throughput-run-chart.js";
import type { WebDeps } from "../deps.js";
import { duration } from "../overview-figures.js";
import { renderPage, requirePrincipal, uuidParam } from "../page.js";
import type { RequestState } from "../state.js";

/** The flow page: cycle times, throughput, cumulative flow and aging work, drawn from the view's output, each with its numbers. */
export function flowRoutes(deps: WebDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  router.get("/connections/:id/flow", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const id = uuidParam(ctx, "id", "connection");
    const analytics = await loadAnalyticsView(deps, { tenantId: principal.tenantId, timeZone: ctx.state.timeZone }, id, ctx.query, []);
    renderPage(ctx, deps.render, "flow", { title: `Flow — ${analytics.label}`, analytics: analyticsHeader(analytics, "flow"), ...flowFigures(analytics.output) });
  });
  return router;
}

const KIND_WORDS: Readonly<Record<StepKind, string>> = { todo: "to do", in_progress: "in progress", waiting: "waiting", unclassified: "not classified", done: "done" };

/** The charts and, for each, the numbers it draws, written out for the page's tables. */
function flowFigures({ sample, cycleTime, flow, steps, agingWip }: ScanOutput) {
  const bins = cycleTimeBins(cycleTime.scatter);
  const throughput = throughputFigures(flow);
  const bands = bandsInStackOrder(flow, steps);
  const lastDay = flow.firstDay + (flow.days - 1) * DAY_MS;
  const efficiency = cycleTime.flowEfficiency;
  return {
    sample,
    thin: sample.completed < sample.thinBelow,
    cycleTime: {
      scatter: cycleTimeScatter(cycleTime),
      histogram: cycleTimeHistogram(cycleTime.scatter),
      count: cycleTime.cycleMs.count,
      /** Completed without ever entering a step of active work (a support ticket solved from the queue, a duplicate closed). */
      unstarted: sample.completed - cycleTime.cycleMs.count,
      coverage: scatterCoverage(cycleTime.scatter),
      percentiles: [percentileRow("Cycle time", cycleTime.cycleMs), percentileRow("Lead time (from creation)", cycleTime.leadMs)],
      flowEfficiency: efficiency.overall === null ? null : `${Math.round(efficiency.overall * 100)} %`,
      bins: bins && { width: binWidth(bins), rows: binRows(bins) },
    },
    throughput: {
      chart: throughputRunChart(flow),
      days: flow.days,
      total: throughput.total,
      median: tickNumber(throughput.median),
      weeks: throughput.total === 0 ? [] : weeklyThroughput(flow).map((week) => ({ from: dayLabel(week.from), to: dayLabel(week.to), items: week.items })),
    },
    cumulativeFlow: {
      chart: cumulativeFlowDiagram(flow, steps),
      first: dayLabel(flow.firstDay),
      last: dayLabel(lastDay),
      rows: bands.map((band) => ({ step: band.step, kind: KIND_WORDS[band.kind], first: band.counts[0], last: band.counts.at(-1) })),
    },
    aging: {
      chart: agingWipChart(agingWip),
      rows: agingWip.map((step) => ({
        step: step.step,
        items: step.items,
        beyondP85: step.beyondP85,
        oldest: durationOrDash(step.agesMs[0] ?? null),
        p50: durationOrDash(step.bandsMs.p50),
        p85: durationOrDash(step.bandsMs.p85),
      })),
    },
  };
}

function percentileRow(name: string, percentiles: DurationPercentiles) {
  const { count, p50, p70, p85, p95 } = percentiles;
  return { name, count, p50: durationOrDash(p50), p70: durationOrDash(p70), p85: durationOrDash(p85), p95: durationOrDash(p95) };
}

const durationOrDash = (ms: number | null): string => (ms === null ? "—" : duration(ms));

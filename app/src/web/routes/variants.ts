import Router from "@koa/router";
import type { ScanOutput } from "../../analysis/scan-output.js";
import { analyticsHeader, loadAnalyticsView } from "../analytics-view.js";
import { columnBars } from "../charts/bars.js";
import type { WebDeps } from "../deps.js";
import { duration } from "../overview-figures.js";
import { renderPage, requirePrincipal, uuidParam } from "../page.js";
import type { RequestState } from "../state.js";

/** The variants & rework page: the paths items take, the loops that send them back, and the hand-offs between people. */
export function variantsRoutes(deps: WebDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  router.get("/connections/:id/variants", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const id = uuidParam(ctx, "id", "connection");
    const analytics = await loadAnalyticsView(deps, { tenantId: principal.tenantId, timeZone: ctx.state.timeZone }, id, ctx.query, []);
    const { output } = analytics;
    renderPage(ctx, deps.render, "variants", {
      title: `Variants & rework — ${analytics.label}`,
      analytics: analyticsHeader(analytics, "variants"),
      container: analytics.container,
      variants: variantsSection(output),
      rework: reworkSection(output),
      rates: ratesOf(output),
      handoffs: handoffsSection(output),
    });
  });
  return router;
}

/** The most frequent paths, each with its share of the items that have one, and how far the shown ones go. */
function variantsSection({ variants }: ScanOutput) {
  const bars = columnBars(variants.top.map((variant) => variant.items));
  return {
    total: variants.total,
    shown: variants.top.length,
    covered: variants.coverage.length === 0 ? null : share(variants.coverage.at(-1)!),
    rows: variants.top.map((variant, row) => ({
      path: variant.steps.join(" → "),
      items: variant.items,
      share: share(variant.share),
      medianLead: variant.medianLeadMs === null ? "—" : duration(variant.medianLeadMs),
      // Outputs stored before the 85th percentile was kept have none.
      p85Lead: variant.p85LeadMs == null ? "—" : duration(variant.p85LeadMs),
      thin: variant.thin,
      bar: bars[row],
    })),
  };
}

function reworkSection({ rework, sample }: ScanOutput) {
  const bars = columnBars(rework.loops.map((loop) => loop.count));
  return {
    items: sample.items,
    itemsWithRework: rework.itemsWithRework,
    share: sample.items === 0 ? null : share(rework.itemsWithRework / sample.items),
    itemsReopened: rework.itemsReopened,
    reopens: rework.reopens,
    loops: rework.loops.map((loop, row) => ({
      from: loop.from,
      to: loop.to,
      kind: loop.kind === "self" ? "repeated" : "went back",
      count: loop.count,
      items: loop.items,
      thin: loop.thin,
      bar: bars[row],
    })),
  };
}

/**
 * Reopen and reassignment rates with what they are rates of. Reassignments per item are
 * counted over the items ever assigned, so their count is the reassignment rate's sample.
 */
function ratesOf({ counts, handoffs, sample }: ScanOutput) {
  const assigned = handoffs.perItem.count;
  return {
    reopen: { rate: counts.reopenRate === null ? null : share(counts.reopenRate), of: counts.completed, thin: counts.completed < sample.thinBelow },
    reassignment: { rate: counts.reassignmentRate === null ? null : share(counts.reassignmentRate), of: assigned, thin: assigned < sample.thinBelow },
  };
}

function handoffsSection({ handoffs }: ScanOutput) {
  const { perItem, histogram, pingPongs } = handoffs;
  const histogramBars = columnBars(histogram);
  const pingPongBars = columnBars(pingPongs.map((pair) => pair.count));
  const times = (value: number | null) => (value === null ? "—" : String(value));
  return {
    assigned: perItem.count,
    perItem: { p50: times(perItem.p50), p85: times(perItem.p85), p95: times(perItem.p95) },
    histogram: histogram.map((items, reassignments) => ({
      reassignments: reassignments === histogram.length - 1 ? `${reassignments} or more times` : (REASSIGNED[reassignments] ?? `${reassignments} times`),
      items,
      bar: histogramBars[reassignments],
    })),
    pingPongs: pingPongs.map((pair, row) => ({ between: pair.between, count: pair.count, items: pair.items, thin: pair.thin, bar: pingPongBars[row] })),
  };
}

/** How the histogram's first rows read; the rest are "n times". */
const REASSIGNED = ["never", "once"];

/** Whole percent, with a decimal below one so a rare path does not read as none. */
function share(ratio: number): string {
  const percent = ratio * 100;
  return `${percent > 0 && percent < 1 ? percent.toFixed(1) : Math.round(percent)} %`;
}

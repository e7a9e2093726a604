/**
 * The pre-filled ticket for a bottleneck finding. It is written from the finding's aggregates
 * (step names, counts, durations, shares, the trend) and nothing about any one item: no
 * titles, no keys, no people. The person edits it before anything is sent.
 */
import { findingKey, type BottleneckFinding, type Bottlenecks } from "../analysis/bottlenecks.js";
import { findingFigures } from "./overview-figures.js";

/** Where a finding was found, for the ticket's words and its link back. */
export interface FindingPlace {
  label: string;
  container: string | null;
  /** The bottlenecks page the ticket links back to. */
  pageUrl: string;
  computedAt: Date;
}

export interface TicketDraft {
  summary: string;
  description: string;
}

/** The findings a ticket can be made from, by key; the first of a key wins (lists never share a step and next step). */
export function findingsByKey(bottlenecks: Bottlenecks): Map<string, BottleneckFinding> {
  const byKey = new Map<string, BottleneckFinding>();
  for (const finding of [...bottlenecks.headline, ...bottlenecks.transitions, ...bottlenecks.external, ...bottlenecks.automation, ...bottlenecks.unclassified]) {
    if (!byKey.has(findingKey(finding))) byKey.set(findingKey(finding), finding);
  }
  return byKey;
}

const SUMMARY_MAX = 255;

export function ticketDraft(finding: BottleneckFinding, place: FindingPlace): TicketDraft {
  const figures = findingFigures(finding);
  const where = finding.to === null ? `“${finding.step}”` : `“${finding.step}” before “${finding.to}”`;
  const scope = place.container === null ? place.label : `${place.label} / ${place.container}`;
  const summary = `Work waits in ${where}: ${figures.itemDays} item-days (${figures.share} of all waiting)`;
  const lines = [
    `TwinFlow found that work waits in ${where} (${figures.waitClass}) in ${scope}.`,
    "",
    `Evidence, from the scan of ${place.computedAt.toISOString().slice(0, 10)} (aggregates over all items, no item details):`,
    `- ${figures.itemDays} item-days spent there: ${figures.share} of all waiting time`,
    `- ${figures.items.toLocaleString("en-US")} items, ${figures.visits.toLocaleString("en-US")} visits; median stay ${figures.median}`,
    `- Trend: ${figures.trend.words}`,
    ...(finding.thin ? ["- Few items passed through this step: read these figures with care."] : []),
    "",
    "Suggested next step: find out why items wait here, and agree a limit on the work that may wait in this step.",
    "",
    `See it in TwinFlow: ${place.pageUrl}`,
  ];
  return { summary: summary.length > SUMMARY_MAX ? `${summary.slice(0, SUMMARY_MAX - 1)}…` : summary, description: lines.join("\n") };
}

/**
 * Questions a person might ask the assistant about a scope, drawn from its findings. They
 * follow the context's privacy rule: a step fewer than MIN_GROUP_ITEMS items passed through
 * is never named, and names are quoted as the context quotes them.
 */
import type { ScanOutput } from "../analysis/scan-output.js";
import { MIN_GROUP_ITEMS, quoteName, survivalOf } from "./context.js";

/** Always offered, last: it fits any scope. */
export const GENERIC_QUESTION = "What should we fix first to finish work sooner?";

/** Shares of completed items reopened from which reopens are worth a question. */
const NOTABLE_REOPEN_RATE = 0.1;

export function suggestedQuestions(output: ScanOutput, max = 4): string[] {
  if (max < 1) return [];
  if (output.sample.items < MIN_GROUP_ITEMS) return [GENERIC_QUESTION];
  const survives = survivalOf(output);
  const named = (items: number, ...steps: string[]) => items >= MIN_GROUP_ITEMS && steps.every(survives);
  const questions: string[] = [];
  const { bottlenecks, drift, rework, handoffs, counts } = output;

  const top = bottlenecks.headline.find((finding) => named(finding.items, finding.step));
  if (top) questions.push(`Why do items wait so long in ${quoteName(top.step)}?`);

  if (drift) {
    const transitionItems = new Map(output.processMap.transitions.map((edge) => [`${edge.from}\u0000${edge.to}`, edge.items]));
    const moved = drift.movedTransitions.find((edge) => named(transitionItems.get(`${edge.from}\u0000${edge.to}`) ?? 0, edge.from, edge.to));
    if (moved) questions.push(`What changed in ${quoteName(moved.from)} → ${quoteName(moved.to)} since the previous period?`);
  }

  const loop = rework.loops.find((each) => named(each.items, each.from, each.to));
  if (loop) questions.push(loop.kind === "self" ? `Why do items go through ${quoteName(loop.from)} again straight away?` : `Why do items go back from ${quoteName(loop.from)} to ${quoteName(loop.to)}?`);

  const external = bottlenecks.external.find((finding) => named(finding.items, finding.step));
  if (external) questions.push(`How much of our lead time is spent in ${quoteName(external.step)}, and can we shorten it?`);

  if (counts.reopenRate !== null && counts.completed >= MIN_GROUP_ITEMS && counts.reopenRate >= NOTABLE_REOPEN_RATE) questions.push("Why are so many completed items reopened?");

  if (handoffs.pingPongs.some((pair) => pair.items >= MIN_GROUP_ITEMS)) questions.push("Why does work go back and forth between the same people?");

  if (output.forecast.whenOpenDone && !output.forecast.whenOpenDone.result.insufficientData) questions.push("When will the items open now be done?");

  return [...new Set(questions)].slice(0, max - 1).concat(GENERIC_QUESTION);
}

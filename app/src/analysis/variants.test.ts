import { describe, expect, it } from "vitest";
import type { EventLog, LogEvent, LogItem } from "./event-log.js";
import { computeScanOutput } from "./scan-output.js";

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 5);

/** One item per path, each path taken by `times` items; the item starts in the path's first step. */
function logOf(paths: readonly { steps: string[]; times: number }[]): EventLog {
  const items: LogItem[] = [];
  const events: LogEvent[] = [];
  for (const { steps, times } of paths) {
    for (let n = 0; n < times; n += 1) {
      const key = `${steps.join(">")}#${n}`;
      items.push({ key, createdAt: T0, type: null, priority: null, labels: [], currentStep: steps.at(-1)!, currentAssignee: null });
      steps.slice(1).forEach((step, index) => events.push({ item: key, at: T0 + (index + 1) * HOUR, kind: "step", from: steps[index]!, to: step, actor: null }));
    }
  }
  return { stepSource: "status", items, events, asOf: T0 + 100 * HOUR };
}

describe("variants", () => {
  it("ranks paths by how many items took them, and equal ones by their steps' names, a path before the longer ones it begins", () => {
    const { variants } = computeScanOutput(
      logOf([
        { steps: ["To Do", "Done"], times: 1 },
        { steps: ["To Do", "Do"], times: 2 },
        { steps: ["To Do", "Do", "Done"], times: 2 },
        { steps: ["Backlog", "Done"], times: 2 },
        { steps: ["To Do"], times: 2 },
        { steps: ["Triage", "Done"], times: 3 },
      ]),
    );
    expect(variants.top.map((variant) => variant.steps.join(" > "))).toEqual([
      "Triage > Done",
      "Backlog > Done",
      "To Do",
      "To Do > Do",
      "To Do > Do > Done",
      "To Do > Done",
    ]);
    expect(variants.total).toBe(6);
    expect(variants.top.map((variant) => variant.items)).toEqual([3, 2, 2, 2, 2, 1]);
    expect(variants.coverage.at(-1)).toBe(1);
  });

  it("gives each path the median and 85th percentile of its completed items' lead times", () => {
    // Twenty items straight from To Do to Done, done 1, 2, … 20 hours after creation.
    const items: LogItem[] = [];
    const events: LogEvent[] = [];
    for (let hours = 1; hours <= 20; hours += 1) {
      const key = `K-${hours}`;
      items.push({ key, createdAt: T0, type: null, priority: null, labels: [], currentStep: "Done", currentAssignee: null });
      events.push({ item: key, at: T0 + hours * HOUR, kind: "step", from: "To Do", to: "Done", actor: null });
    }
    const [path] = computeScanOutput({ stepSource: "status", items, events, asOf: T0 + 100 * HOUR }).variants.top;
    // By nearest rank, as every percentile in the output: the 10th and the 17th of twenty.
    expect([path!.medianLeadMs, path!.p85LeadMs]).toEqual([10 * HOUR, 17 * HOUR]);
  });
});

/**
 * The headline bottleneck ranks only waits a team can act on: an auto-close timer, a
 * customer's silence and steps nobody classified are shown apart.
 */
import { describe, expect, it } from "vitest";
import { DAY_MS, type EventLog, type LogEvent, type LogItem } from "./event-log.js";
import { computeScanOutput, type AnalysisSettings, type ScanOutput } from "./scan-output.js";

const T0 = Date.UTC(2024, 0, 1);

/** One item's path: the status it was created in, then each status it moved to and the days it stayed before moving. */
interface Path {
  created: number;
  start: string;
  moves: { afterDays: number; to: string }[];
}

function statusLog(paths: readonly Path[], asOf: number): EventLog {
  const items: LogItem[] = [];
  const events: LogEvent[] = [];
  paths.forEach((path, index) => {
    const key = `ITEM-${index + 1}`;
    let status = path.start;
    let at = path.created;
    for (const move of path.moves) {
      at += move.afterDays * DAY_MS;
      events.push({ item: key, at, kind: "step", from: status, to: move.to, actor: null });
      status = move.to;
    }
    items.push({ key, createdAt: path.created, type: null, priority: null, labels: [], currentStep: status, currentAssignee: null });
  });
  return { stepSource: "status", items, events, asOf };
}

/** Two days in To Do, `inProgressDays` in In Progress, then seven days in Resolved until the auto-close. */
const autoClosed = (created: number, inProgressDays: number): Path => ({
  created,
  start: "To Do",
  moves: [
    { afterDays: 2, to: "In Progress" },
    { afterDays: inProgressDays, to: "Resolved" },
    { afterDays: 7, to: "Closed" },
  ],
});

const IN_PROGRESS_DAYS = [1, 1.25, 1.5, 1.75, 2, 2];

function scan(paths: readonly Path[], settings: AnalysisSettings = {}): ScanOutput {
  const last = Math.max(...paths.map((path) => path.created + path.moves.reduce((days, move) => days + move.afterDays, 0) * DAY_MS));
  return computeScanOutput(statusLog(paths, last + DAY_MS), { computedAt: 0, ...settings });
}

const steps = (findings: readonly { step: string }[]): string[] => findings.map((finding) => finding.step);

describe("bottlenecks with an auto-close", () => {
  const output = scan(IN_PROGRESS_DAYS.map((days, index) => autoClosed(T0 + index * DAY_MS, days)));

  it("does not make the auto-close wait the headline, though items spend most of their time there", () => {
    const resolved = output.bottlenecks.automation.find((finding) => finding.step === "Resolved");
    const toDo = output.bottlenecks.headline.find((finding) => finding.step === "To Do");
    expect(resolved?.itemDays).toBeCloseTo(7 * IN_PROGRESS_DAYS.length, 9);
    expect(toDo?.itemDays).toBeCloseTo(2 * IN_PROGRESS_DAYS.length, 9);

    expect(output.bottlenecks.headline[0]!.step).toBe("To Do");
    expect(steps(output.bottlenecks.headline).sort()).toEqual(["In Progress", "To Do"]);
    for (const finding of output.bottlenecks.headline) expect(["team_queue", "active_work"]).toContain(finding.waitClass);
    expect(steps(output.bottlenecks.transitions)).not.toContain("Resolved");
  });

  it("lists Resolved as an automation wait with its share of all waiting time", () => {
    const inProgress = IN_PROGRESS_DAYS.reduce((sum, days) => sum + days, 0);
    const total = 7 * IN_PROGRESS_DAYS.length + 2 * IN_PROGRESS_DAYS.length + inProgress;
    expect(output.bottlenecks.automation).toHaveLength(1);
    expect(output.bottlenecks.automation[0]).toMatchObject({ step: "Resolved", waitClass: "automation_wait", visits: 6, items: 6, medianMs: 7 * DAY_MS });
    expect(output.bottlenecks.automation[0]!.share).toBeCloseTo((7 * IN_PROGRESS_DAYS.length) / total, 12);
    expect(output.bottlenecks.shareByClass.automation_wait).toBeCloseTo((7 * IN_PROGRESS_DAYS.length) / total, 12);
    expect(output.bottlenecks.totalItemDays).toBeCloseTo(total, 9);
    expect(output.bottlenecks.external).toEqual([]);
    expect(output.bottlenecks.unclassified).toEqual([]);
  });

  it("ends lead and cycle time at Resolved, not at the auto-close", () => {
    // Lead: 2 days in To Do plus the time in progress; nearest rank over six items.
    const leads = IN_PROGRESS_DAYS.map((days) => (2 + days) * DAY_MS);
    expect(output.cycleTime.leadMs).toEqual({ count: 6, p50: leads[2], p70: leads[4], p85: leads[5], p95: leads[5] });
    const cycles = IN_PROGRESS_DAYS.map((days) => days * DAY_MS);
    expect(output.cycleTime.cycleMs).toEqual({ count: 6, p50: cycles[2], p70: cycles[4], p85: cycles[5], p95: cycles[5] });
    // Completed at Resolved, so the throughput shows the day it was resolved.
    expect(output.cycleTime.scatter.points.map(([completedAt]) => completedAt)).toEqual(IN_PROGRESS_DAYS.map((days, index) => T0 + index * DAY_MS + (2 + days) * DAY_MS));
    // The item's path still ends in Closed.
    expect(output.processMap.steps.find((node) => node.step === "Closed")?.ends).toBe(6);
  });
});

describe("waits the team does not own", () => {
  const waitingForCustomer: Path = {
    created: T0,
    start: "To Do",
    moves: [
      { afterDays: 1, to: "In Progress" },
      { afterDays: 1, to: "Waiting for customer" },
      { afterDays: 10, to: "In Progress" },
      { afterDays: 1, to: "Done" },
    ],
  };
  const limbo: Path = {
    created: T0 + DAY_MS,
    start: "To Do",
    moves: [
      { afterDays: 1, to: "Limbo" },
      { afterDays: 12, to: "In Progress" },
      { afterDays: 1, to: "Done" },
    ],
  };

  it("puts a customer wait under external, never in the headline", () => {
    const output = scan([waitingForCustomer]);
    expect(output.bottlenecks.external).toHaveLength(1);
    expect(output.bottlenecks.external[0]).toMatchObject({ step: "Waiting for customer", waitClass: "external_wait", itemDays: 10 });
    expect(steps(output.bottlenecks.headline)).not.toContain("Waiting for customer");
    expect(steps(output.bottlenecks.transitions)).not.toContain("Waiting for customer");
    expect(output.steps.find((step) => step.step === "Waiting for customer")?.class).toMatchObject({ category: "waiting", waitClass: "external_wait" });
  });

  it("lists a status nothing classifies as unknown and unclassified, not in the headline", () => {
    const output = scan([waitingForCustomer, limbo]);
    expect(output.dataQuality.unknownSteps).toEqual([{ step: "Limbo", visits: 1 }]);
    expect(output.dataQuality.notes.some((note) => note.includes("Limbo"))).toBe(true);
    expect(output.bottlenecks.unclassified).toHaveLength(1);
    expect(output.bottlenecks.unclassified[0]).toMatchObject({ step: "Limbo", waitClass: "unclassified", itemDays: 12 });
    expect(steps(output.bottlenecks.headline)).not.toContain("Limbo");
    expect(output.bottlenecks.headline[0]!.step).not.toBe("Limbo");
  });

  it("moves it into the headline once an override classifies it as a team queue", () => {
    const output = scan([waitingForCustomer, limbo], { classifier: { overrides: { Limbo: { category: "todo", waitClass: "team_queue" } } } });
    expect(output.dataQuality.unknownSteps).toEqual([]);
    expect(output.bottlenecks.unclassified).toEqual([]);
    expect(output.bottlenecks.headline[0]).toMatchObject({ step: "Limbo", waitClass: "team_queue", itemDays: 12 });
    // The override wins only for its own step.
    expect(steps(output.bottlenecks.external)).toEqual(["Waiting for customer"]);
  });
});

describe("item-days and their trend", () => {
  // Still in progress since day 60; through the queue to done between days 80 and 90. The output is drawn on day 100.
  const log = statusLog(
    [
      { created: T0 + 50 * DAY_MS, start: "To Do", moves: [{ afterDays: 10, to: "In Progress" }] },
      { created: T0 + 80 * DAY_MS, start: "To Do", moves: [{ afterDays: 10, to: "Done" }] },
    ],
    T0 + 100 * DAY_MS,
  );
  const { bottlenecks } = computeScanOutput(log, { computedAt: 0 });
  const finding = (step: string) => bottlenecks.headline.find((each) => each.step === step)!;

  it("counts an open stay up to the moment of the output, and no time in a finished step", () => {
    expect(finding("To Do")).toMatchObject({ itemDays: 20, visits: 2, items: 2 });
    expect(finding("In Progress")).toMatchObject({ itemDays: 40, visits: 1, items: 1 });
    expect(bottlenecks.totalItemDays).toBe(60);
    expect(finding("In Progress").share).toBeCloseTo(40 / 60, 12);
  });

  it("splits the last eight weeks into the last four and the four before, each stay counting for its part in each", () => {
    // Days 72 to 100 and 44 to 72.
    expect(finding("To Do").trend).toEqual({ periodDays: 28, current: 10, previous: 10 });
    expect(finding("In Progress").trend).toEqual({ periodDays: 28, current: 28, previous: 12 });
    expect(bottlenecks.transitions.find((each) => each.step === "To Do" && each.to === "In Progress")!.trend).toEqual({ periodDays: 28, current: 0, previous: 10 });
  });
});

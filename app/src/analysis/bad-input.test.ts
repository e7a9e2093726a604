/**
 * What real logs get wrong: every case still produces an output, counted in the data-quality
 * section and explained in a note, and the numbers are the ones the correct log would give.
 */
import { describe, expect, it } from "vitest";
import { DAY_MS, type EventLog, type LogEvent, type LogItem } from "./event-log.js";
import { computeScanOutput, type ScanOutput } from "./scan-output.js";

const T0 = Date.UTC(2024, 2, 4);
const day = (n: number): number => T0 + n * DAY_MS;

const item = (key: string, createdAt: number | null, currentStep: string | null = null): LogItem => ({
  key,
  createdAt,
  type: null,
  priority: null,
  labels: [],
  currentStep,
  currentAssignee: null,
});

const move = (key: string, at: number, from: string, to: string): LogEvent => ({ item: key, at, kind: "step", from, to, actor: null });

/** A healthy item next to the faulty one: created day 0, in progress day 1, done day 3. */
const HEALTHY = { item: item("OK-1", day(0)), events: [move("OK-1", day(1), "To Do", "In Progress"), move("OK-1", day(3), "In Progress", "Done")] };

function scan(items: LogItem[], events: LogEvent[]): ScanOutput {
  const log: EventLog = { stepSource: "status", items: [HEALTHY.item, ...items], events: [...HEALTHY.events, ...events], asOf: day(40) };
  let output: ScanOutput | undefined;
  expect(() => {
    output = computeScanOutput(log, { computedAt: 0 });
  }).not.toThrow();
  return output!;
}

const noteMatching = (output: ScanOutput, pattern: RegExp): string | undefined => output.dataQuality.notes.find((note) => pattern.test(note));
const completionDays = (output: ScanOutput): number[] => output.cycleTime.scatter.points.map(([completedAt]) => completedAt).map((at) => (at - T0) / DAY_MS);

describe("bad input", () => {
  it("sorts events that arrive out of order", () => {
    const output = scan([item("A", day(0))], [move("A", day(5), "In Progress", "Done"), move("A", day(2), "To Do", "In Progress")]);
    expect(output.dataQuality.outOfOrderEvents).toBe(1);
    expect(noteMatching(output, /^1 events arrived out of time order/)).toBeDefined();
    expect(output.processMap.transitions.find((edge) => edge.from === "To Do" && edge.to === "In Progress")?.count).toBe(2);
    expect(output.processMap.transitions.find((edge) => edge.from === "Done")).toBeUndefined();
    expect(output.cycleTime.leadMs.p95).toBe(5 * DAY_MS);
  });

  it("counts a duplicated event once", () => {
    const output = scan([item("A", day(0))], [move("A", day(2), "To Do", "In Progress"), move("A", day(2), "To Do", "In Progress"), move("A", day(4), "In Progress", "Done")]);
    expect(output.dataQuality.duplicateEvents).toBe(1);
    expect(noteMatching(output, /^1 duplicate events were counted once/)).toBeDefined();
    expect(output.processMap.steps.find((node) => node.step === "In Progress")?.visits).toBe(2);
    expect(output.dataQuality.zeroLengthVisits).toBe(0);
  });

  it("lets the first event stand for a missing creation time", () => {
    const output = scan([item("A", null)], [move("A", day(2), "To Do", "In Progress"), move("A", day(6), "In Progress", "Done")]);
    expect(output.dataQuality.itemsWithoutCreation).toBe(1);
    expect(noteMatching(output, /^1 items have no creation time/)).toBeDefined();
    expect(output.sample.items).toBe(2);
    // Lead time from the first event (day 2) to Done (day 6).
    expect(output.cycleTime.leadMs.p95).toBe(4 * DAY_MS);
  });

  it("leaves out an item with neither a creation time nor an event", () => {
    const output = scan([item("A", null, "To Do")], []);
    expect(output.dataQuality.itemsWithoutTime).toBe(1);
    expect(noteMatching(output, /^1 items have neither a creation time nor an event/)).toBeDefined();
    expect(output.sample.items).toBe(1);
  });

  it("moves creation back to an event dated before it (clock skew)", () => {
    const output = scan([item("A", day(3))], [move("A", day(1), "To Do", "In Progress"), move("A", day(8), "In Progress", "Done")]);
    expect(output.dataQuality.eventsBeforeCreation).toBe(1);
    expect(noteMatching(output, /^1 events are dated before their item's creation/)).toBeDefined();
    expect(output.cycleTime.leadMs.p95).toBe(7 * DAY_MS);
  });

  it("keeps two changes at the same instant as a zero-length stay", () => {
    const output = scan([item("A", day(0))], [move("A", day(2), "To Do", "In Progress"), move("A", day(2), "In Progress", "Done")]);
    expect(output.dataQuality.zeroLengthVisits).toBe(1);
    expect(noteMatching(output, /^1 stays began and ended at the same instant/)).toBeDefined();
    expect(output.processMap.transitions.find((edge) => edge.from === "In Progress" && edge.to === "Done")?.count).toBe(2);
    // Completed on day 2, with no active time and a zero cycle time.
    expect(completionDays(output).sort((a, b) => a - b)).toEqual([2, 3]);
    expect(output.cycleTime.cycleMs.p50).toBe(0);
  });

  it("drops events for items the log does not hold", () => {
    const output = scan([], [move("GHOST", day(2), "To Do", "In Progress")]);
    expect(output.dataQuality.eventsForUnknownItems).toBe(1);
    expect(noteMatching(output, /^1 events name items the log does not hold/)).toBeDefined();
    expect(output.sample.items).toBe(1);
    expect(output.processMap.steps.find((node) => node.step === "In Progress")?.visits).toBe(1);
  });

  it("gives items that share a key (keys should be unique) each the key's events", () => {
    const output = scan([item("A", day(0)), item("A", day(0))], [move("A", day(1), "To Do", "In Progress"), move("A", day(4), "In Progress", "Done")]);
    expect(output.sample.items).toBe(3);
    expect(output.processMap.steps.find((node) => node.step === "In Progress")?.visits).toBe(3);
    expect(completionDays(output).sort((a, b) => a - b)).toEqual([3, 4, 4]);
  });

  it("counts Done → In Progress → Done as one reopen, with lead time to the final Done", () => {
    const output = scan(
      [item("A", day(0))],
      [move("A", day(1), "To Do", "In Progress"), move("A", day(2), "In Progress", "Done"), move("A", day(5), "Done", "In Progress"), move("A", day(9), "In Progress", "Done")],
    );
    expect(output.rework.reopens).toBe(1);
    expect(output.rework.itemsReopened).toBe(1);
    expect(output.counts.reopenRate).toBe(0.5);
    expect(output.counts.completed).toBe(2);
    // Only the final completion counts: lead 9 days (not 2), cycle 8 days from the first start.
    expect(completionDays(output).sort((a, b) => a - b)).toEqual([3, 9]);
    expect(output.cycleTime.leadMs.p95).toBe(9 * DAY_MS);
    expect(output.cycleTime.cycleMs.p95).toBe(8 * DAY_MS);
    // Active time: days 1–2 and 5–9, five of nine days.
    const efficiency = output.cycleTime.flowEfficiency;
    expect(efficiency.overall).toBeCloseTo((2 + 5) / (3 + 9), 12);
  });
});

describe("a window that ends before the log does", () => {
  it("counts work as it stood at the window's end: finished later is still open, in the step it was in", () => {
    const late = item("LATE-1", day(0), "Done");
    const events = [move("LATE-1", day(1), "To Do", "In Progress"), move("LATE-1", day(20), "In Progress", "Done")];
    const log: EventLog = { stepSource: "status", items: [HEALTHY.item, late], events: [...HEALTHY.events, ...events], asOf: day(40) };
    const atDay10 = computeScanOutput(log, { computedAt: 0, filters: { to: day(10) } });
    expect(atDay10.sample).toMatchObject({ items: 2, completed: 1, open: 1 });
    expect(completionDays(atDay10)).toEqual([3]);
    expect(atDay10.timeInStatus.find((step) => step.step === "In Progress")?.wip).toBe(1);
    // The whole log still sees both done.
    expect(computeScanOutput(log, { computedAt: 0 }).sample).toMatchObject({ completed: 2, open: 0 });
  });

  it("puts an item whose first move came after the window's end in the step that move left", () => {
    const waiting = item("WAIT-1", day(0), "In Progress");
    const log: EventLog = { stepSource: "status", items: [HEALTHY.item, waiting], events: [...HEALTHY.events, move("WAIT-1", day(15), "Backlog", "In Progress")], asOf: day(40) };
    const atDay10 = computeScanOutput(log, { computedAt: 0, filters: { to: day(10) } });
    expect(atDay10.timeInStatus.find((step) => step.step === "Backlog")?.wip).toBe(1);
    expect(atDay10.timeInStatus.find((step) => step.step === "In Progress")?.wip ?? 0).toBe(0);
  });
});

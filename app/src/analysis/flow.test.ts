import { describe, expect, it } from "vitest";
import { DAY_MS, type EventLog, type LogItem } from "./event-log.js";
import { FLOW_DAYS } from "./flow.js";
import { computeScanOutput } from "./scan-output.js";

const at = (iso: string) => Date.parse(iso);
const item = (key: string, created: string, currentStep: string): LogItem => ({ key, createdAt: at(created), type: null, priority: null, labels: [], currentStep, currentAssignee: null });

/**
 * "a" was created long before the 90 days shown and is still in progress; "b" went through
 * review to Done inside them; "c" arrived and left the queue on the same day.
 */
const log: EventLog = {
  stepSource: "status",
  items: [item("a", "2025-06-01T10:00:00Z", "In Progress"), item("b", "2026-03-02T09:00:00Z", "Done"), item("c", "2026-03-04T08:00:00Z", "In Progress")],
  events: [
    { item: "a", at: at("2025-06-02T10:00:00Z"), kind: "step", from: "To Do", to: "In Progress", actor: null },
    { item: "b", at: at("2026-03-03T15:00:00Z"), kind: "step", from: "To Do", to: "In Review", actor: null },
    { item: "b", at: at("2026-03-05T11:00:00Z"), kind: "step", from: "In Review", to: "Done", actor: null },
    { item: "c", at: at("2026-03-04T17:00:00Z"), kind: "step", from: "To Do", to: "In Progress", actor: null },
  ],
  asOf: at("2026-03-06T12:00:00Z"),
};

/** Day d of the output's days, by its date. */
const dayIndex = (firstDay: number, iso: string) => (Date.parse(`${iso}T00:00:00Z`) - firstDay) / DAY_MS;

describe("daily flow", () => {
  const { flow } = computeScanOutput(log);
  const band = (step: string) => flow.cumulativeFlow.find((entry) => entry.step === step)?.counts;

  it("shows the 90 days ending on the day of the output", () => {
    expect(flow.days).toBe(FLOW_DAYS);
    expect(flow.firstDay + (FLOW_DAYS - 1) * DAY_MS).toBe(at("2026-03-06T00:00:00Z"));
    expect(flow.cumulativeFlow.map((entry) => entry.step)).toEqual(["Done", "In Progress", "In Review", "To Do"]);
  });

  it("counts an item in a step on every day it ended in that step", () => {
    const day = (iso: string) => dayIndex(flow.firstDay, iso);
    // "a" has been in progress since long before the first day shown; "c" joined it on the 4th.
    expect(band("In Progress")![0]).toBe(1);
    expect(band("In Progress")!.slice(day("2026-03-03"), day("2026-03-06") + 1)).toEqual([1, 2, 2, 2]);
    // "b" waited in the queue on the 2nd, was in review on the 3rd and 4th, done from the 5th.
    expect(band("To Do")!.slice(day("2026-03-01"), day("2026-03-06") + 1)).toEqual([0, 1, 0, 0, 0, 0]);
    expect(band("In Review")!.slice(day("2026-03-02"), day("2026-03-06") + 1)).toEqual([0, 1, 1, 0, 0]);
    expect(band("Done")!.slice(day("2026-03-04"), day("2026-03-06") + 1)).toEqual([0, 1, 1]);
    // "c" was in the queue only within the 4th: no day ended with it there.
    expect(band("To Do")![day("2026-03-04")]).toBe(0);
  });

  it("counts completions on the day they happened", () => {
    const day = dayIndex(flow.firstDay, "2026-03-05");
    expect(flow.throughput[day]).toBe(1);
    expect(flow.throughput.reduce((sum, count) => sum + count, 0)).toBe(1);
  });
});

import { describe, expect, it } from "vitest";
import type { EventLog } from "./event-log.js";
import { computeScanOutput } from "./scan-output.js";

const at = (iso: string) => Date.parse(iso);

/** Created on a Friday afternoon, worked on Monday morning, done by Monday noon. */
const log: EventLog = {
  stepSource: "status",
  items: [{ key: "a", createdAt: at("2026-03-06T16:00:00Z"), type: null, priority: null, labels: [], currentStep: "Done", currentAssignee: null }],
  events: [
    { item: "a", at: at("2026-03-09T10:00:00Z"), kind: "step", from: "To Do", to: "In Progress", actor: null },
    { item: "a", at: at("2026-03-09T12:00:00Z"), kind: "step", from: "In Progress", to: "Done", actor: null },
  ],
  asOf: at("2026-03-10T00:00:00Z"),
};

describe("lead and cycle time in calendar and business time", () => {
  it("counts the weekend in calendar time and only working hours in business time", () => {
    const { cycleTime } = computeScanOutput(log);
    expect(cycleTime.leadMs.p50).toBe(68 * 3_600_000);
    expect(cycleTime.businessLeadMs.p50).toBe(4 * 3_600_000); // Friday 16–17, Monday 9–12
    expect(cycleTime.cycleMs.p50).toBe(2 * 3_600_000);
    expect(cycleTime.businessCycleMs.p50).toBe(2 * 3_600_000);
  });

  it("reads working hours in the scope's time zone", () => {
    const calendar = { timeZone: "America/New_York", workingDays: [1, 2, 3, 4, 5], dayStart: "09:00", dayEnd: "17:00", holidays: [] };
    const { cycleTime, calendar: used } = computeScanOutput(log, { calendar });
    expect(used).toEqual(calendar);
    // 16:00Z Friday is 11:00 in New York (6 hours left that day); Monday 10:00Z and 12:00Z are before 09:00 there.
    expect(cycleTime.businessLeadMs.p50).toBe(6 * 3_600_000);
    expect(cycleTime.businessCycleMs.p50).toBe(0);
  });
});

import { describe, expect, it } from "vitest";
import { DAY_MS, type EventLog, type LogEvent, type LogItem } from "../analysis/event-log.js";
import { computeScanOutput } from "../analysis/scan-output.js";
import { duration, headlineFigures } from "./overview-figures.js";

const T0 = Date.UTC(2026, 0, 5);

/** Items created a day apart, each two days in To Do and `days` in In Progress before Done; the last two still in progress. */
function log(count: number, days: (n: number) => number): EventLog {
  const items: LogItem[] = [];
  const events: LogEvent[] = [];
  for (let n = 0; n < count; n += 1) {
    const key = `K-${n}`;
    const created = T0 + n * DAY_MS;
    const open = n >= count - 2;
    items.push({ key, createdAt: created, type: null, priority: null, labels: [], currentStep: open ? "In Progress" : "Done", currentAssignee: null });
    events.push({ item: key, at: created + 2 * DAY_MS, kind: "step", from: "To Do", to: "In Progress", actor: null });
    if (!open) events.push({ item: key, at: created + (2 + days(n)) * DAY_MS, kind: "step", from: "In Progress", to: "Done", actor: null });
  }
  return { stepSource: "status", items, events, asOf: T0 + (count + 10) * DAY_MS };
}

describe("headline figures", () => {
  it("writes out throughput against the four weeks before, WIP, cycle time and the top bottlenecks", () => {
    // 70 items, a day apart: the last four weeks complete fewer than the four before (the last two never complete).
    const output = computeScanOutput(log(70, (n) => 1 + (n % 3)), { computedAt: 0 });
    const figures = headlineFigures(output);
    const daily = output.flow.throughput;
    expect(figures.throughput.last).toBe(daily.slice(-28).reduce((a, b) => a + b, 0));
    expect(figures.throughput.previous).toBe(daily.slice(-56, -28).reduce((a, b) => a + b, 0));
    expect(figures.throughput.trend.arrow).toBe(figures.throughput.last < figures.throughput.previous ? "↓" : figures.throughput.last > figures.throughput.previous ? "↑" : "→");
    expect(figures.wip).toBe(2);
    expect(figures.cycleTime).toEqual({ median: duration(output.cycleTime.cycleMs.p50!), p85: duration(output.cycleTime.cycleMs.p85!), completed: 68 });
    expect(figures.bottlenecks.map((finding) => finding.step)).toEqual(["In Progress", "To Do"]);
    expect(figures.bottlenecks[0]).toMatchObject({ waitClass: "active work", items: 70 });
    expect(figures.sample).toEqual({ items: 70, completed: 68, thin: false });
    expect(figures.drift).toBeNull();
  });

  it("marks thin data and leaves out what cannot be said", () => {
    const figures = headlineFigures(computeScanOutput(log(3, () => 1), { computedAt: 0 }));
    expect(figures.sample.thin).toBe(true);
    expect(figures.reopenRate).toBe("0 %");
  });

  it("writes durations in minutes, hours or days", () => {
    expect(duration(25 * 60_000)).toBe("25 min");
    expect(duration(30 * 3_600_000)).toBe("30.0 h");
    expect(duration(3.25 * DAY_MS)).toBe("3.3 days");
  });
});

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
    expect(figures.wip.now).toBe(2);
    expect(figures.cycleTime).toMatchObject({ median: duration(output.cycleTime.cycleMs.p50!), p85: duration(output.cycleTime.cycleMs.p85!), completed: 68 });
    expect(figures.bottlenecks.map((finding) => finding.step)).toEqual(["In Progress", "To Do"]);
    expect(figures.bottlenecks[0]).toMatchObject({ waitClass: "active work", items: 70 });
    // Both periods are said, not only the one before.
    const { current, previous, periodDays } = output.bottlenecks.headline[0]!.trend;
    const change = current === previous ? "as" : `${current < previous ? "down" : "up"} from ${previous.toFixed(1)}`;
    expect(figures.bottlenecks[0]!.trend.words).toBe(`${current.toFixed(1)} item-days in the last ${periodDays} days, ${change} in the ${periodDays} before`);
    expect(figures.sample).toEqual({ items: 70, completed: 68, thin: false });
    expect(figures.drift).toBeNull();
  });

  it("compares open items with four weeks ago, and the median cycle time with the four weeks before", () => {
    // Items 0–69 created on days 0–69; in progress from creation + 2 days, for a day before item 50 and three days from it; the last two never done.
    const cycleDays = (n: number) => (n < 50 ? 1 : 3);
    const output = computeScanOutput(log(70, cycleDays), { computedAt: 0 });
    const figures = headlineFigures(output);
    // The output is drawn on day 80; four weeks before is the end of day 52.
    const endOfDay = (day: number) => T0 + (day + 1) * DAY_MS;
    const openAt = (at: number) => {
      let open = 0;
      for (let n = 0; n < 70; n += 1) {
        const created = T0 + n * DAY_MS;
        const done = n >= 68 ? Number.POSITIVE_INFINITY : created + (2 + cycleDays(n)) * DAY_MS;
        if (created < at && done >= at) open += 1;
      }
      return open;
    };
    const then = openAt(endOfDay(80 - 28));
    expect(figures.wip.trend).toEqual({ arrow: 2 > then ? "↑" : 2 < then ? "↓" : "→", words: 2 === then ? "as four weeks ago" : `${2 > then ? "up" : "down"} from ${then} items four weeks ago` });
    // Completed in days 52–80: items 48–67 (cycle 1 day for 48–49, 3 days for 50–67); in days 24–52: items 20–47 (1 day).
    expect(figures.cycleTime!.trend).toEqual({ arrow: "↑", words: `${duration(DAY_MS)} for items completed in the four weeks before` });
  });

  it("compares flow efficiency and the reopen rate of the last four weeks with the four before", () => {
    // Two days in To Do, then a day in progress before item 50 and three from it: 1/3 and 3/5 of lead time is active.
    const figures = headlineFigures(computeScanOutput(log(70, (n) => (n < 50 ? 1 : 3)), { computedAt: 0 }));
    // Weeks start on Mondays (day 0 is one); the output is drawn on day 80, in the week of day 77. Completed in the
    // weeks of days 56–83: items 51–67, all 3/5; in those of days 28–55: items 25–49 (1/3) and item 50 (3/5): 28 of 80 days.
    expect(figures.flowEfficiency!.trend).toEqual({ arrow: "↑", words: "60 % in the last four weeks, up from 35 % in the four before" });
    expect(figures.reopenRate).toEqual({ now: "0 %", trend: { arrow: "→", words: "0 % in the last four weeks, as in the four before" } });
  });

  it("marks thin data and leaves out what cannot be said", () => {
    const figures = headlineFigures(computeScanOutput(log(3, () => 1), { computedAt: 0 }));
    expect(figures.sample.thin).toBe(true);
    expect(figures.reopenRate).toEqual({ now: "0 %", trend: null });
    expect(figures.flowEfficiency!.trend).toBeNull();
  });

  it("writes durations in minutes, hours or days", () => {
    expect(duration(25 * 60_000)).toBe("25 min");
    expect(duration(30 * 3_600_000)).toBe("30.0 h");
    expect(duration(3.25 * DAY_MS)).toBe("3.3 days");
  });
});

import { createReadStream } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { EventLog, LogEvent } from "../event-log.js";
import { importCsvLog } from "../import/csv.js";
import type { ImportResult } from "../import/result.js";
import { importXesLog } from "../import/xes.js";
import { exportCsvLog } from "./csv.js";
import { exportXesLog } from "./xes.js";

const FIXTURES = new URL("../../../../test/fixtures/eventlogs/", import.meta.url);
const EXPORTED_CSV_MAPPING = { caseId: "case_id", activity: "activity", timestamp: "timestamp", resource: "resource" };

const formats: [string, (log: EventLog) => Promise<ImportResult>][] = [
  ["CSV", (log) => importCsvLog(exportCsvLog(log), EXPORTED_CSV_MAPPING, {})],
  ["XES", (log) => importXesLog(exportXesLog(log))],
];

/** What an import makes of these events: ordered by case id, then time, then given order; repeats dropped. */
function imported(events: readonly LogEvent[]): LogEvent[] {
  const ordered = events
    .map((event, index) => ({ event, index }))
    .sort((a, b) => (a.event.item < b.event.item ? -1 : a.event.item > b.event.item ? 1 : a.event.at - b.event.at || a.index - b.index))
    .map(({ event }) => event);
  const seen = new Set<string>();
  return ordered.filter((event) => {
    const identity = JSON.stringify([event.item, event.at, event.to, event.actor]);
    if (seen.has(identity)) return false;
    seen.add(identity);
    return true;
  });
}

// Names full of what formats must escape: separators, quotes, markup, line breaks, tabs, non-ASCII.
const name = fc
  .string({ unit: fc.constantFrom("a", "Z", "7", " ", ",", ";", '"', "'", "&", "<", ">", "=", "\t", "\n", "\r", "é", "ß", "😀", "\u2028"), minLength: 1, maxLength: 8 })
  .filter((text) => text.trim() !== "");
// Few distinct times and cases, so ties and repeats happen.
const randomEvent = fc.record({
  item: fc.oneof(fc.constantFrom("c1", "c2", "C1", "c10"), name),
  at: fc.oneof(fc.constantFrom(Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 1, 0, 0, 0, 1)), fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2040, 0, 1) })),
  kind: fc.constant("step" as const),
  from: fc.constant(null),
  to: fc.oneof(fc.constantFrom("A", "B"), name),
  actor: fc.option(name, { nil: null }),
});

describe.each(formats)("%s export then import", (_format, roundTrip) => {
  it("gives back the running example's log", async () => {
    const original = (await importXesLog(createReadStream(new URL("running-example.xes", FIXTURES)))).log;
    expect((await roundTrip(original)).log).toEqual(original);
  });

  it("gives back receipt.csv's log", async () => {
    const mapping = { caseId: "case:concept:name", activity: "concept:name", timestamp: "time:timestamp", resource: "org:resource" };
    const original = (await importCsvLog(createReadStream(new URL("receipt.csv", FIXTURES)), mapping, {})).log;
    expect((await roundTrip(original)).log).toEqual(original);
  });

  it("keeps any names, times and resources, ordering and merging events as an import does", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(randomEvent, { minLength: 1, maxLength: 25 }), async (events) => {
        const first = await roundTrip({ stepSource: "activity", items: [], events, asOf: 0 });
        const expected = imported(events);
        expect(first.log.events).toEqual(expected);
        expect(first.log.items.map((item) => item.key)).toEqual([...new Set(expected.map((event) => event.item))]);
        expect(first.log.asOf).toBe(Math.max(...events.map((event) => event.at)));
        expect(first.quality.duplicateEvents).toBe(events.length - expected.length);
        expect((await roundTrip(first.log)).log).toEqual(first.log);
      }),
      { numRuns: 150 },
    );
  });
});

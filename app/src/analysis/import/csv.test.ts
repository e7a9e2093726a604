import { createReadStream, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { importCsvLog, type CsvColumnMapping } from "./csv.js";
import { ImportError, MAX_LISTED_SKIPS } from "./result.js";

const RECEIPT = new URL("../../../../test/fixtures/eventlogs/receipt.csv", import.meta.url);
const RECEIPT_MAPPING: CsvColumnMapping = {
  caseId: "case:concept:name",
  activity: "concept:name",
  timestamp: "time:timestamp",
  resource: "org:resource",
};
const MAPPING: CsvColumnMapping = { caseId: "case", activity: "activity", timestamp: "time", resource: "who" };

/** The text as a stream of byte chunks of `size` bytes, the way a file or upload arrives. */
async function* bytes(text: string, size = 16): AsyncGenerator<Buffer> {
  const data = Buffer.from(text);
  for (let start = 0; start < data.length; start += size) yield data.subarray(start, start + size);
}

describe("importCsvLog on receipt.csv", async () => {
  const result = await importCsvLog(createReadStream(RECEIPT), RECEIPT_MAPPING, {});
  // An independent reading of the file, which has no quoted fields: split on commas.
  const [header = [], ...rows] = readFileSync(RECEIPT, "utf8").trim().split("\n").map((line) => line.split(","));

  it("has every event, case and activity of the file", () => {
    expect(rows).toHaveLength(8_577);
    expect(result.log.events).toHaveLength(8_577);
    expect(result.log.items).toHaveLength(1_434);
    expect(new Set(result.log.events.map((event) => event.to)).size).toBe(27);
    expect(new Set(result.log.events.map((event) => event.actor)).size).toBe(48);
    expect(result.quality).toMatchObject({ format: "csv", recordsRead: 8_577, recordsKept: 8_577, duplicateEvents: 0, timestampsAssumedUtc: 0 });
    expect(result.quality.skipped.total).toBe(0);
  });

  it("reads the first row as the file says, with its offset", () => {
    const first = result.log.events.find((event) => event.item === "case-10011");
    expect(first).toEqual({
      item: "case-10011",
      at: Date.UTC(2011, 9, 11, 11, 45, 40, 276),
      kind: "step",
      from: null,
      to: "Confirmation of receipt",
      actor: "Resource21",
    });
    expect(result.log.items.find((item) => item.key === "case-10011")).toEqual({
      key: "case-10011",
      createdAt: null,
      type: null,
      priority: null,
      labels: [],
      currentStep: null,
      currentAssignee: null,
    });
  });

  it("sorts events by case, then time, and sets asOf to the latest event", () => {
    const { events, items, asOf } = result.log;
    for (let index = 1; index < events.length; index++) {
      const [previous, current] = [events[index - 1]!, events[index]!];
      expect(previous.item < current.item || (previous.item === current.item && previous.at <= current.at)).toBe(true);
    }
    expect(items.map((item) => item.key)).toEqual([...new Set(events.map((event) => event.item))]);
    expect(asOf).toBe(Math.max(...events.map((event) => event.at)));
  });

  it("keeps no value of an unmapped column anywhere in the result", () => {
    const keptColumns = Object.values(RECEIPT_MAPPING).map((name) => header.indexOf(name));
    const keptValues = new Set(rows.flatMap((row) => keptColumns.map((column) => row[column])));
    const droppedValues = new Set(
      rows.flatMap((row) => row.filter((value, column) => !keptColumns.includes(column) && value !== "" && !keptValues.has(value))),
    );
    const strings = new Set<string>();
    const json = JSON.stringify(result, (key, value: unknown) => {
      strings.add(key);
      if (typeof value === "string") strings.add(value);
      return value;
    });
    expect(droppedValues).toContain("Internet");
    expect(droppedValues).toContain("task-42933");
    expect(json).not.toContain("Internet");
    expect(json).not.toContain("task-");
    expect([...droppedValues].filter((value) => strings.has(value))).toEqual([]);
    expect(result.quality.ignoredColumns).toEqual(header.filter((name) => !Object.values(RECEIPT_MAPPING).includes(name)));
  });
});

describe("importCsvLog", () => {
  const BAD_TIMESTAMPS = [
    "case,activity,time,who",
    "c1,Register,2024-01-01T10:00:00Z,ann",
    "c1,Check,,bob",
    "c2,Register,next tuesday,ann",
    "c2,Check,2024-01-02T09:00:00+01:00,",
  ].join("\n");

  it("refuses a file with a missing and an unparseable timestamp, naming both lines", async () => {
    const rejection = importCsvLog(bytes(BAD_TIMESTAMPS), MAPPING, {});
    await expect(rejection).rejects.toThrow(ImportError);
    await expect(importCsvLog(bytes(BAD_TIMESTAMPS), MAPPING, {})).rejects.toThrow(
      /^2 rows have .*\(line 3: missing timestamp; line 4: unparseable timestamp\)\. Nothing was imported/,
    );
  });

  it("with skipBadRows, imports the rest and lists the skipped lines", async () => {
    const { log, quality } = await importCsvLog(bytes(BAD_TIMESTAMPS), MAPPING, { skipBadRows: true });
    expect(log.events).toEqual([
      { item: "c1", at: Date.UTC(2024, 0, 1, 10), kind: "step", from: null, to: "Register", actor: "ann" },
      { item: "c2", at: Date.UTC(2024, 0, 2, 8), kind: "step", from: null, to: "Check", actor: null },
    ]);
    expect(log.items.map((item) => item.key)).toEqual(["c1", "c2"]);
    expect(quality.recordsRead).toBe(4);
    expect(quality.recordsKept).toBe(2);
    expect(quality.skipped).toEqual({
      total: 2,
      listed: [
        { line: 3, reason: "missing timestamp" },
        { line: 4, reason: "unparseable timestamp" },
      ],
    });
    expect(quality.notes).toContain("2 rows without a usable case id, activity or timestamp were skipped.");
  });

  it("counts file lines, not records, when quoted fields span lines", async () => {
    const text = 'case,activity,time,who\nc1,"Two-line\nactivity",2024-01-01T10:00:00Z,ann\n,Check,2024-01-01T11:00:00Z,ann\nc1,,2024-01-01T12:00:00Z,ann\n';
    await expect(importCsvLog(bytes(text, 5), MAPPING, {})).rejects.toThrow(/\(line 4: missing case id; line 5: missing activity\)/);
  });

  it("names 20 bad lines in the error and the total, and lists at most 100 when skipping", async () => {
    const bad = Array.from({ length: 150 }, (_, index) => `c${index},A,not-a-time,`);
    const text = ["case,activity,time,who", "ok,A,2024-01-01T00:00:00Z,", ...bad].join("\n");
    const error: unknown = await importCsvLog(bytes(text, 4096), MAPPING, {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ImportError);
    const message = (error as ImportError).message;
    expect(message).toMatch(/^150 rows have /);
    expect(message.match(/line \d+:/g)).toHaveLength(20);
    expect(message).toContain("line 3: unparseable timestamp");
    expect(message).toContain("line 22: unparseable timestamp, and 130 more");

    const { log, quality } = await importCsvLog(bytes(text, 4096), MAPPING, { skipBadRows: true });
    expect(log.events).toHaveLength(1);
    expect(quality.skipped.total).toBe(150);
    expect(quality.skipped.listed).toHaveLength(MAX_LISTED_SKIPS);
    expect(quality.skipped.listed.at(-1)).toEqual({ line: 102, reason: "unparseable timestamp" });
  });

  it("reads quoted fields holding commas, quotes and line breaks", async () => {
    const text = [
      "who,time,activity,case,notes",
      '"Smith, J.",2024-03-01T08:00:00Z,"Check ""urgent""\r\nrequest","A,1","long, free text"',
      'Jones,2024-03-01T09:00:00Z,Close,"A,1",',
    ].join("\r\n");
    const { log, quality } = await importCsvLog(bytes(text, 3), MAPPING, {});
    expect(log.events.map(({ item, to, actor }) => ({ item, to, actor }))).toEqual([
      { item: "A,1", to: 'Check "urgent"\r\nrequest', actor: "Smith, J." },
      { item: "A,1", to: "Close", actor: "Jones" },
    ]);
    expect(quality.ignoredColumns).toEqual(["notes"]);
    expect(JSON.stringify(log)).not.toContain("free text");
  });

  it("names a mapped column the file lacks, and lists the columns it has", async () => {
    const text = "case,activity,timestamp\nc1,A,2024-01-01T00:00:00Z\n";
    await expect(importCsvLog(bytes(text), MAPPING, {})).rejects.toThrow(ImportError);
    await expect(importCsvLog(bytes(text), MAPPING, {})).rejects.toThrow(
      'The CSV has no column "time" (the timestamp), "who" (the resource). Its columns are: "case", "activity", "timestamp".',
    );
  });

  it("reads times without an offset as UTC and epoch numbers, and says so", async () => {
    const text = "case,activity,time\nc1,A,2024-01-01 10:00:00\nc1,B,1704106800\nc1,C,1704110400000\n";
    const { log, quality } = await importCsvLog(bytes(text), { caseId: "case", activity: "activity", timestamp: "time" }, {});
    expect(log.events.map((event) => event.at)).toEqual([Date.UTC(2024, 0, 1, 10), Date.UTC(2024, 0, 1, 11), Date.UTC(2024, 0, 1, 12)]);
    expect(log.events.every((event) => event.actor === null)).toBe(true);
    expect(quality.timestampsAssumedUtc).toBe(1);
    expect(quality.notes).toContain("1 timestamps had no UTC offset and were read as UTC.");
  });

  it("orders each case's events by time, file order breaking ties, and keeps duplicates once", async () => {
    const text = [
      "case,activity,time,who",
      "b,Late,2024-01-03T00:00:00Z,x",
      "a,Second,2024-01-02T00:00:00Z,x",
      "b,Early,2024-01-01T00:00:00Z,x",
      "a,First,2024-01-02T00:00:00Z,y",
      "a,Second,2024-01-02T00:00:00Z,x",
      "a,Second,2024-01-02T00:00:00Z,",
      "a,Start,2024-01-01T00:00:00Z,x",
    ].join("\n");
    const { log, quality } = await importCsvLog(bytes(text), MAPPING, {});
    expect(log.events.map((event) => `${event.item}:${event.to}:${event.actor ?? "-"}`)).toEqual([
      "a:Start:x",
      "a:Second:x",
      "a:First:y",
      "a:Second:-",
      "b:Early:x",
      "b:Late:x",
    ]);
    expect(log.asOf).toBe(Date.UTC(2024, 0, 3));
    expect(quality.duplicateEvents).toBe(1);
    expect(quality.recordsKept).toBe(6);
  });

  it("rejects an empty file and a file with only a header", async () => {
    await expect(importCsvLog(bytes(""), MAPPING, {})).rejects.toThrow("The file is empty: it has no header row.");
    await expect(importCsvLog(bytes("case,activity,time,who\r\n"), MAPPING, {})).rejects.toThrow(/no events/);
  });

  it("decodes UTF-8 split across chunks and drops a byte order mark", async () => {
    const text = "\uFEFFcase,activity,time\nçase-é,Prüfung 🧾,2024-01-01T00:00:00Z\n";
    const { log } = await importCsvLog(bytes(text, 1), { caseId: "case", activity: "activity", timestamp: "time" }, {});
    expect(log.events[0]).toMatchObject({ item: "çase-é", to: "Prüfung 🧾" });
  });
});

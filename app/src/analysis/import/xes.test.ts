import { createReadStream, readFileSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { ImportError } from "./result.js";
import { importXesLog } from "./xes.js";

const FIXTURES = new URL("../../../../test/fixtures/eventlogs/", import.meta.url);
const RUNNING_EXAMPLE = new URL("running-example.xes", FIXTURES);
const BPIC_2012 = new URL("bpic2012.xes.gz", FIXTURES);

/** The data as a stream of byte chunks of `size` bytes, the way a file or upload arrives. */
async function* bytes(data: string | Buffer, size = 64): AsyncGenerator<Buffer> {
  const buffer = typeof data === "string" ? Buffer.from(data) : data;
  for (let start = 0; start < buffer.length; start += size) yield buffer.subarray(start, start + size);
}

/** A small XES document with the given trace elements. */
function xes(traces: string, extensions = ""): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>${extensions}
  <string key="creator" value="test"/>
${traces}
</log>
`;
}

function event(activity: string | null, timestamp: string | null, extra = ""): string {
  const name = activity === null ? "" : `<string key="concept:name" value="${activity}"/>`;
  const time = timestamp === null ? "" : `<date key="time:timestamp" value="${timestamp}"/>`;
  return `<event>${name}${time}${extra}</event>`;
}

describe("importXesLog on running-example.xes", async () => {
  const { log, quality } = await importXesLog(createReadStream(RUNNING_EXAMPLE));

  it("has the 6 cases and 42 events of the file", () => {
    expect(log.stepSource).toBe("activity");
    expect(log.items.map((item) => item.key)).toEqual(["1", "2", "3", "4", "5", "6"]);
    expect(log.events).toHaveLength(42);
    expect(quality).toMatchObject({ format: "xes", recordsRead: 42, recordsKept: 42, duplicateEvents: 0, timestampsAssumedUtc: 0 });
  });

  it("reads case 1 step by step, with resources and offsets", () => {
    const case1 = log.events.filter((event) => event.item === "1");
    expect(case1).toEqual([
      { item: "1", at: Date.UTC(2010, 11, 30, 10, 2), kind: "step", from: null, to: "register request", actor: "Pete" },
      { item: "1", at: Date.UTC(2010, 11, 31, 9, 6), kind: "step", from: null, to: "examine thoroughly", actor: "Sue" },
      { item: "1", at: Date.UTC(2011, 0, 5, 14, 12), kind: "step", from: null, to: "check ticket", actor: "Mike" },
      { item: "1", at: Date.UTC(2011, 0, 6, 10, 18), kind: "step", from: null, to: "decide", actor: "Sara" },
      { item: "1", at: Date.UTC(2011, 0, 7, 13, 24), kind: "step", from: null, to: "reject request", actor: "Pete" },
    ]);
    expect(log.asOf).toBe(Date.UTC(2011, 0, 24, 13, 56));
  });

  it("drops the other attributes, listing their keys with counts", () => {
    expect(quality.ignoredAttributes).toEqual([
      { key: "creator", count: 6 },
      { key: "Activity", count: 42 },
      { key: "Resource", count: 42 },
      { key: "Costs", count: 42 },
    ]);
    expect(JSON.stringify(log)).not.toContain("Costs");
    expect(log.events.every((event) => Object.keys(event).length === 6)).toBe(true);
  });
});

describe("importXesLog on bpic2012.xes.gz", async () => {
  const result = await importXesLog(createReadStream(BPIC_2012));
  const text = gunzipSync(readFileSync(BPIC_2012)).toString("utf8");

  it("has as many cases and events as the file has <trace> and <event> elements", () => {
    expect(text.split("<trace>").length - 1).toBe(13_087);
    expect(text.split("<event>").length - 1).toBe(262_200);
    expect(result.log.items).toHaveLength(13_087);
    expect(result.log.events).toHaveLength(262_200);
    expect(result.quality).toMatchObject({ recordsRead: 262_200, recordsKept: 262_200, duplicateEvents: 0 });
  });

  it("counts the lifecycle transitions without keeping them", () => {
    const count = (transition: string) => text.split(`key="lifecycle:transition" value="${transition}"`).length - 1;
    expect(result.quality.lifecycleTransitions).toEqual([
      { transition: "COMPLETE", count: count("COMPLETE") },
      { transition: "SCHEDULE", count: count("SCHEDULE") },
      { transition: "START", count: count("START") },
    ]);
    expect(result.quality.lifecycleTransitions.reduce((sum, entry) => sum + entry.count, 0)).toBe(262_200);
    expect(JSON.stringify(result.log)).not.toMatch(/COMPLETE|SCHEDULE/);
  });

  it("lists the metadata extensions and the trace attributes it dropped", () => {
    expect(result.quality.ignoredExtensions.map((extension) => extension.prefix)).toEqual([
      "meta_time",
      "meta_life",
      "meta_org",
      "meta_concept",
      "meta_3TU",
      "meta_general",
      "semantic",
    ]);
    expect(result.quality.ignoredAttributes).toEqual([
      { key: "REG_DATE", count: 13_087 },
      { key: "AMOUNT_REQ", count: 13_087 },
    ]);
  });

  it("starts case 173688 with its submission, read from the trace's first event", () => {
    expect(result.log.events.find((event) => event.item === "173688")).toEqual({
      item: "173688",
      at: Date.UTC(2011, 8, 30, 22, 38, 44, 546),
      kind: "step",
      from: null,
      to: "A_SUBMITTED",
      actor: "112",
    });
  });
});

describe("importXesLog", () => {
  it("imports a log with an unknown extension, listing the extension and its attributes", async () => {
    const document = xes(
      `<trace><string key="concept:name" value="c1"/>${event("Pay", "2024-01-01T10:00:00Z", '<float key="cost:total" value="1234.5"/>')}${event("Close", "2024-01-01T11:00:00Z", '<float key="cost:total" value="99.25"/>')}</trace>`,
      '\n  <extension name="Cost" prefix="cost" uri="http://www.xes-standard.org/cost.xesext"/>',
    );
    const { log, quality } = await importXesLog(bytes(document));
    expect(log.events.map((entry) => entry.to)).toEqual(["Pay", "Close"]);
    expect(quality.ignoredExtensions).toEqual([{ name: "Cost", prefix: "cost" }]);
    expect(quality.ignoredAttributes).toEqual([{ key: "cost:total", count: 2 }]);
    expect(JSON.stringify({ log, quality })).not.toMatch(/1234|99\.25/);
  });

  it("refuses events without a timestamp or activity, naming the trace and event index", async () => {
    const document = xes(
      `<trace><string key="concept:name" value="c1"/>${event("A", "2024-01-01T10:00:00Z")}${event("B", null)}</trace>` +
        `<trace><string key="concept:name" value="c2"/>${event(null, "2024-01-01T10:00:00Z")}${event("C", "the 3rd of May")}${event("D", "2024-01-02T10:00:00Z")}</trace>`,
    );
    await expect(importXesLog(bytes(document))).rejects.toThrow(ImportError);
    await expect(importXesLog(bytes(document))).rejects.toThrow(
      '3 events have no usable case id, activity or timestamp (trace "c1", event index 1: missing timestamp; ' +
        'trace "c2", event index 0: missing activity; trace "c2", event index 1: unparseable timestamp). Nothing was imported',
    );

    const { log, quality } = await importXesLog(bytes(document), { skipBadRows: true });
    expect(log.events.map((entry) => `${entry.item}:${entry.to}`)).toEqual(["c1:A", "c2:D"]);
    expect(quality.recordsRead).toBe(5);
    expect(quality.skipped.listed).toEqual([
      { traceId: "c1", eventIndex: 1, reason: "missing timestamp" },
      { traceId: "c2", eventIndex: 0, reason: "missing activity" },
      { traceId: "c2", eventIndex: 1, reason: "unparseable timestamp" },
    ]);
  });

  it("reads a trace's concept:name after its events, skips traces without one, and ignores nested attributes", async () => {
    const nested = '<list key="parts"><string key="concept:name" value="nested name"/><date key="time:timestamp" value="1999-01-01T00:00:00Z"/></list>';
    const document = xes(
      `<trace>${event("A", "2024-01-01T10:00:00Z", nested)}${event("A2", null)}<string key="concept:name" value="late-name"/>${event("A3", "2024-01-01T09:00:00Z")}</trace>` +
        `<trace>${event("B", "2024-01-01T10:00:00Z")}${event(null, "2024-01-01T11:00:00Z")}</trace>` +
        `<trace><container key="meta"><string key="concept:name" value="not the id"/></container><string key="concept:name" value="c3"/>${event("C", "2024-01-01T10:00:00")}</trace>`,
    );
    const { log, quality } = await importXesLog(bytes(document, 7), { skipBadRows: true });
    expect(log.events).toEqual([
      { item: "c3", at: Date.UTC(2024, 0, 1, 10), kind: "step", from: null, to: "C", actor: null },
      { item: "late-name", at: Date.UTC(2024, 0, 1, 9), kind: "step", from: null, to: "A3", actor: null },
      { item: "late-name", at: Date.UTC(2024, 0, 1, 10), kind: "step", from: null, to: "A", actor: null },
    ]);
    expect(quality.skipped.listed).toEqual([
      { traceId: "late-name", eventIndex: 1, reason: "missing timestamp" },
      { traceId: null, eventIndex: 0, reason: "missing case id" },
      { traceId: null, eventIndex: 1, reason: "missing activity" },
    ]);
    expect(quality.timestampsAssumedUtc).toBe(1);
    expect(quality.ignoredAttributes).toEqual([
      { key: "parts", count: 1 },
      { key: "meta", count: 1 },
    ]);
  });

  it("keeps a repeated event once and counts it", async () => {
    const same = event("A", "2024-01-01T10:00:00Z", '<string key="org:resource" value="ann"/>');
    const { log, quality } = await importXesLog(bytes(xes(`<trace><string key="concept:name" value="c1"/>${same}${same}</trace>`)));
    expect(log.events).toHaveLength(1);
    expect(quality.duplicateEvents).toBe(1);
  });

  it("rejects malformed XML with the line saxes stopped on", async () => {
    const document = xes(`<trace><string key="concept:name" value="c1"/>\n${event("A", "2024-01-01T10:00:00Z")}\n</event></trace>`);
    const line = document.split("\n").findIndex((text) => text.startsWith("</event>")) + 1;
    await expect(importXesLog(bytes(document))).rejects.toThrow(ImportError);
    await expect(importXesLog(bytes(document))).rejects.toThrow(new RegExp(`^The file is not well-formed XML: .*\\(line ${line}, column \\d+\\)\\.$`));
  });

  it("rejects a truncated XES file with the line where it ends", async () => {
    const text = readFileSync(RUNNING_EXAMPLE, "utf8");
    const truncated = text.slice(0, text.indexOf("<trace>", 5_000));
    const lastLine = truncated.split("\n").length;
    await expect(importXesLog(bytes(truncated))).rejects.toThrow(new RegExp(`unclosed tag: log \\(line ${lastLine}, column \\d+\\)`));
  });

  it("rejects a file that is not XML, and XML that is not an XES log", async () => {
    await expect(importXesLog(bytes("case,activity\nc1,A\n"))).rejects.toThrow(
      /^The file is not well-formed XML: text data outside of root node \(line \d+, column \d+\)\.$/,
    );
    await expect(importXesLog(bytes("<html><body/></html>"))).rejects.toThrow("This is not an XES log: its root element is <html>, not <log>.");
  });

  it("stops reading the input at the first error, and leaves the input's own errors as they are", async () => {
    let released = false;
    async function* source(): AsyncGenerator<Buffer> {
      try {
        yield Buffer.from("<log>\n<trace></log>");
        yield Buffer.from("<never-read/>");
      } finally {
        released = true;
      }
    }
    await expect(importXesLog(source())).rejects.toThrow(/^The file is not well-formed XML: .*\(line 2, column \d+\)\.$/);
    expect(released).toBe(true);
    const missing = importXesLog(createReadStream(new URL("missing.xes", FIXTURES)));
    await expect(missing).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("gunzips a gzipped log, whatever size its first chunks are", async () => {
    const compressed = gzipSync(readFileSync(RUNNING_EXAMPLE));
    const { log } = await importXesLog(bytes(compressed, 1));
    expect(log.events).toHaveLength(42);
  });

  it("rejects a truncated gzip file clearly", async () => {
    const compressed = gzipSync(readFileSync(RUNNING_EXAMPLE));
    const truncated = compressed.subarray(0, Math.floor(compressed.length / 2));
    await expect(importXesLog(bytes(truncated, 256))).rejects.toThrow(ImportError);
    await expect(importXesLog(bytes(truncated, 256))).rejects.toThrow(/^The gzip data is truncated or corrupt \(unexpected end of file\)\.$/);
  });
});

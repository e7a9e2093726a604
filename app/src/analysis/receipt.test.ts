/**
 * The analysis against a real, public process-mining log: the receipt phase of an
 * environmental permit application (CoSeLoG / WABO, 4TU.ResearchData). Every figure is checked
 * against a second, deliberately plain computation over the parsed rows (no analysis module
 * involved), and the headline figures against the published ones.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { DAY_MS, type EventLog, type LogEvent, type LogItem } from "./event-log.js";
import { computeScanOutput, type ScanOutput } from "./scan-output.js";

const FIXTURE = new URL("../../../test/fixtures/eventlogs/receipt.csv", import.meta.url);

interface Row {
  caseId: string;
  activity: string;
  at: number;
  resource: string;
}

/** The file quotes no field (checked below), so a plain split on commas reads it. */
function readRows(text: string): Row[] {
  const lines = text.split(/\r?\n/).filter((line) => line.length > 0);
  const header = lines[0]!.split(",");
  const column = (name: string): number => {
    const index = header.indexOf(name);
    if (index < 0) throw new Error(`receipt.csv has no ${name} column`);
    return index;
  };
  const [caseColumn, activityColumn, timeColumn, resourceColumn] = [column("case:concept:name"), column("concept:name"), column("time:timestamp"), column("org:resource")];
  return lines.slice(1).map((line, index) => {
    const fields = line.split(",");
    if (fields.length !== header.length) throw new Error(`line ${index + 2} has ${fields.length} fields, the header ${header.length}`);
    return { caseId: fields[caseColumn]!, activity: fields[activityColumn]!, at: parseTimestamp(fields[timeColumn]!), resource: fields[resourceColumn]! };
  });
}

/** `2011-10-11 13:45:40.276000+02:00`: the fraction truncated to milliseconds, the offset applied. */
function parseTimestamp(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([+-])(\d{2}):(\d{2})$/.exec(text);
  if (!match) throw new Error(`unexpected timestamp ${text}`);
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Number((match[7] ?? "").padEnd(3, "0").slice(0, 3));
  const offsetMinutes = (match[8] === "-" ? -1 : 1) * (Number(match[9]) * 60 + Number(match[10]));
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000;
}

function logOf(rows: readonly Row[]): EventLog {
  const items: LogItem[] = [...new Set(rows.map((row) => row.caseId))].map((key) => ({
    key,
    createdAt: null,
    type: null,
    priority: null,
    labels: [],
    currentStep: null,
    currentAssignee: null,
  }));
  const events: LogEvent[] = rows.map((row) => ({ item: row.caseId, at: row.at, kind: "step", from: null, to: row.activity, actor: row.resource }));
  let asOf = -Infinity;
  for (const row of rows) asOf = Math.max(asOf, row.at);
  return { stepSource: "activity", items, events, asOf };
}

/** Nearest rank, written out again: the smallest value with at least p % of the values at or below it. */
function nearestRank(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p * sorted.length) / 100)) - 1]!;
}

const increment = (counts: Map<string, number>, key: string): void => {
  counts.set(key, (counts.get(key) ?? 0) + 1);
};

interface Reference {
  cases: number;
  activities: Set<string>;
  traces: string[][];
  visits: Map<string, number>;
  starts: Map<string, number>;
  ends: Map<string, number>;
  edges: Map<string, { from: string; to: string; count: number; cases: Set<string> }>;
  variants: { steps: string[]; cases: number }[];
  durations: number[];
  sameInstantPairs: number;
}

/** Plain loops over the rows, sorted by case and then time (stable). */
function referenceOf(rows: readonly Row[]): Reference {
  const ordered = rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => (a.row.caseId < b.row.caseId ? -1 : a.row.caseId > b.row.caseId ? 1 : a.row.at - b.row.at || a.index - b.index))
    .map(({ row }) => row);
  const byCase: Row[][] = [];
  for (const row of ordered) {
    const current = byCase.at(-1);
    if (current && current[0]!.caseId === row.caseId) current.push(row);
    else byCase.push([row]);
  }
  const reference: Reference = {
    cases: byCase.length,
    activities: new Set(),
    traces: [],
    visits: new Map(),
    starts: new Map(),
    ends: new Map(),
    edges: new Map(),
    variants: [],
    durations: [],
    sameInstantPairs: 0,
  };
  const variantCounts = new Map<string, { steps: string[]; cases: number }>();
  for (const caseRows of byCase) {
    const steps = caseRows.map((row) => row.activity);
    reference.traces.push(steps);
    for (const step of steps) {
      reference.activities.add(step);
      increment(reference.visits, step);
    }
    increment(reference.starts, steps[0]!);
    increment(reference.ends, steps.at(-1)!);
    for (let i = 1; i < caseRows.length; i += 1) {
      const [from, to] = [caseRows[i - 1]!, caseRows[i]!];
      const key = `${from.activity} -> ${to.activity}`;
      const edge = reference.edges.get(key) ?? { from: from.activity, to: to.activity, count: 0, cases: new Set<string>() };
      edge.count += 1;
      edge.cases.add(to.caseId);
      reference.edges.set(key, edge);
      if (from.at === to.at) reference.sameInstantPairs += 1;
    }
    const variantKey = steps.join(" | ");
    const variant = variantCounts.get(variantKey) ?? { steps, cases: 0 };
    variant.cases += 1;
    variantCounts.set(variantKey, variant);
    reference.durations.push(caseRows.at(-1)!.at - caseRows[0]!.at);
  }
  reference.variants = [...variantCounts.values()].sort((a, b) => b.cases - a.cases);
  return reference;
}

describe("the receipt phase log (CoSeLoG WABO, 4TU)", () => {
  let rows: Row[];
  let reference: Reference;
  let output: ScanOutput;

  beforeAll(() => {
    const text = readFileSync(FIXTURE, "utf8");
    // The plain reader splits on commas: it would be wrong for a quoted field.
    expect(text).not.toContain('"');
    rows = readRows(text);
    reference = referenceOf(rows);
    output = computeScanOutput(logOf(rows), { computedAt: 0 });
  });

  it("reads the published size: 8,577 events, 1,434 cases, 27 activities", () => {
    expect(rows).toHaveLength(8_577);
    expect(reference.cases).toBe(1_434);
    expect(reference.activities.size).toBe(27);

    expect(output.sample.events).toBe(8_577);
    expect(output.dataQuality.events).toBe(8_577);
    expect(output.sample.items).toBe(1_434);
    expect(output.sample.completed).toBe(1_434);
    expect(output.processMap.steps).toHaveLength(27);
    expect(new Set(output.processMap.steps.map((node) => node.step))).toEqual(reference.activities);
  });

  it("counts every activity's visits, starts and ends as the reference does", () => {
    for (const node of output.processMap.steps) {
      expect({ step: node.step, visits: node.visits, starts: node.starts, ends: node.ends }).toEqual({
        step: node.step,
        visits: reference.visits.get(node.step) ?? 0,
        starts: reference.starts.get(node.step) ?? 0,
        ends: reference.ends.get(node.step) ?? 0,
      });
    }
    const items = (step: string) => reference.traces.filter((steps) => steps.includes(step)).length;
    expect(output.processMap.steps.map((node) => [node.step, node.items])).toEqual(output.processMap.steps.map((node) => [node.step, items(node.step)]));
  });

  it("finds the 99 directly-follows edges with the reference's counts", () => {
    expect(reference.edges.size).toBe(99);
    expect(output.processMap.transitions).toHaveLength(99);
    const actual = new Map(output.processMap.transitions.map((edge) => [`${edge.from} -> ${edge.to}`, { count: edge.count, items: edge.items }]));
    const expected = new Map([...reference.edges].map(([key, edge]) => [key, { count: edge.count, items: edge.cases.size }]));
    expect(actual).toEqual(expected);
  });

  it("finds the 116 variants and ranks the top five as the reference does", () => {
    expect(reference.variants).toHaveLength(116);
    expect(output.variants.total).toBe(116);
    // No tie at the fifth place, so the top five are the same whatever breaks ties.
    expect(reference.variants[4]!.cases).toBeGreaterThan(reference.variants[5]!.cases);
    expect(output.variants.top.slice(0, 5).map((variant) => ({ steps: variant.steps, cases: variant.items }))).toEqual(reference.variants.slice(0, 5));
    expect(output.variants.top[0]!.share).toBeCloseTo(reference.variants[0]!.cases / 1_434, 12);
  });

  it("measures case durations: the reference's nearest-rank percentiles and the published ~0.03 and ~24.1 days", () => {
    expect(output.cycleTime.leadMs.count).toBe(1_434);
    expect(output.cycleTime.leadMs.p50).toBe(nearestRank(reference.durations, 50));
    expect(output.cycleTime.leadMs.p85).toBe(nearestRank(reference.durations, 85));
    expect(output.cycleTime.leadMs.p95).toBe(nearestRank(reference.durations, 95));

    const medianDays = output.cycleTime.leadMs.p50! / DAY_MS;
    const p95Days = output.cycleTime.leadMs.p95! / DAY_MS;
    expect(medianDays).toBeGreaterThanOrEqual(0.025);
    expect(medianDays).toBeLessThanOrEqual(0.035);
    expect(p95Days).toBeGreaterThanOrEqual(23.5);
    expect(p95Days).toBeLessThanOrEqual(24.7);
  });

  it("reports only the log's real data-quality findings", () => {
    // An imported case starts at its first activity by definition: no missing creation to report.
    expect(output.dataQuality.itemsWithoutCreation).toBe(0);
    expect(output.dataQuality.notes.join(" ")).not.toMatch(/creation/);
    expect(output.dataQuality.duplicateEvents).toBe(0);
    expect(output.dataQuality.eventsForUnknownItems).toBe(0);
    // A case ends at its last activity by definition: only two activities at one instant make a zero-length stay.
    expect(output.dataQuality.zeroLengthVisits).toBe(reference.sameInstantPairs);
  });
});

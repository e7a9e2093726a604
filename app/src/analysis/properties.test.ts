/**
 * Invariants of the scan output over random status logs: conservation on the process map,
 * cycle ≤ lead per item, bounded ratios, and independence from how the log was delivered
 * (input order, or two overlapping scans).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createClassifier } from "./classify.js";
import type { EventLog, LogEvent, LogItem } from "./event-log.js";
import { lifecyclesOf } from "./lifecycle.js";
import { LiveAnalysis } from "./live-analysis.js";
import { computeScanOutput, computeScanOutputs, type ScanOutput } from "./scan-output.js";
import { buildTraces } from "./traces.js";

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
/** Done ones (Done, Closed, Resolved), active ones, a queue, an external wait and one nothing classifies. */
const STATUSES = ["To Do", "In Progress", "In Review", "Waiting for customer", "Resolved", "Done", "Closed", "Limbo"];
const ACTORS = ["ana", "bo", "cy", null];
/** Hours between changes: zero (changes at the same instant) is frequent on purpose. */
const GAP_HOURS = [0, 0, 1, 24, 24, 72];

interface Model {
  log: EventLog;
  /** Per item, the statuses it went through, in order: what the log says happened. */
  paths: Map<string, string[]>;
}

const itemArbitrary = fc.record({
  // A coarse grid, so that items also share instants (created together, completed together).
  createdAt: fc.integer({ min: 0, max: 14 }).map((days) => T0 + days * 24 * HOUR),
  /** Hours the source's creation time is late (clock skew): events then come before it. */
  skewHours: fc.constantFrom(0, 0, 0, 30),
  start: fc.integer({ min: 0, max: STATUSES.length - 1 }),
  // Each move goes `shift` statuses further round the list, so it always changes the status.
  moves: fc.array(fc.record({ gap: fc.constantFrom(...GAP_HOURS), shift: fc.integer({ min: 1, max: STATUSES.length - 1 }) }), { maxLength: 8 }),
  assignments: fc.array(fc.record({ gap: fc.constantFrom(...GAP_HOURS), to: fc.constantFrom(...ACTORS) }), { maxLength: 4 }),
});

type ItemSpec = typeof itemArbitrary extends fc.Arbitrary<infer T> ? T : never;

function itemOf(spec: ItemSpec, key: string): { item: LogItem; events: LogEvent[]; path: string[] } {
  const path = [STATUSES[spec.start]!];
  const steps: LogEvent[] = [];
  let at = spec.createdAt;
  let index = spec.start;
  for (const move of spec.moves) {
    at += move.gap * HOUR;
    const next = (index + move.shift) % STATUSES.length;
    steps.push({ item: key, at, kind: "step", from: STATUSES[index]!, to: STATUSES[next]!, actor: null });
    path.push(STATUSES[next]!);
    index = next;
  }
  const assignments: LogEvent[] = [];
  let assignee: string | null = null;
  at = spec.createdAt;
  for (const assignment of spec.assignments) {
    at += assignment.gap * HOUR;
    assignments.push({ item: key, at, kind: "assigned", from: assignee, to: assignment.to, actor: assignment.to });
    assignee = assignment.to;
  }
  // Step changes and assignments in time order; at one instant, the steps first.
  const events = [...steps, ...assignments].sort((a, b) => a.at - b.at);
  const item: LogItem = { key, createdAt: spec.createdAt + spec.skewHours * HOUR, type: null, priority: null, labels: [], currentStep: path.at(-1)!, currentAssignee: assignee };
  return { item, events, path };
}

/**
 * Without event ids, a change repeated at the same instant cannot be told from a duplicate:
 * a log the properties are about has none (a status flicker A → B → A → B within one instant).
 */
function hasRepeatedChange(events: readonly LogEvent[]): boolean {
  const seen = new Set<string>();
  for (const event of events) {
    const key = JSON.stringify([event.item, event.at, event.kind, event.from, event.to, event.actor]);
    if (seen.has(key)) return true;
    seen.add(key);
  }
  return false;
}

const modelArbitrary: fc.Arbitrary<Model> = fc
  .record({ items: fc.array(itemArbitrary, { minLength: 1, maxLength: 12 }), extraHours: fc.integer({ min: 0, max: 400 }) })
  .map(({ items, extraHours }) => {
    const built = items.map((spec, index) => itemOf(spec, `ITEM-${index + 1}`));
    // One log in time order (stable: an item's changes at one instant keep their order).
    const events = built.flatMap((entry) => entry.events).sort((a, b) => a.at - b.at);
    let last = T0;
    for (const entry of built) last = Math.max(last, entry.item.createdAt!, ...entry.events.map((event) => event.at));
    const log: EventLog = { stepSource: "status", items: built.map((entry) => entry.item), events, asOf: last + extraHours * HOUR };
    return { log, paths: new Map(built.map((entry) => [entry.item.key, entry.path])) };
  })
  .filter((model) => !hasRepeatedChange(model.log.events));

const scan = (log: EventLog): ScanOutput => computeScanOutput(log, { computedAt: 0 });

/** The output without the counts that describe how the events arrived (their order, their number). */
function withoutArrival(output: ScanOutput, also: { duplicates: boolean }): unknown {
  const copy = structuredClone(output);
  const dropped: Partial<Record<keyof ScanOutput["dataQuality"], unknown>> = copy.dataQuality;
  delete dropped.outOfOrderEvents;
  let notes = copy.dataQuality.notes.filter((note) => !/out of time order/.test(note));
  if (also.duplicates) {
    delete dropped.duplicateEvents;
    delete dropped.events;
    delete (copy.sample as Partial<ScanOutput["sample"]>).events;
    notes = notes.filter((note) => !/duplicate events/.test(note));
  }
  copy.dataQuality.notes = notes;
  return copy;
}

/** Puts back, at the positions a shuffle gave each item's same-instant events, their original order (the log's order decides such ties). */
function keepingTies(original: readonly LogEvent[], shuffled: readonly LogEvent[]): LogEvent[] {
  const tie = (event: LogEvent) => `${event.item}\u0000${event.at}`;
  const queues = new Map<string, LogEvent[]>();
  for (const event of original) {
    const queue = queues.get(tie(event));
    if (queue) queue.push(event);
    else queues.set(tie(event), [event]);
  }
  return shuffled.map((event) => queues.get(tie(event))!.shift()!);
}

const RUNS = { numRuns: 150 };

describe("scan output properties", () => {
  it("conserves visits on the process map: a step's outgoing transitions are its visits that were not an item's last", () => {
    fc.assert(
      fc.property(modelArbitrary, ({ log, paths }) => {
        const output = scan(log);
        const visits = new Map<string, number>();
        const last = new Map<string, number>();
        for (const path of paths.values()) {
          for (const step of path) visits.set(step, (visits.get(step) ?? 0) + 1);
          last.set(path.at(-1)!, (last.get(path.at(-1)!) ?? 0) + 1);
        }
        expect(new Map(output.processMap.steps.map((node) => [node.step, node.visits]))).toEqual(visits);
        for (const node of output.processMap.steps) {
          const outgoing = output.processMap.transitions.filter((edge) => edge.from === node.step).reduce((sum, edge) => sum + edge.count, 0);
          expect(outgoing, node.step).toBe(node.visits - (last.get(node.step) ?? 0));
        }
      }),
      RUNS,
    );
  });

  it("never has a cycle time longer than the lead time, nor more active time than lead time, per completed item", () => {
    fc.assert(
      fc.property(modelArbitrary, ({ log }) => {
        const { traces } = buildTraces(log);
        const lifecycles = lifecyclesOf(traces, log.stepSource, createClassifier(), log.asOf);
        expect(lifecycles.completedAt).toHaveLength(traces.items.length);
        for (let item = 0; item < traces.items.length; item += 1) {
          // NaN stands for none: an item that is not completed has no lead time.
          if (Number.isNaN(lifecycles.completedAt[item]!)) {
            expect(lifecycles.leadMs[item]).toBeNaN();
            continue;
          }
          expect(lifecycles.leadMs[item]).toBeGreaterThanOrEqual(0);
          if (!Number.isNaN(lifecycles.cycleMs[item]!)) expect(lifecycles.cycleMs[item]).toBeLessThanOrEqual(lifecycles.leadMs[item]!);
          expect(lifecycles.activeMs[item]).toBeLessThanOrEqual(lifecycles.leadMs[item]!);
        }
      }),
      RUNS,
    );
  });

  it("keeps flow efficiency between 0 and 1, overall and per item", () => {
    fc.assert(
      fc.property(modelArbitrary, ({ log }) => {
        const { overall, perItem } = scan(log).cycleTime.flowEfficiency;
        for (const value of [overall, perItem.p50, perItem.p70, perItem.p85, perItem.p95]) {
          if (value === null) continue;
          expect(value).toBeGreaterThanOrEqual(0);
          expect(value).toBeLessThanOrEqual(1);
        }
      }),
      RUNS,
    );
  });

  it("does not depend on the order of items and events (ties within an item keep the log's order)", () => {
    const permuted = modelArbitrary.chain(({ log }) =>
      fc.record({
        log: fc.constant(log),
        items: fc.shuffledSubarray([...log.items], { minLength: log.items.length }),
        events: fc.shuffledSubarray([...log.events], { minLength: log.events.length }),
      }),
    );
    fc.assert(
      fc.property(permuted, ({ log, items, events }) => {
        const shuffled: EventLog = { ...log, items, events: keepingTies(log.events, events) };
        expect(withoutArrival(scan(shuffled), { duplicates: false })).toEqual(withoutArrival(scan(log), { duplicates: false }));
      }),
      RUNS,
    );
  });

  it("gives the same output for one log as for two overlapping scans of it, counting the overlap as duplicates", () => {
    const split = modelArbitrary.chain(({ log }) =>
      fc.integer({ min: 0, max: log.events.length }).chain((end) =>
        fc.record({ log: fc.constant(log), end: fc.constant(end), start: fc.integer({ min: Math.max(0, end - 4), max: end }) }),
      ),
    );
    fc.assert(
      fc.property(split, ({ log, end, start }) => {
        const twoScans: EventLog = { ...log, events: [...log.events.slice(0, end), ...log.events.slice(start)] };
        const once = scan(log);
        const twice = scan(twoScans);
        expect(twice.dataQuality.duplicateEvents).toBe(once.dataQuality.duplicateEvents + (end - start));
        expect(withoutArrival(twice, { duplicates: true })).toEqual(withoutArrival(once, { duplicates: true }));
      }),
      RUNS,
    );
  });

  it("never has a negative band in the cumulative flow, nor more items in all bands than in scope", () => {
    fc.assert(
      fc.property(modelArbitrary, ({ log }) => {
        const output = scan(log);
        const { cumulativeFlow, days } = output.flow;
        for (const band of cumulativeFlow) {
          expect(band.counts).toHaveLength(days);
          for (const count of band.counts) expect(count).toBeGreaterThanOrEqual(0);
        }
        for (let day = 0; day < days; day += 1) {
          expect(cumulativeFlow.reduce((sum, band) => sum + band.counts[day]!, 0)).toBeLessThanOrEqual(output.sample.items);
        }
      }),
      RUNS,
    );
  });

  it("has variant shares summing to at most 1 and a non-decreasing coverage that adds them up", () => {
    fc.assert(
      fc.property(modelArbitrary, ({ log }) => {
        const { top, coverage, total } = scan(log).variants;
        expect(top.length).toBeLessThanOrEqual(total);
        expect(coverage).toHaveLength(top.length);
        let sum = 0;
        top.forEach((variant, index) => {
          sum += variant.share;
          expect(coverage[index]).toBeCloseTo(sum, 12);
          if (index > 0) expect(coverage[index]!).toBeGreaterThanOrEqual(coverage[index - 1]!);
        });
        expect(sum).toBeLessThanOrEqual(1 + 1e-12);
        expect(coverage.at(-1) ?? 0).toBeLessThanOrEqual(1);
      }),
      RUNS,
    );
  });
});

describe("scan outputs kept across scans", () => {
  /** The log as a scan at `at` would have read it: items created by then, with the events up to then. */
  function logAt(log: EventLog, at: number): EventLog {
    const items = log.items.filter((item) => item.createdAt! <= at);
    const keys = new Set(items.map((item) => item.key));
    return { ...log, items, events: log.events.filter((event) => keys.has(event.item) && event.at <= at), asOf: at };
  }

  /** The items of `log` whose events or presence differ from `before`, and `alsoSent` (re-sent unchanged), each with all its events. */
  function changedSince(before: EventLog, log: EventLog, alsoSent: ReadonlySet<string>): EventLog {
    const count = (events: readonly LogEvent[]) => {
      const counts = new Map<string, number>();
      for (const event of events) counts.set(event.item, (counts.get(event.item) ?? 0) + 1);
      return counts;
    };
    const had = count(before.events);
    const has = count(log.events);
    const present = new Set(before.items.map((item) => item.key));
    const items = log.items.filter((item) => !present.has(item.key) || had.get(item.key) !== has.get(item.key) || alsoSent.has(item.key));
    const keys = new Set(items.map((item) => item.key));
    return { ...log, items, events: log.events.filter((event) => keys.has(event.item)) };
  }

  const scans = modelArbitrary.chain(({ log }) =>
    fc.record({
      log: fc.constant(log),
      // Up to three earlier scans, at hours from the start of the log.
      cuts: fc.uniqueArray(fc.integer({ min: 0, max: 24 * 20 }), { maxLength: 3 }).map((hours) => hours.sort((a, b) => a - b).map((h) => T0 + h * HOUR)),
      alsoSent: fc.subarray(log.items.map((item) => item.key)),
    }),
  );

  it("draws after each scan the output a full analysis of the log so far gives, however the log was split into scans", () => {
    const scopes = (log: EventLog) => [{ filters: {}, previous: null }, { filters: { containers: [] as string[], types: [] as string[] }, previous: null }].slice(0, log.items.length % 2 === 0 ? 1 : 2);
    fc.assert(
      fc.property(scans, ({ log, cuts, alsoSent }) => {
        const moments = [...cuts.filter((at) => at < log.asOf), log.asOf];
        const logs = moments.map((at) => (at === log.asOf ? log : logAt(log, at)));
        const started = LiveAnalysis.start(logs[0]!, { computedAt: 0 }, scopes(log));
        expect(started.live).not.toBeNull();
        expect(started.outputs).toEqual(computeScanOutputs(logs[0]!, { computedAt: 0 }, scopes(log)));
        for (let scan = 1; scan < logs.length; scan += 1) {
          const outputs = started.live!.update(changedSince(logs[scan - 1]!, logs[scan]!, new Set(alsoSent)), 0, scopes(log).map(() => null));
          expect(outputs).toEqual(computeScanOutputs(logs[scan]!, { computedAt: 0 }, scopes(log)));
        }
      }),
      RUNS,
    );
  });

  it("gives up, rather than cut stays short, when a scan brings a change dated after the moment it is drawn at", () => {
    fc.assert(
      fc.property(modelArbitrary, ({ log, paths }) => {
        const item = log.items[0]!;
        const { live } = LiveAnalysis.start(log, { computedAt: 0 }, [{ filters: {}, previous: null }]);
        const late: LogEvent = { item: item.key, at: log.asOf + HOUR, kind: "step", from: paths.get(item.key)!.at(-1)!, to: "Somewhere else", actor: null };
        const changed: EventLog = { ...log, items: [item], events: [...log.events.filter((event) => event.item === item.key), late] };
        expect(live!.update(changed, 0, [null])).toBeNull();
      }),
      { numRuns: 20 },
    );
  });
});

import type { Bottlenecks, Medians } from "./bottlenecks.js";
import { createBusinessClock, DEFAULT_CALENDAR, type WorkingCalendar } from "./calendar.js";
import { createClassifier, type ClassifierSettings, type StepClass } from "./classify.js";
import type { CountsAndRates } from "./counts.js";
import type { CycleTimes } from "./cycle-time.js";
import { driftBetween, type Drift, type DriftBasis } from "./drift.js";
import { DAY_MS, logAsOf, type EventLog, type StepSource } from "./event-log.js";
import type { DailyFlow } from "./flow.js";
import { forecastOf, type FlowForecast } from "./flow-forecast.js";
import type { Handoffs } from "./handoffs.js";
import { lifecyclesOf } from "./lifecycle.js";
import type { ProcessMap } from "./process-map.js";
import type { Rework } from "./rework.js";
import { windowOf, type ItemColumns, type ScopeFilters, type Window } from "./scope.js";
import { ScopeTally } from "./scope-tally.js";
import { THIN_SAMPLE } from "./stats.js";
import type { AgingStep, StepTime } from "./time-in-status.js";
import { buildTraces, eventsPerTrace, type TraceQuality } from "./traces.js";
import type { Variants } from "./variants.js";

export type { ScopeFilters } from "./scope.js";

export interface AnalysisSettings {
  classifier?: ClassifierSettings;
  /** Working days and hours for durations in business time; Monday to Friday, 9 to 5, UTC by default. */
  calendar?: WorkingCalendar;
  filters?: ScopeFilters;
  /** The output of the previous scan of the same scope, for drift. */
  previous?: DriftBasis | null;
  /** Defaults to the log's asOf; tests pin it. */
  computedAt?: number;
}

export interface DataQuality extends TraceQuality {
  /** Steps nothing classifies, with how often items entered them: map them to be sure. */
  unknownSteps: { step: string; visits: number }[];
  /** Items left out by the scope's filters. */
  itemsFilteredOut: number;
  notes: string[];
}

/**
 * The scan output of one scope: aggregates only. No item key, title or event is in it;
 * people appear as the opaque actor keys the log carried. It is what the pages read, and
 * the only input the AI context builder accepts.
 */
export interface ScanOutput {
  version: 1;
  computedAt: number;
  asOf: number;
  stepSource: StepSource;
  window: { from: number; to: number };
  calendar: WorkingCalendar;
  sample: { items: number; completed: number; open: number; events: number; thinBelow: number };
  steps: { step: string; class: StepClass | null }[];
  counts: CountsAndRates;
  processMap: ProcessMap;
  timeInStatus: StepTime[];
  agingWip: AgingStep[];
  cycleTime: CycleTimes;
  flow: DailyFlow;
  variants: Variants;
  rework: Rework;
  handoffs: Handoffs;
  bottlenecks: Bottlenecks;
  forecast: FlowForecast;
  /** First reply, resolution and SLA figures: only support desks report them. */
  support: { available: false; reason: string };
  drift: Drift | null;
  dataQuality: DataQuality;
}

export function computeScanOutput(log: EventLog, settings: AnalysisSettings = {}): ScanOutput {
  return computeScanOutputs(log, settings, [{ filters: settings.filters ?? {}, previous: settings.previous ?? null }])[0]!;
}

/** One scope of a log: which items it covers, and its previous output for drift. */
export interface ScopeRequest {
  filters: ScopeFilters;
  previous: DriftBasis | null;
}

/**
 * The outputs of several scopes of one log (a connection and each of its projects), which
 * share the log's traces and lifecycles: those are built once, not once a scope. Every scope
 * ends where `settings.filters.to` says (the log's end by default).
 */
export function computeScanOutputs(log: EventLog, settings: AnalysisSettings, scopes: readonly ScopeRequest[]): ScanOutput[] {
  const asOf = Math.min(log.asOf, settings.filters?.to ?? Number.POSITIVE_INFINITY);
  const { traces, quality, shares } = buildTraces(logAsOf(log, asOf));
  const lifecycles = lifecyclesOf(traces, log.stepSource, createClassifier(settings.classifier), asOf);
  const columns: ItemColumns = { traces, lifecycles, events: eventsPerTrace(shares, traces.items.length) };
  const clock = createBusinessClock(settings.calendar ?? DEFAULT_CALENDAR);
  return scopes.map(({ filters, previous }) => {
    const window = windowOf(traces, filters, asOf);
    const tally = new ScopeTally(filters, window, clock);
    tally.addAll(columns, traces.items.length);
    return drawOutput({ tally, columns, window, asOf, stepSource: log.stepSource, quality, settings, previous });
  });
}

/** What an output is drawn from: a scope's tally, the columns it counted, and the moment it is drawn at. */
export interface OutputSource {
  tally: ScopeTally;
  columns: ItemColumns;
  window: Window;
  asOf: number;
  stepSource: StepSource;
  quality: TraceQuality;
  settings: AnalysisSettings;
  previous: DriftBasis | null;
}

export function drawOutput({ tally, columns, window, asOf, stepSource, quality, settings, previous }: OutputSource): ScanOutput {
  const scope = tally.scopeOf(columns);
  const stepTimes = tally.stepTimes.render(columns, asOf);
  const processMap = tally.processMap.render(columns.traces);
  const output: ScanOutput = {
    version: 1,
    computedAt: settings.computedAt ?? asOf,
    asOf,
    stepSource,
    window,
    calendar: settings.calendar ?? DEFAULT_CALENDAR,
    sample: { items: tally.items, completed: tally.completed, open: tally.items - tally.completed, events: tally.events, thinBelow: THIN_SAMPLE },
    steps: stepTimes.steps.map(({ step, class: stepClass }) => ({ step, class: stepClass })),
    counts: tally.counts.render(),
    processMap,
    timeInStatus: stepTimes.steps,
    agingWip: stepTimes.aging,
    cycleTime: tally.cycleTimes.render(scope),
    flow: tally.flow.render(columns.traces, asOf),
    variants: tally.variants.render(columns.traces),
    rework: tally.rework.render(columns.traces),
    handoffs: tally.handoffs.render(columns.traces),
    bottlenecks: tally.bottlenecks.render(scope, window, mediansOf(stepTimes.steps, processMap)),
    forecast: forecastOf(tally.completions, tally.items - tally.completed, asOf),
    support: { available: false, reason: "This source does not report replies or service levels." },
    drift: null,
    dataQuality: { ...quality, unknownSteps: unknownSteps(stepTimes.steps), itemsFilteredOut: columns.traces.items.length - tally.items, notes: [] },
  };
  output.dataQuality.notes = notesOn(output);
  if (previous) output.drift = driftBetween(previous, output);
  return output;
}

function mediansOf(steps: readonly StepTime[], processMap: ProcessMap): Medians {
  const ofStep = new Map(steps.map((step) => [step.step, step.dwellMs.p50]));
  const ofTransition = new Map<string, Map<string, number | null>>();
  for (const edge of processMap.transitions) {
    const from = ofTransition.get(edge.from) ?? new Map<string, number | null>();
    ofTransition.set(edge.from, from.set(edge.to, edge.durationMs.p50));
  }
  return { ofStep: (step) => ofStep.get(step) ?? null, ofTransition: (from, to) => ofTransition.get(from)?.get(to) ?? null };
}

/** Time in status lists every step with its stays, most entered first: the unclassified ones are the unknown steps. */
function unknownSteps(steps: readonly StepTime[]): { step: string; visits: number }[] {
  return steps.filter((step) => step.class === null).map((step) => ({ step: step.step, visits: step.entered }));
}

/** Plain-language warnings a reader (or the AI) must see before trusting the numbers. */
function notesOn(output: ScanOutput): string[] {
  const notes: string[] = [];
  const { dataQuality: quality, sample } = output;
  if (sample.items < THIN_SAMPLE) notes.push(`Only ${sample.items} items in scope: too few for percentiles to mean much.`);
  if (sample.completed < THIN_SAMPLE) notes.push(`Only ${sample.completed} completed items: cycle times and forecasts are unreliable.`);
  if (quality.unknownSteps.length > 0) {
    notes.push(`${quality.unknownSteps.length} steps are not classified (${quality.unknownSteps.slice(0, 5).map((s) => s.step).join(", ")}…): their time is not in the headline bottlenecks until they are.`);
  }
  if (quality.outOfOrderEvents > 0) notes.push(`${quality.outOfOrderEvents} events arrived out of time order and were sorted.`);
  if (quality.duplicateEvents > 0) notes.push(`${quality.duplicateEvents} duplicate events were counted once.`);
  if (quality.eventsBeforeCreation > 0) notes.push(`${quality.eventsBeforeCreation} events are dated before their item's creation (clock skew); creation was moved back to them.`);
  if (quality.itemsWithoutCreation > 0) notes.push(`${quality.itemsWithoutCreation} items have no creation time; their first event stands for it.`);
  if (quality.eventsForUnknownItems > 0) notes.push(`${quality.eventsForUnknownItems} events name items the log does not hold and were left out.`);
  if (quality.zeroLengthVisits > 0) notes.push(`${quality.zeroLengthVisits} stays began and ended at the same instant (changes recorded together); they count with no time.`);
  if (quality.itemsWithoutTime > 0) notes.push(`${quality.itemsWithoutTime} items have neither a creation time nor an event and were left out.`);
  const spanDays = (output.window.to - output.window.from) / DAY_MS;
  if (spanDays < 28) notes.push(`The window covers ${Math.round(spanDays)} days: trends compare four-week periods and need more.`);
  return notes;
}

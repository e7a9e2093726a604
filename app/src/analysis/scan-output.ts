import { bottlenecksOf, type Bottlenecks, type Medians } from "./bottlenecks.js";
import { createBusinessClock, DEFAULT_CALENDAR, type WorkingCalendar } from "./calendar.js";
import { createClassifier, type ClassifierSettings, type StepClass } from "./classify.js";
import { countsOf, type CountsAndRates } from "./counts.js";
import { cycleTimesOf, type CycleTimes } from "./cycle-time.js";
import { driftBetween, type Drift } from "./drift.js";
import { DAY_MS, type EventLog, type StepSource } from "./event-log.js";
import { dailyFlowOf, type DailyFlow } from "./flow.js";
import { forecastOf, type FlowForecast } from "./flow-forecast.js";
import { handoffsOf, type Handoffs } from "./handoffs.js";
import { lifecycleOf, type ItemLifecycle } from "./lifecycle.js";
import { PairMap } from "./pair-map.js";
import { processMapOf, type ProcessMap } from "./process-map.js";
import { reworkOf, type Rework } from "./rework.js";
import { THIN_SAMPLE } from "./stats.js";
import { stepTimesOf, type AgingStep, type StepTime } from "./time-in-status.js";
import { buildTraces, type TraceQuality } from "./traces.js";
import { variantsOf, type Variants } from "./variants.js";

/** Which items a scope's output covers. Every filter is optional; an empty list means any. */
export interface ScopeFilters {
  /** The window, epoch ms: items that were open at some point inside it. */
  from?: number;
  to?: number;
  types?: readonly string[];
  priorities?: readonly string[];
  labels?: readonly string[];
}

export interface AnalysisSettings {
  classifier?: ClassifierSettings;
  /** Working days and hours for durations in business time; Monday to Friday, 9 to 5, UTC by default. */
  calendar?: WorkingCalendar;
  filters?: ScopeFilters;
  /** The output of the previous scan of the same scope, for drift. */
  previous?: ScanOutput | null;
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
  const filters = settings.filters ?? {};
  const asOf = Math.min(log.asOf, filters.to ?? Number.POSITIVE_INFINITY);
  const { traces, quality } = buildTraces(log);
  const classifier = createClassifier(settings.classifier);
  const all = traces.map((trace) => lifecycleOf(trace, log.stepSource, classifier, asOf));
  const window = { from: filters.from ?? Math.min(asOf, earliestCreation(all)), to: asOf };
  const lifecycles = all.filter((lifecycle) => inScope(lifecycle, filters, window));
  const completed = lifecycles.filter((lifecycle) => lifecycle.completedAt !== null).length;
  const stepTimes = stepTimesOf(lifecycles, asOf);
  const processMap = processMapOf(lifecycles);
  const output: ScanOutput = {
    version: 1,
    computedAt: settings.computedAt ?? asOf,
    asOf,
    stepSource: log.stepSource,
    window,
    calendar: settings.calendar ?? DEFAULT_CALENDAR,
    sample: { items: lifecycles.length, completed, open: lifecycles.length - completed, events: log.events.length, thinBelow: THIN_SAMPLE },
    steps: stepTimes.steps.map(({ step, class: stepClass }) => ({ step, class: stepClass })),
    counts: countsOf(lifecycles, window),
    processMap,
    timeInStatus: stepTimes.steps,
    agingWip: stepTimes.aging,
    cycleTime: cycleTimesOf(lifecycles, createBusinessClock(settings.calendar ?? DEFAULT_CALENDAR)),
    flow: dailyFlowOf(lifecycles, asOf),
    variants: variantsOf(lifecycles),
    rework: reworkOf(lifecycles),
    handoffs: handoffsOf(lifecycles),
    bottlenecks: bottlenecksOf(lifecycles, window, mediansOf(stepTimes.steps, processMap)),
    forecast: forecastOf(lifecycles, asOf),
    support: { available: false, reason: "This source does not report replies or service levels." },
    drift: null,
    dataQuality: { ...quality, unknownSteps: unknownSteps(lifecycles), itemsFilteredOut: all.length - lifecycles.length, notes: [] },
  };
  output.dataQuality.notes = notesOn(output);
  if (settings.previous) output.drift = driftBetween(settings.previous, output);
  return output;
}

function mediansOf(steps: readonly StepTime[], processMap: ProcessMap): Medians {
  const ofStep = new Map(steps.map((step) => [step.step, step.dwellMs.p50]));
  const ofTransition = new PairMap<number | null>();
  for (const edge of processMap.transitions) ofTransition.getOrCreate(edge.from, edge.to, () => edge.durationMs.p50);
  return { ofStep: (step) => ofStep.get(step) ?? null, ofTransition: (from, to) => ofTransition.get(from, to) ?? null };
}

/** Infinity for no items. A loop, as Math.min(...values) overflows the stack on large logs. */
function earliestCreation(lifecycles: readonly ItemLifecycle[]): number {
  let min = Number.POSITIVE_INFINITY;
  for (const lifecycle of lifecycles) if (lifecycle.trace.createdAt < min) min = lifecycle.trace.createdAt;
  return min;
}

function inScope(lifecycle: ItemLifecycle, filters: ScopeFilters, window: { from: number; to: number }): boolean {
  const { item, createdAt } = lifecycle.trace;
  if (createdAt > window.to) return false;
  if (lifecycle.completedAt !== null && lifecycle.completedAt < window.from) return false;
  if (filters.types?.length && !filters.types.includes(item.type ?? "")) return false;
  if (filters.priorities?.length && !filters.priorities.includes(item.priority ?? "")) return false;
  if (filters.labels?.length && !item.labels.some((label) => filters.labels!.includes(label))) return false;
  return true;
}

function unknownSteps(lifecycles: readonly ItemLifecycle[]): { step: string; visits: number }[] {
  const visits = new Map<string, number>();
  for (const lifecycle of lifecycles) {
    lifecycle.trace.visits.forEach((visit, index) => {
      if (lifecycle.classes[index] === null) visits.set(visit.step, (visits.get(visit.step) ?? 0) + 1);
    });
  }
  return [...visits].map(([step, count]) => ({ step, visits: count })).sort((a, b) => b.visits - a.visits || a.step.localeCompare(b.step));
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

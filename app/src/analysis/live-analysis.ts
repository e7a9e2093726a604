import { createBusinessClock, DEFAULT_CALENDAR } from "./calendar.js";
import { createClassifier, type StepClassifier } from "./classify.js";
import type { EventLog, StepSource } from "./event-log.js";
import type { DriftBasis } from "./drift.js";
import { ItemStore } from "./item-store.js";
import { lifecyclesOf, type Lifecycles } from "./lifecycle.js";
import { drawOutput, type AnalysisSettings, type ScanOutput, type ScopeRequest } from "./scan-output.js";
import { windowOf, type Window } from "./scope.js";
import { ScopeTally } from "./scope-tally.js";
import { buildTraces, type TraceSet } from "./traces.js";

/**
 * Items replaced by themselves after a full analysis (which leaves everything as it was),
 * before its outputs are drawn from the sorted percentiles: the first scan after it then
 * runs on code the engine has compiled by then, like the scans after it, rather than paying
 * for the compiling.
 */
const REHEARSED_ITEMS = 2_000;

const UNBOUNDED: Window = { from: Number.NEGATIVE_INFINITY, to: Number.POSITIVE_INFINITY };

/**
 * A log's scan outputs kept up to date across scans. The first output costs a full
 * analysis; after that, a scan's changed items are replaced in the store and in every
 * scope's tally (their old counts taken back, their new ones added), and the outputs are
 * drawn again. Each output is the one computeScanOutputs gives for the whole log as it
 * now is.
 *
 * Only scopes without a time window are kept (a window would have to move with every scan),
 * and only while nothing in the log is dated after the moment the outputs are drawn at:
 * before that moment, counting an item with no bounds and counting it inside its window
 * are the same.
 */
export class LiveAnalysis {
  private constructor(
    private readonly store: ItemStore,
    private readonly tallies: ScopeTally[],
    private readonly stepSource: StepSource,
    private readonly classifier: StepClassifier,
    private readonly settings: AnalysisSettings,
  ) {}

  /** The projects, repositories or queues the log's items are in now, sorted; items in none are left out. */
  containers(): string[] {
    return this.store.containers();
  }

  /** The items' stays: what keeping the analysis costs, roughly. */
  get stays(): number {
    return this.store.liveStays;
  }

  /**
   * Analyses the whole log. `live` is null when the outputs cannot be kept: something in the
   * log is dated after log.asOf.
   */
  static start(log: EventLog, settings: AnalysisSettings, scopes: readonly ScopeRequest[]): { outputs: ScanOutput[]; live: LiveAnalysis | null } {
    if (settings.filters || scopes.some(({ filters }) => filters.from !== undefined || filters.to !== undefined)) {
      throw new Error("Outputs kept across scans cover the whole log: a time window moves with every scan");
    }
    const set = buildTraces(log);
    const classifier = createClassifier(settings.classifier);
    const lifecycles = lifecyclesOf(set.traces, log.stepSource, classifier, log.asOf);
    const keys = log.items.map((item) => item.key);
    const store = ItemStore.of(set, lifecycles, classifier, keys);
    const clock = createBusinessClock(settings.calendar ?? DEFAULT_CALENDAR);
    const keepable = store.latestTime <= log.asOf;
    const columns = store.columns();
    const tallies = scopes.map(({ filters }) => {
      const tally = new ScopeTally(filters, keepable ? UNBOUNDED : windowOf(columns.traces, filters, log.asOf), clock);
      tally.addAll(columns, columns.traces.items.length);
      return tally;
    });
    const live = new LiveAnalysis(store, tallies, log.stepSource, classifier, settings);
    const previous = scopes.map((scope) => scope.previous);
    if (!keepable) return { outputs: live.draw(log.asOf, settings.computedAt, previous), live: null };
    for (const tally of tallies) tally.keepSorted();
    // The first items again, as a scan that changed nothing in them would bring them.
    live.replace(set, lifecycles, keys.slice(0, REHEARSED_ITEMS));
    const outputs = live.draw(log.asOf, settings.computedAt, previous);
    return { outputs, live };
  }

  /**
   * Replaces the items of `changed` (each with all its events, as the whole log would hold
   * them) and draws every scope's output at changed.asOf. Null when the outputs can no
   * longer be kept (something is now dated after that moment): start again from the
   * whole log.
   */
  update(changed: EventLog, computedAt: number, previous: readonly (DriftBasis | null)[]): ScanOutput[] | null {
    if (changed.stepSource !== this.stepSource) throw new Error(`A ${this.stepSource} log cannot take ${changed.stepSource} items`);
    const set = buildTraces(changed);
    this.replace(set, lifecyclesOf(set.traces, changed.stepSource, this.classifier, changed.asOf), changed.items.map((item) => item.key));
    if (this.store.latestTime > changed.asOf) return null;
    return this.draw(changed.asOf, computedAt, previous);
  }

  /** Replaces items in the store and in every tally: each item's old counts are taken back before its new ones go in. */
  private replace(set: TraceSet, lifecycles: Lifecycles, keys: readonly string[]): void {
    const tallies = this.tallies;
    this.store.replace(set, lifecycles, keys, {
      removing: (columns, item) => tallies.forEach((tally) => tally.remove(columns, item)),
      added: (columns, item) => tallies.forEach((tally) => tally.add(columns, item)),
    });
  }

  private draw(asOf: number, computedAt: number | undefined, previous: readonly (DriftBasis | null)[]): ScanOutput[] {
    const columns = this.store.columns();
    const quality = this.store.quality;
    return this.tallies.map((tally, index) =>
      drawOutput({
        tally,
        columns,
        window: windowOf(columns.traces, tally.filters, asOf),
        asOf,
        stepSource: this.stepSource,
        quality,
        settings: { ...this.settings, computedAt },
        previous: previous[index] ?? null,
      }),
    );
  }
}

import type { ScanOutput } from "../analysis/scan-output.js";

/** Filtered outputs kept for repeat views: a shared link opened again, or the next page of the same view. */
const KEPT = 16;

/**
 * The analyses the web process runs from a connection's whole log: outputs for filters no
 * stored output has, and the recompute after a settings change. Each reads the whole log into
 * memory (a million events take some 400 MB for a few seconds), so they run one at a time and
 * later ones wait their turn. Requests for the same filtered view share one computation, and
 * the last few are kept; their keys must name everything the output depends on.
 */
export class WholeLogAnalyses {
  private readonly kept = new Map<string, Promise<ScanOutput>>();
  private last: Promise<unknown> = Promise.resolve();

  /** Runs `work` when the analyses before it have finished. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.last.then(work, work);
    this.last = run.catch(() => undefined);
    return run;
  }

  filtered(key: string, compute: () => Promise<ScanOutput>): Promise<ScanOutput> {
    const known = this.kept.get(key);
    if (known) {
      // Most recently used last: the first key is the one to let go.
      this.kept.delete(key);
      this.kept.set(key, known);
      return known;
    }
    const output = this.exclusive(compute);
    this.kept.set(key, output);
    // A failure is said once, to the requests that shared it; the next request tries again.
    output.catch(() => this.kept.get(key) === output && this.kept.delete(key));
    while (this.kept.size > KEPT) this.kept.delete(this.kept.keys().next().value!);
    return output;
  }
}

import type { ScanOutput } from "../analysis/scan-output.js";

/** Filtered outputs kept for repeat views: a shared link opened again, or the next page of the same view. */
const KEPT = 16;

/**
 * Outputs for filters no stored output has. Computing one reads the connection's whole log
 * into memory (a million events take some 400 MB for a few seconds), so the web process
 * computes one at a time, later requests wait their turn, and requests for the same view
 * share one computation. Keys must name everything the output depends on.
 */
export class FilteredOutputs {
  private readonly kept = new Map<string, Promise<ScanOutput>>();
  private last: Promise<unknown> = Promise.resolve();

  get(key: string, compute: () => Promise<ScanOutput>): Promise<ScanOutput> {
    const known = this.kept.get(key);
    if (known) {
      // Most recently used last: the first key is the one to let go.
      this.kept.delete(key);
      this.kept.set(key, known);
      return known;
    }
    const output = this.last.then(compute, compute);
    this.last = output.catch(() => undefined);
    this.kept.set(key, output);
    // A failure is said once, to the requests that shared it; the next request tries again.
    output.catch(() => this.kept.get(key) === output && this.kept.delete(key));
    while (this.kept.size > KEPT) this.kept.delete(this.kept.keys().next().value!);
    return output;
  }
}

/**
 * A map keyed by a pair of strings. Joining the two into one key costs a new string and its
 * hash for every lookup, which on a million stays is most of a section's time.
 */
export class PairMap<V> {
  private readonly outer = new Map<string, Map<string, V>>();

  getOrCreate(first: string, second: string, create: () => V): V {
    let inner = this.outer.get(first);
    if (!inner) {
      inner = new Map();
      this.outer.set(first, inner);
    }
    let value = inner.get(second);
    if (value === undefined) {
      value = create();
      inner.set(second, value);
    }
    return value;
  }

  get(first: string, second: string): V | undefined {
    return this.outer.get(first)?.get(second);
  }

  *values(): IterableIterator<V> {
    for (const inner of this.outer.values()) yield* inner.values();
  }
}

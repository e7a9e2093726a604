/**
 * Small dense integer ids for steps, people and pairs of them. Sections count in arrays
 * indexed by these ids: a map keyed by a name, or by two names joined, cost a lookup (and a
 * new string) for every one of a million stays.
 */

/** Ids 0, 1, 2, … for names, in the order they are first seen. */
export class NameIds {
  private readonly ids = new Map<string, number>();
  readonly names: string[] = [];

  idOf(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(name, id);
      this.names.push(name);
    }
    return id;
  }
}

/** Ids 0, 1, 2, … for pairs of ids (two steps, two people, a path and the step that extends it). */
export class PairIds {
  private readonly ids = new Map<number, number>();
  readonly first: number[] = [];
  readonly second: number[] = [];

  /** `secondBound` is above every second member, so first * secondBound + second is one number per pair. */
  constructor(private readonly secondBound: number) {}

  idOf(first: number, second: number): number {
    const key = first * this.secondBound + second;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.first.length;
      this.ids.set(key, id);
      this.first.push(first);
      this.second.push(second);
    }
    return id;
  }

  get size(): number {
    return this.first.length;
  }
}

/**
 * One shared copy of each distinct string. A parser's strings are often slices that keep the
 * whole chunk they were cut from alive; a log repeats a few activity and resource names
 * hundreds of thousands of times, so keeping only the first copy of each saves memory and
 * garbage-collection time.
 */
export class StringPool {
  private readonly strings = new Map<string, string>();

  intern(value: string): string {
    const pooled = this.strings.get(value);
    if (pooled !== undefined) return pooled;
    this.strings.set(value, value);
    return value;
  }
}

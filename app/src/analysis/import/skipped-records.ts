import { ImportError, MAX_LISTED_SKIPS, type SkippedRecord } from "./result.js";

/** How many bad records an aborting error names; the rest are counted. */
const NAMED_IN_ERROR = 20;

/** The records an import could not use: all counted, the first MAX_LISTED_SKIPS kept for the report. */
export class SkippedRecords {
  total = 0;
  readonly listed: SkippedRecord[] = [];

  add(record: SkippedRecord): void {
    this.total++;
    if (this.listed.length < MAX_LISTED_SKIPS) this.listed.push(record);
  }

  /** The error that refuses the whole import because of these records. */
  toError(noun: "row" | "event"): ImportError {
    const named = this.listed.slice(0, NAMED_IN_ERROR).map(describeSkippedRecord);
    const more = this.total > named.length ? `, and ${this.total - named.length} more` : "";
    return new ImportError(
      `${this.total === 1 ? `1 ${noun} has` : `${this.total} ${noun}s have`} no usable case id, activity or ` +
        `timestamp (${named.join("; ")}${more}). Nothing was imported: correct them, or import again skipping bad ${noun}s.`,
    );
  }
}

export function describeSkippedRecord(record: SkippedRecord): string {
  if ("line" in record) return `line ${record.line}: ${record.reason}`;
  const trace = record.traceId === null ? "a trace without concept:name" : `trace "${record.traceId}"`;
  return `${trace}, event index ${record.eventIndex}: ${record.reason}`;
}

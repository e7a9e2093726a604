import type { EventLog } from "../event-log.js";

/** A file that cannot be imported as a whole; the message is written for the user. */
export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImportError";
  }
}

export type SkipReason = "missing case id" | "missing activity" | "missing timestamp" | "unparseable timestamp";

/** Where a skipped record was: a CSV row by the file line it starts on (header = line 1), or an XES event by its trace. */
export type SkippedRecord =
  | { line: number; reason: SkipReason }
  /** `eventIndex` counts from 0 within the trace; `traceId` is null when the trace has no concept:name. */
  | { traceId: string | null; eventIndex: number; reason: SkipReason };

export interface ImportQuality {
  format: "csv" | "xes";
  /** CSV rows or XES events read. */
  recordsRead: number;
  /** Events in the log (after duplicates were merged). */
  recordsKept: number;
  skipped: {
    total: number;
    /** The first MAX_LISTED_SKIPS, in file order. */
    listed: SkippedRecord[];
  };
  /** CSV columns that were not mapped, dropped unread. */
  ignoredColumns: string[];
  /** XES trace and event attribute keys that were dropped, with how often they occurred. */
  ignoredAttributes: { key: string; count: number }[];
  /** XES extensions other than concept, time, org and lifecycle. */
  ignoredExtensions: { name: string; prefix: string }[];
  /** Timestamps without a UTC offset, read as UTC. */
  timestampsAssumedUtc: number;
  /** XES lifecycle:transition values and their counts; the transition is not kept on the events. */
  lifecycleTransitions: { transition: string; count: number }[];
  /** Events equal to another of the same case (activity, timestamp and resource): kept once. */
  duplicateEvents: number;
  /** Plain-language remarks about the import for the user. */
  notes: string[];
}

export interface ImportResult {
  log: EventLog;
  quality: ImportQuality;
}

export interface ImportOptions {
  /**
   * Skip CSV rows or XES events without a usable case id, activity or timestamp and list them
   * in the quality report. Otherwise one such record refuses the whole import.
   */
  skipBadRows?: boolean;
}

export const MAX_LISTED_SKIPS = 100;

import { CsvRecordParser } from "./csv-records.js";
import { readText, type ImportInput } from "./input.js";
import { LogBuilder } from "./log-builder.js";
import { qualityNotes } from "./quality-notes.js";
import { ImportError, type ImportOptions, type ImportResult, type SkipReason } from "./result.js";
import { SkippedRecords } from "./skipped-records.js";
import { StringPool } from "./string-pool.js";
import { TimestampReader } from "./timestamp.js";

/** Which header names hold the four columns kept; every other column is dropped unread. */
export interface CsvColumnMapping {
  caseId: string;
  activity: string;
  timestamp: string;
  resource?: string;
}

/**
 * Imports a CSV event log, streamed: a header row, then one event per row. Timestamps may be
 * ISO 8601 with an offset, `YYYY-MM-DD HH:MM:SS` (read as UTC) or Unix epoch numbers.
 */
export async function importCsvLog(input: ImportInput, mapping: CsvColumnMapping, options: ImportOptions = {}): Promise<ImportResult> {
  const rows = new CsvRowReader(mapping, options.skipBadRows === true);
  const parser = new CsvRecordParser((fields, line) => {
    if (rows.hasHeader) rows.readRow(fields, line);
    else parser.selectColumns(rows.readHeader(fields), fields.length);
  });
  await readText(input, (text) => parser.write(text));
  parser.end();
  return rows.result();
}

/** Turns the parser's records (the header, then rows holding only the mapped columns) into a log. */
class CsvRowReader {
  hasHeader = false;
  private ignoredColumns: string[] = [];
  private readonly builder = new LogBuilder();
  private readonly timestamps = new TimestampReader();
  private readonly skipped = new SkippedRecords();
  private readonly names = new StringPool();
  private rowsRead = 0;

  constructor(
    private readonly mapping: CsvColumnMapping,
    private readonly skipBadRows: boolean,
  ) {}

  /** The indices of the mapped columns: case id, activity, timestamp and, when mapped, resource. */
  readHeader(header: readonly string[]): number[] {
    const names = header.map((name) => name.trim());
    const wanted: [string, string][] = [
      ["case id", this.mapping.caseId],
      ["activity", this.mapping.activity],
      ["timestamp", this.mapping.timestamp],
    ];
    if (this.mapping.resource !== undefined) wanted.push(["resource", this.mapping.resource]);
    const missing = wanted.filter(([, column]) => !names.includes(column));
    if (missing.length > 0) {
      const described = missing.map(([role, column]) => `"${column}" (the ${role})`).join(", ");
      throw new ImportError(`The CSV has no column ${described}. Its columns are: ${names.map((name) => `"${name}"`).join(", ")}.`);
    }
    const columns = wanted.map(([, column]) => names.indexOf(column));
    this.ignoredColumns = names.filter((_, index) => !columns.includes(index));
    this.hasHeader = true;
    return columns;
  }

  readRow([caseId = "", activity = "", timestampText = "", resource = ""]: readonly string[], line: number): void {
    this.rowsRead++;
    const timestamp = timestampText.trim();
    let reason: SkipReason | null =
      caseId.trim() === "" ? "missing case id"
      : activity.trim() === "" ? "missing activity"
      : timestamp === "" ? "missing timestamp"
      : null;
    const at = reason === null ? this.timestamps.readDateTimeOrEpoch(timestamp) : NaN;
    if (reason === null && Number.isNaN(at)) reason = "unparseable timestamp";
    if (reason !== null) {
      this.skipped.add({ line, reason });
    } else if (this.skipBadRows || this.skipped.total === 0) {
      // Once a bad row refuses the import, the rest are only checked, not kept.
      const item = this.names.intern(caseId);
      const actor = resource === "" ? null : this.names.intern(resource);
      this.builder.eventsOf(item).push({ item, at, kind: "step", from: null, to: this.names.intern(activity), actor });
    }
  }

  result(): ImportResult {
    if (!this.hasHeader) throw new ImportError("The file is empty: it has no header row.");
    if (this.skipped.total > 0 && !this.skipBadRows) throw this.skipped.toError("row");
    const { log, duplicateEvents } = this.builder.build();
    const quality = {
      format: "csv" as const,
      recordsRead: this.rowsRead,
      recordsKept: log.events.length,
      skipped: { total: this.skipped.total, listed: this.skipped.listed },
      ignoredColumns: this.ignoredColumns,
      ignoredAttributes: [],
      ignoredExtensions: [],
      timestampsAssumedUtc: this.timestamps.assumedUtc,
      lifecycleTransitions: [],
      duplicateEvents,
    };
    return { log, quality: { ...quality, notes: qualityNotes(quality) } };
  }
}

import { SaxesParser, type SaxesTagPlain } from "saxes";
import type { LogEvent } from "../event-log.js";
import { gunzipIfCompressed, readText, type ImportInput } from "./input.js";
import { LogBuilder } from "./log-builder.js";
import { qualityNotes } from "./quality-notes.js";
import { ImportError, type ImportOptions, type ImportResult, type SkipReason } from "./result.js";
import { SkippedRecords } from "./skipped-records.js";
import { StringPool } from "./string-pool.js";
import { TimestampReader } from "./timestamp.js";

/** Extensions whose attributes are read (lifecycle only to count its transitions). */
const KNOWN_EXTENSION_PREFIXES = new Set(["concept", "time", "org", "lifecycle"]);

// Element depths in an XES document: <log> (1) > <trace> (2) > <event> (3) > event attribute (4).
const TRACE_DEPTH = 2;
const EVENT_DEPTH = 3;

/**
 * Imports an XES log (plain or gzipped, told apart by its first bytes), streamed: one case per
 * trace (`concept:name`), one step per event into its `concept:name` activity at its
 * `time:timestamp`, by its `org:resource`. All other attributes are dropped as they are read.
 */
export async function importXesLog(input: ImportInput, options: ImportOptions = {}): Promise<ImportResult> {
  const reader = new XesReader(options.skipBadRows === true);
  const parser = new SaxesParser({ xmlns: false, position: true });
  parser.on("opentag", (tag) => reader.openTag(tag));
  parser.on("closetag", (tag) => reader.closeTag(tag));
  await readText(gunzipIfCompressed(input), (text) => parse(parser, text));
  parse(parser, null);
  return reader.result();
}

/** Writes text to saxes (null ends the document), turning its well-formedness errors into ImportErrors. */
function parse(parser: SaxesParser<{ xmlns: false; position: true }>, text: string | null): void {
  try {
    parser.write(text);
  } catch (error) {
    if (error instanceof ImportError || !(error instanceof Error)) throw error;
    // saxes prefixes its messages with "line:column: " (said in words below) and ends some with a period.
    const problem = error.message.replace(/^\d+:\d+: /, "").replace(/\.$/, "");
    throw new ImportError(`The file is not well-formed XML: ${problem} (line ${parser.line}, column ${parser.column}).`);
  }
}

class XesReader {
  private readonly builder = new LogBuilder();
  private readonly timestamps = new TimestampReader();
  private readonly skipped = new SkippedRecords();
  private readonly names = new StringPool();
  private readonly ignoredAttributes = new Tally();
  private readonly ignoredExtensions: { name: string; prefix: string }[] = [];
  private readonly lifecycleTransitions = new Tally();
  private eventsRead = 0;
  private depth = 0;

  // The trace being read. XES does not require its concept:name to come first: until it is
  // read, the trace's events and skips wait.
  private inTrace = false;
  private traceId: string | null = null;
  /** The events of the trace's case, once its id is known. */
  private caseEvents: LogEvent[] | null = null;
  private readonly waitingEvents: LogEvent[] = [];
  private readonly waitingSkips: { eventIndex: number; reason: SkipReason }[] = [];
  private traceEventCount = 0;

  // The event being read.
  private inEvent = false;
  private activity: string | undefined;
  private timestamp: string | undefined;
  private resource: string | undefined;

  constructor(private readonly skipBadEvents: boolean) {}

  openTag(tag: SaxesTagPlain): void {
    const depth = ++this.depth;
    if (depth === EVENT_DEPTH + 1) {
      if (this.inEvent) this.readEventAttribute(tag.attributes);
    } else if (depth === EVENT_DEPTH) {
      if (!this.inTrace) return;
      if (tag.name === "event") this.startEvent();
      else this.readTraceAttribute(tag.attributes);
    } else if (depth === TRACE_DEPTH) {
      if (tag.name === "trace") this.startTrace();
      else if (tag.name === "extension") this.noteExtension(tag.attributes);
    } else if (depth === 1 && tag.name !== "log") {
      throw new ImportError(`This is not an XES log: its root element is <${tag.name}>, not <log>.`);
    }
  }

  closeTag(tag: SaxesTagPlain): void {
    const depth = this.depth--;
    if (depth === EVENT_DEPTH && this.inEvent && tag.name === "event") this.finishEvent();
    else if (depth === TRACE_DEPTH && this.inTrace && tag.name === "trace") this.finishTrace();
  }

  result(): ImportResult {
    if (this.skipped.total > 0 && !this.skipBadEvents) throw this.skipped.toError("event");
    const { log, duplicateEvents } = this.builder.build();
    const quality = {
      format: "xes" as const,
      recordsRead: this.eventsRead,
      recordsKept: log.events.length,
      skipped: { total: this.skipped.total, listed: this.skipped.listed },
      ignoredColumns: [],
      ignoredAttributes: this.ignoredAttributes.entries().map(([key, count]) => ({ key, count })),
      ignoredExtensions: this.ignoredExtensions,
      timestampsAssumedUtc: this.timestamps.assumedUtc,
      lifecycleTransitions: this.lifecycleTransitions.entries().map(([transition, count]) => ({ transition, count })),
      duplicateEvents,
    };
    return { log, quality: { ...quality, notes: qualityNotes(quality) } };
  }

  private startTrace(): void {
    this.inTrace = true;
    this.traceId = null;
    this.caseEvents = null;
    this.traceEventCount = 0;
  }

  private readTraceAttribute(attributes: Record<string, string>): void {
    const key = attributes.key;
    if (key === "concept:name") this.identifyTrace(attributes.value);
    else if (key !== undefined) this.ignoredAttributes.add(key);
  }

  /** The trace's first non-empty concept:name is its case id: the events and skips waiting for it go where they belong. */
  private identifyTrace(caseId: string | undefined): void {
    if (this.traceId !== null || caseId === undefined || caseId === "") return;
    this.traceId = caseId;
    for (const { eventIndex, reason } of this.waitingSkips) this.skipped.add({ traceId: caseId, eventIndex, reason });
    this.waitingSkips.length = 0;
    const caseEvents = this.builder.eventsOf(caseId);
    for (const event of this.waitingEvents) {
      event.item = caseId;
      caseEvents.push(event);
    }
    this.waitingEvents.length = 0;
    this.caseEvents = caseEvents;
  }

  private startEvent(): void {
    this.inEvent = true;
    this.activity = undefined;
    this.timestamp = undefined;
    this.resource = undefined;
  }

  private readEventAttribute(attributes: Record<string, string>): void {
    const key = attributes.key;
    switch (key) {
      case "concept:name":
        this.activity = attributes.value;
        break;
      case "time:timestamp":
        this.timestamp = attributes.value;
        break;
      case "org:resource":
        this.resource = attributes.value;
        break;
      case "lifecycle:transition":
        this.lifecycleTransitions.add(attributes.value ?? "");
        break;
      case undefined:
        break;
      default:
        this.ignoredAttributes.add(key);
    }
  }

  private finishEvent(): void {
    this.inEvent = false;
    this.eventsRead++;
    const eventIndex = this.traceEventCount++;
    const at = this.timestamp === undefined ? NaN : this.timestamps.readDateTime(this.timestamp);
    const reason: SkipReason | null =
      this.activity === undefined || this.activity === "" ? "missing activity"
      : this.timestamp === undefined ? "missing timestamp"
      : Number.isNaN(at) ? "unparseable timestamp"
      : null;
    if (reason !== null) {
      if (this.traceId === null) this.waitingSkips.push({ eventIndex, reason });
      else this.skipped.add({ traceId: this.traceId, eventIndex, reason });
    } else if (this.skipBadEvents || this.skipped.total === 0) {
      const activity = this.names.intern(this.activity ?? "");
      const actor = this.resource === undefined || this.resource === "" ? null : this.names.intern(this.resource);
      // A waiting event gets its case id when the trace's concept:name is read.
      const event: LogEvent = { item: this.traceId ?? "", at, kind: "step", from: null, to: activity, actor };
      (this.caseEvents ?? this.waitingEvents).push(event);
    }
  }

  private finishTrace(): void {
    if (this.traceId === null) {
      // Without a case id no event of the trace can be used.
      let waiting = 0;
      for (let eventIndex = 0; eventIndex < this.traceEventCount; eventIndex++) {
        const own = this.waitingSkips[waiting];
        let reason: SkipReason = "missing case id";
        if (own?.eventIndex === eventIndex) {
          reason = own.reason;
          waiting++;
        }
        this.skipped.add({ traceId: null, eventIndex, reason });
      }
      this.waitingEvents.length = 0;
      this.waitingSkips.length = 0;
    }
    this.inTrace = false;
  }

  private noteExtension(attributes: Record<string, string>): void {
    const prefix = attributes.prefix ?? "";
    if (!KNOWN_EXTENSION_PREFIXES.has(prefix)) this.ignoredExtensions.push({ name: attributes.name ?? "", prefix });
  }
}

/** Counts occurrences of strings; one map lookup per count, as it runs once per event. */
class Tally {
  private readonly counters = new Map<string, { count: number }>();

  add(key: string): void {
    const counter = this.counters.get(key);
    if (counter === undefined) this.counters.set(key, { count: 1 });
    else counter.count++;
  }

  entries(): [string, number][] {
    return [...this.counters].map(([key, { count }]) => [key, count]);
  }
}

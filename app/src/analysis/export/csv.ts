import type { EventLog } from "../event-log.js";
import { EXPORT_CHUNK_CHARS, isStepEvent } from "./steps.js";

const HEADER = "case_id,activity,timestamp,resource\r\n";

/**
 * Writes a log's step events as RFC 4180 CSV (CRLF line ends), one row per event:
 * `case_id,activity,timestamp,resource`, timestamps in ISO 8601 UTC, no resource as an empty field.
 */
export async function* exportCsvLog(log: EventLog): AsyncGenerator<string> {
  let chunk = HEADER;
  for (const event of log.events) {
    if (!isStepEvent(event)) continue;
    chunk += `${csvField(event.item)},${csvField(event.to)},${new Date(event.at).toISOString()},${csvField(event.actor ?? "")}\r\n`;
    if (chunk.length >= EXPORT_CHUNK_CHARS) {
      yield chunk;
      chunk = "";
    }
  }
  yield chunk;
}

/** Quoted when it holds a comma, quote or line break, or starts or ends with a space a reader might trim. */
function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

import type { ImportQuality } from "./result.js";

/** Plain-language remarks on what the import assumed, merged or left out. */
export function qualityNotes(quality: Omit<ImportQuality, "notes">): string[] {
  const notes: string[] = [];
  const records = quality.format === "csv" ? "rows" : "events";
  if (quality.skipped.total > 0) {
    notes.push(`${quality.skipped.total} ${records} without a usable case id, activity or timestamp were skipped.`);
  }
  if (quality.timestampsAssumedUtc > 0) {
    notes.push(`${quality.timestampsAssumedUtc} timestamps had no UTC offset and were read as UTC.`);
  }
  if (quality.duplicateEvents > 0) {
    notes.push(`${quality.duplicateEvents} events repeated another of their case (same activity, time and resource) and were kept once.`);
  }
  if (quality.lifecycleTransitions.length > 0) {
    notes.push("Lifecycle transitions are not kept: every event, whatever its transition, counts as entering its activity.");
  }
  return notes;
}

/**
 * Dates and times as an organization reads them: in its IANA time zone, written like the
 * rest of the UI (2026-07-01, 2026-07-01 14:00 GMT+2). Pure; a zone the runtime does not
 * know throws a RangeError, so callers pass a zone that `canonicalTimeZone` accepted.
 */

/** Area/Location names and UTC; offsets such as +01:00 are not zone names. */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/**
 * The zone name to store for what someone typed, or null when it names no zone.
 * ICU resolves some current names to older aliases (Asia/Kolkata → Asia/Calcutta); those
 * are kept as typed, anything else gets ICU's spelling (europe/berlin → Europe/Berlin).
 */
export function canonicalTimeZone(typed: string): string | null {
  const name = typed.trim();
  if (!ZONE_NAME.test(name)) return null;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
  return resolved.toLowerCase() === name.toLowerCase() ? resolved : name;
}

/** Every zone the runtime knows, for a picker. */
export function knownTimeZones(): string[] {
  return ["UTC", ...Intl.supportedValuesOf("timeZone")];
}

// Building a formatter costs far more than using one; a page formats many dates in one zone.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    // en-US names the zone by its abbreviation where it has a common one (EST, PDT),
    // otherwise by its offset (GMT+2), which no reader can misread.
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZoneName: "short",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

type Part = "year" | "month" | "day" | "hour" | "minute" | "timeZoneName";

/** How far the zone's clocks are ahead of UTC at `at` (to the minute). */
function offsetMs(at: number, timeZone: string): number {
  const { year, month, day, hour, minute } = partsOf(at, timeZone);
  return Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute)) - (at - (at % 60_000));
}

/**
 * The instant a calendar day (2026-03-01) begins in the zone. The offset is read at the guess
 * and again at the answer, so a day that starts just after a clock change comes out right.
 */
export function zonedDayStart(date: string, timeZone: string): number {
  const midnightUtc = Date.parse(`${date}T00:00:00Z`);
  const first = midnightUtc - offsetMs(midnightUtc, timeZone);
  return midnightUtc - offsetMs(first, timeZone);
}

/** The calendar day after `date` (both as 2026-03-01). */
export function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

function partsOf(value: Date | number, timeZone: string): Record<Part, string> {
  const parts = {} as Record<Part, string>;
  for (const part of formatterFor(timeZone).formatToParts(value)) parts[part.type as Part] = part.value;
  return parts;
}

/** The calendar date in the zone: 2026-07-01. */
export function localDate(value: Date | number, timeZone: string): string {
  const { year, month, day } = partsOf(value, timeZone);
  return `${year}-${month}-${day}`;
}

/** The date and time to the minute in the zone, without naming it: 2026-07-01 14:00. */
export function localMinute(value: Date | number, timeZone: string): string {
  const { year, month, day, hour, minute } = partsOf(value, timeZone);
  return `${year}-${month}-${day} ${hour}:${minute}`;
}

/** The date and time in the zone, with the zone's abbreviation: 2026-07-01 14:00 GMT+2. */
export function localDateTime(value: Date | number, timeZone: string): string {
  return `${localMinute(value, timeZone)} ${partsOf(value, timeZone).timeZoneName}`;
}

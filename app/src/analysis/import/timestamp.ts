import { DAY_MS } from "../event-log.js";

/**
 * Reads the timestamps process-mining logs carry into epoch milliseconds. Parsed by hand
 * rather than with a regular expression or Date.parse: a large log has hundreds of thousands
 * of them (no match arrays, no Date.UTC calls, which cost ten times the arithmetic), and
 * Date.parse would read a time without an offset as local time.
 */
export class TimestampReader {
  /** How many timestamps had no UTC offset and were read as UTC. */
  assumedUtc = 0;

  /**
   * `YYYY-MM-DD[T ]HH:MM[:SS[.fraction]]` with an optional `Z` or `±HH[:MM]` offset
   * (XES dates, pm4py CSVs). Fractions finer than a millisecond are truncated. NaN if invalid.
   */
  readDateTime(text: string): number {
    const year = digitsAt(text, 0, 4);
    const month = digitsAt(text, 5, 2);
    const day = digitsAt(text, 8, 2);
    const hour = digitsAt(text, 11, 2);
    const minute = digitsAt(text, 14, 2);
    const separator = text.charCodeAt(10);
    if (
      text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH || text.charCodeAt(13) !== COLON ||
      (separator !== UPPER_T && separator !== LOWER_T && separator !== SPACE) ||
      year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) ||
      hour < 0 || hour > 23 || minute < 0 || minute > 59
    ) {
      return NaN;
    }
    let position = 16;
    let second = 0;
    if (text.charCodeAt(position) === COLON) {
      second = digitsAt(text, position + 1, 2);
      if (second < 0 || second > 59) return NaN;
      position += 3;
    }
    let millisecond = 0;
    const mark = text.charCodeAt(position);
    if (mark === DOT || mark === COMMA) {
      position++;
      let scale = 100;
      const fractionStart = position;
      while (isDigit(text.charCodeAt(position))) {
        millisecond += (text.charCodeAt(position) - ZERO) * scale;
        scale /= 10;
        position++;
      }
      if (position === fractionStart) return NaN;
      millisecond = Math.floor(millisecond);
    }
    const offsetMinutes = this.readOffset(text, position);
    if (Number.isNaN(offsetMinutes)) return NaN;
    return daysSinceEpoch(year, month, day) * DAY_MS + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + millisecond;
  }

  /**
   * A date-time as above, or a Unix epoch number: seconds below 1e11 (before the year 5138),
   * milliseconds from there (after March 1973), so both common forms read right.
   */
  readDateTimeOrEpoch(text: string): number {
    if (!EPOCH.test(text)) return this.readDateTime(text);
    const value = Number(text);
    return Math.abs(value) < 1e11 ? Math.round(value * 1000) : Math.round(value);
  }

  /** Minutes east of UTC from `position` to the end of the text; NaN if it is not an offset. */
  private readOffset(text: string, position: number): number {
    if (position === text.length) {
      this.assumedUtc++;
      return 0;
    }
    const sign = text.charCodeAt(position);
    if ((sign === UPPER_Z || sign === LOWER_Z) && position + 1 === text.length) return 0;
    if (sign !== PLUS && sign !== DASH) return NaN;
    const hours = digitsAt(text, position + 1, 2);
    let minutesAt = position + 3;
    if (text.charCodeAt(minutesAt) === COLON) minutesAt++;
    const remaining = text.length - minutesAt;
    const minutes = remaining === 0 ? 0 : remaining === 2 ? digitsAt(text, minutesAt, 2) : -1;
    if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return NaN;
    return (sign === PLUS ? 1 : -1) * (hours * 60 + minutes);
  }
}

const EPOCH = /^-?\d+(?:\.\d+)?$/;
const ZERO = 48;
const DASH = 45;
const PLUS = 43;
const COLON = 58;
const DOT = 46;
const COMMA = 44;
const SPACE = 32;
const UPPER_T = 84;
const LOWER_T = 116;
const UPPER_Z = 90;
const LOWER_Z = 122;

function isDigit(code: number): boolean {
  return code >= ZERO && code <= ZERO + 9;
}

/** The number written by `count` digits at `start`, or -1 if any of them is not a digit (or missing). */
function digitsAt(text: string, start: number, count: number): number {
  let value = 0;
  for (let index = start; index < start + count; index++) {
    const code = text.charCodeAt(index);
    if (!isDigit(code)) return -1;
    value = value * 10 + code - ZERO;
  }
  return value;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysSinceEpoch(year: number, month: number, day: number): number {
  const marchYear = month <= 2 ? year - 1 : year;
  const era = Math.floor(marchYear / 400);
  const yearOfEra = marchYear - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * A scope's working calendar, so a duration can be shown in calendar time and in business time.
 *
 * Working hours are wall-clock times on local dates in the calendar's time zone: a day runs from
 * the first moment its clock shows dayStart (or later) to the first moment it shows dayEnd (or
 * later). So a 09:00–17:00 day is 8 working hours even on a 23- or 25-hour DST day; a start inside
 * a skipped hour opens at the jump, and inside a repeated hour its first occurrence counts.
 */
import { z } from "zod";
import { DAY_MS } from "./event-log.js";

export interface WorkingCalendar {
  /** An IANA time zone, e.g. "Europe/Amsterdam". */
  timeZone: string;
  /** 0 = Sunday … 6 = Saturday. */
  workingDays: readonly number[];
  /** "HH:MM", 24-hour clock. */
  dayStart: string;
  /** "HH:MM", after dayStart; "24:00" closes at midnight. */
  dayEnd: string;
  /** Local dates, "YYYY-MM-DD", that are not worked. */
  holidays: readonly string[];
}

export const DEFAULT_CALENDAR: WorkingCalendar = Object.freeze({
  timeZone: "UTC",
  workingDays: Object.freeze([1, 2, 3, 4, 5]),
  dayStart: "09:00",
  dayEnd: "17:00",
  holidays: Object.freeze([]),
});

export class InvalidCalendarError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid working calendar; fix: ${problems.join("; ")}`);
    this.name = "InvalidCalendarError";
  }
}

const wallClockTime = z
  .string({ error: 'must be a time "HH:MM"' })
  .regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be a 24-hour time "HH:MM", e.g. "09:00"');

const weekday = z
  .number({ error: "working days are numbers from 0 (Sunday) to 6 (Saturday)" })
  .int("working days are whole numbers from 0 (Sunday) to 6 (Saturday)")
  .min(0, "working days are numbers from 0 (Sunday) to 6 (Saturday)")
  .max(6, "working days are numbers from 0 (Sunday) to 6 (Saturday)");

const localDate = z
  .string({ error: 'holidays are dates "YYYY-MM-DD"' })
  .refine(isLocalDate, { error: (issue) => `${JSON.stringify(issue.input)} is not a date: write holidays as "YYYY-MM-DD", e.g. "2025-12-25"` });

/** Fields left out take the default's value; unknown fields are refused, so a typo is not silently ignored. */
const calendarSchema = z
  .strictObject({
    timeZone: z
      .string({ error: 'must be an IANA time zone name, e.g. "Europe/Amsterdam"' })
      .refine(isKnownTimeZone, {
        error: (issue) => `unknown time zone ${JSON.stringify(issue.input)}: use an IANA name such as "Europe/Amsterdam" or "UTC"`,
      })
      .default(DEFAULT_CALENDAR.timeZone),
    workingDays: z
      .array(weekday, { error: "must be a list of weekdays, e.g. [1, 2, 3, 4, 5] for Monday to Friday" })
      .min(1, "must name at least one working day, e.g. [1, 2, 3, 4, 5] for Monday to Friday")
      .default([...DEFAULT_CALENDAR.workingDays]),
    dayStart: wallClockTime.default(DEFAULT_CALENDAR.dayStart),
    dayEnd: wallClockTime.default(DEFAULT_CALENDAR.dayEnd),
    holidays: z.array(localDate, { error: 'must be a list of dates, e.g. ["2025-12-25"]' }).default([]),
  })
  .superRefine((calendar, context) => {
    if (minuteOfDay(calendar.dayEnd) <= minuteOfDay(calendar.dayStart)) {
      context.addIssue({
        code: "custom",
        path: ["dayEnd"],
        message: `${calendar.dayEnd} must be after dayStart ${calendar.dayStart}: working hours cannot run past midnight (use "24:00" to close at midnight)`,
      });
    }
  });

/** Validates a stored or submitted calendar; working days and holidays come back sorted without repeats. */
export function parseCalendar(raw: unknown): WorkingCalendar {
  const result = calendarSchema.safeParse(raw);
  if (!result.success) {
    throw new InvalidCalendarError(result.error.issues.map((issue) => `${issue.path.join(".") || "calendar"}: ${issue.message}`));
  }
  const calendar = result.data;
  return {
    ...calendar,
    workingDays: [...new Set(calendar.workingDays)].sort((a, b) => a - b),
    holidays: [...new Set(calendar.holidays)].sort(),
  };
}

export interface BusinessClock {
  /** Working milliseconds between two instants; 0 when end <= start. */
  businessMs(start: number, end: number): number;
}

const clocksByCalendar = new WeakMap<WorkingCalendar, BusinessClock>();

/** Keeps a clock per calendar object (so calendars are treated as immutable); a held clock skips the lookup. */
export function businessMs(calendar: WorkingCalendar, start: number, end: number): number {
  let clock = clocksByCalendar.get(calendar);
  if (!clock) {
    clock = createBusinessClock(calendar);
    clocksByCalendar.set(calendar, clock);
  }
  return clock.businessMs(start, end);
}

const MINUTE_MS = 60_000;
/** Holidays and DST days are found and totalled per block of this many local days (about 1.4 years). */
const BLOCK_DAYS = 512;
/** Zones change offset at most a few times a year, never twice in a week: weekly samples find every change. */
const OFFSET_SAMPLE_DAYS = 7;

/** Instants; equal when the day is not worked. */
interface WorkingHours {
  opens: number;
  closes: number;
}

const CLOSED: WorkingHours = { opens: 0, closes: 0 };

/** A day worked longer or shorter than its weekday's usual hours: a holiday, or a DST change during working hours. */
interface Exception {
  day: number;
  deviationMs: number;
}

interface BlockExceptions {
  exceptions: Exception[];
  totalMs: number;
}

/**
 * Days are numbered as local dates: day n is the local date that is n days after 1970-01-01.
 * Each day's opening and closing instants are computed once, then kept; the days wholly inside
 * a span are counted arithmetically (whole weeks times the usual hours, corrected by the block's
 * exceptions), so a span of years costs about as much as a span of hours.
 */
export function createBusinessClock(calendar: WorkingCalendar): BusinessClock {
  const { timeZone, workingDays, dayStart, dayEnd, holidays } = parseCalendar(calendar);
  const zone = zoneOf(timeZone);
  const opensAfterMidnightMs = minuteOfDay(dayStart) * MINUTE_MS;
  const closesAfterMidnightMs = minuteOfDay(dayEnd) * MINUTE_MS;
  const usualDayMs = closesAfterMidnightMs - opensAfterMidnightMs;
  const worksOn = Array.from({ length: 7 }, (_, weekday) => workingDays.includes(weekday));
  const holidayDays = new Set(holidays.map(dayNumberOf));
  const hoursByDay = new Map<number, WorkingHours>();
  const exceptionsByBlock = new Map<number, BlockExceptions>();

  const usualMsOn = (day: number): number => (worksOn[weekdayOf(day)] ? usualDayMs : 0);

  function hoursOn(day: number): WorkingHours {
    if (!worksOn[weekdayOf(day)] || holidayDays.has(day)) return CLOSED;
    let hours = hoursByDay.get(day);
    if (!hours) {
      const midnight = day * DAY_MS;
      hours = { opens: zone.firstInstantShowing(midnight + opensAfterMidnightMs), closes: zone.firstInstantShowing(midnight + closesAfterMidnightMs) };
      hoursByDay.set(day, hours);
    }
    return hours;
  }

  function exceptionsIn(block: number): BlockExceptions {
    let found = exceptionsByBlock.get(block);
    if (found) return found;
    const first = block * BLOCK_DAYS;
    const last = first + BLOCK_DAYS - 1;
    const candidates = new Set([...holidayDays].filter((day) => day >= first && day <= last));
    // A change in UTC day u falls on local day u - 1, u or u + 1; day d works within UTC days d - 1 … d + 1.
    for (const utcDay of zone.offsetChangeDays(first - 1, last + 2)) {
      for (let day = Math.max(first, utcDay - 1); day <= Math.min(last, utcDay + 1); day++) candidates.add(day);
    }
    const exceptions: Exception[] = [];
    for (const day of candidates) {
      const hours = hoursOn(day);
      const deviationMs = hours.closes - hours.opens - usualMsOn(day);
      if (deviationMs !== 0) exceptions.push({ day, deviationMs });
    }
    found = { exceptions, totalMs: exceptions.reduce((sum, exception) => sum + exception.deviationMs, 0) };
    exceptionsByBlock.set(block, found);
    return found;
  }

  function overlapMs(firstDay: number, lastDay: number, start: number, end: number): number {
    let total = 0;
    for (let day = firstDay; day <= lastDay; day++) {
      const { opens, closes } = hoursOn(day);
      total += Math.max(0, Math.min(closes, end) - Math.max(opens, start));
    }
    return total;
  }

  function wholeDaysMs(firstDay: number, lastDay: number): number {
    const weeks = Math.floor((lastDay - firstDay + 1) / 7);
    let usualMs = weeks * workingDays.length * usualDayMs;
    for (let day = firstDay + weeks * 7; day <= lastDay; day++) usualMs += usualMsOn(day);
    let deviationMs = 0;
    for (let block = Math.floor(firstDay / BLOCK_DAYS); block * BLOCK_DAYS <= lastDay; block++) {
      const { exceptions, totalMs } = exceptionsIn(block);
      const blockStart = block * BLOCK_DAYS;
      if (firstDay <= blockStart && blockStart + BLOCK_DAYS - 1 <= lastDay) deviationMs += totalMs;
      else for (const { day, deviationMs: ms } of exceptions) if (day >= firstDay && day <= lastDay) deviationMs += ms;
    }
    return usualMs + deviationMs;
  }

  return {
    businessMs(start, end) {
      if (!Number.isFinite(start) || !Number.isFinite(end)) throw new RangeError(`businessMs needs finite epoch milliseconds, got ${start} and ${end}`);
      if (end <= start) return 0;
      // Offsets are under a day, so local day d's hours lie strictly within UTC days d - 1 … d + 1:
      // only the first and last three candidate days can be partly inside [start, end).
      const firstDay = Math.floor(start / DAY_MS) - 1;
      const lastDay = Math.floor(end / DAY_MS) + 1;
      if (lastDay - firstDay < 6) return overlapMs(firstDay, lastDay, start, end);
      return overlapMs(firstDay, firstDay + 2, start, end) + wholeDaysMs(firstDay + 3, lastDay - 3) + overlapMs(lastDay - 2, lastDay, start, end);
    },
  };
}

interface Zone {
  /** The first instant whose wall clock shows `wall` (ms since local 1970-01-01 00:00) or later. */
  firstInstantShowing(wall: number): number;
  /** UTC day numbers u in [from, to) whose offset at u + 1 differs from that at u. */
  offsetChangeDays(from: number, to: number): number[];
}

function zoneOf(timeZone: string): Zone {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });

  /** Local wall-clock time minus UTC at an instant. */
  function offsetAt(instant: number): number {
    const wall = Object.fromEntries(format.formatToParts(instant).map((part) => [part.type, Number(part.value)]));
    const wholeSecond = instant - (((instant % 1000) + 1000) % 1000);
    return Date.UTC(wall.year!, wall.month! - 1, wall.day!, wall.hour!, wall.minute!, wall.second!) - wholeSecond;
  }

  /** The first multiple of `step` after `before` (whose offset is `offset`) at or before `changed` whose offset differs. */
  function firstChange(before: number, changed: number, offset: number, step: number): number {
    while (changed - before > step) {
      const middle = before + Math.floor((changed - before) / step / 2) * step;
      if (offsetAt(middle) === offset) before = middle;
      else changed = middle;
    }
    return changed;
  }

  return {
    firstInstantShowing(wall) {
      // The instant lies within a day of `wall` read as UTC; assume at most one change in between.
      const offsetBefore = offsetAt(wall - DAY_MS);
      const offsetAfter = offsetAt(wall + DAY_MS);
      if (offsetBefore === offsetAfter) return wall - offsetBefore;
      const showing = [wall - offsetBefore, wall - offsetAfter].filter((instant) => offsetAt(instant) === wall - instant);
      if (showing.length > 0) return Math.min(...showing);
      // Skipped by a forward jump: the first instant after the jump shows a later time.
      const beforeJump = wall - offsetAfter;
      return firstChange(beforeJump, wall - offsetBefore, offsetAt(beforeJump), 1000);
    },
    offsetChangeDays(from, to) {
      const days: number[] = [];
      let sampleDay = from;
      let offset = offsetAt(from * DAY_MS);
      while (sampleDay < to) {
        const nextDay = Math.min(sampleDay + OFFSET_SAMPLE_DAYS, to);
        const nextOffset = offsetAt(nextDay * DAY_MS);
        if (nextOffset !== offset) days.push(firstChange(sampleDay * DAY_MS, nextDay * DAY_MS, offset, DAY_MS) / DAY_MS - 1);
        sampleDay = nextDay;
        offset = nextOffset;
      }
      return days;
    },
  };
}

/** 1970-01-01 (day 0) was a Thursday. */
const weekdayOf = (day: number): number => (((day + 4) % 7) + 7) % 7;

const dayNumberOf = (date: string): number => Date.parse(`${date}T00:00:00Z`) / DAY_MS;

function minuteOfDay(time: string): number {
  const [hours, minutes] = time.split(":").map(Number);
  return hours! * 60 + minutes!;
}

function isLocalDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const time = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(time) && new Date(time).toISOString().startsWith(value);
}

function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}

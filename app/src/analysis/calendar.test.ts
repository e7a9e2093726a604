import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_CALENDAR, InvalidCalendarError, businessMs, createBusinessClock, parseCalendar, type WorkingCalendar } from "./calendar.js";

const HOUR = 3_600_000;
const at = (iso: string): number => Date.parse(iso);
const EVERY_DAY = [0, 1, 2, 3, 4, 5, 6];
const amsterdam = (overrides: Partial<WorkingCalendar> = {}): WorkingCalendar => parseCalendar({ timeZone: "Europe/Amsterdam", ...overrides });

describe("parseCalendar", () => {
  it("fills left-out fields from the default and normalises the lists", () => {
    expect(parseCalendar({})).toEqual(DEFAULT_CALENDAR);
    expect(parseCalendar({ workingDays: [5, 1, 1], holidays: ["2025-12-26", "2025-12-25"] })).toMatchObject({
      workingDays: [1, 5],
      holidays: ["2025-12-25", "2025-12-26"],
    });
  });

  it.each([
    [{ timeZone: "Europe/Amsterdm" }, 'timeZone: unknown time zone "Europe/Amsterdm": use an IANA name such as "Europe/Amsterdam" or "UTC"'],
    [{ dayStart: "17:00", dayEnd: "09:00" }, "dayEnd: 09:00 must be after dayStart 17:00"],
    [{ dayStart: "9:00" }, 'dayStart: must be a 24-hour time "HH:MM"'],
    [{ holidays: ["2025-02-30"] }, 'holidays.0: "2025-02-30" is not a date: write holidays as "YYYY-MM-DD"'],
    [{ workingDays: [] }, "workingDays: must name at least one working day"],
    [{ workingDays: [1, 7] }, "workingDays.1: working days are numbers from 0 (Sunday) to 6 (Saturday)"],
    [{ workday: [1] }, 'calendar: Unrecognized key: "workday"'],
    [null, "calendar: Invalid input: expected object"],
  ])("says what to fix in %j", (raw, message) => {
    expect(() => parseCalendar(raw)).toThrow(InvalidCalendarError);
    expect(() => parseCalendar(raw)).toThrow(message);
  });
});

describe("businessMs", () => {
  const utc = createBusinessClock(DEFAULT_CALENDAR);

  it("counts a span inside one day's hours in full", () => {
    expect(utc.businessMs(at("2025-01-06T10:00Z"), at("2025-01-06T12:30Z"))).toBe(2.5 * HOUR);
  });

  it("skips the weekend", () => {
    expect(utc.businessMs(at("2025-01-10T15:00Z"), at("2025-01-13T11:00Z"))).toBe(4 * HOUR);
  });

  it("counts only working hours of a span starting before and ending after them", () => {
    expect(utc.businessMs(at("2025-01-06T07:00Z"), at("2025-01-06T20:00Z"))).toBe(8 * HOUR);
    expect(utc.businessMs(at("2025-01-06T07:00Z"), at("2025-01-08T20:00Z"))).toBe(24 * HOUR);
  });

  it("skips holidays", () => {
    const calendar = parseCalendar({ holidays: ["2025-01-08"] });
    expect(businessMs(calendar, at("2025-01-06T00:00Z"), at("2025-01-11T00:00Z"))).toBe(4 * 8 * HOUR);
  });

  it("is 0 when the span is empty or reversed", () => {
    expect(utc.businessMs(at("2025-01-06T12:00Z"), at("2025-01-06T12:00Z"))).toBe(0);
    expect(utc.businessMs(at("2025-01-06T12:00Z"), at("2025-01-06T10:00Z"))).toBe(0);
  });

  it("reads hours on the calendar's wall clock", () => {
    // 09:00–17:00 in Amsterdam in winter is 08:00–16:00 UTC.
    expect(businessMs(amsterdam(), at("2025-01-06T00:00Z"), at("2025-01-06T09:00Z"))).toBe(1 * HOUR);
  });

  it("gives a 09:00–17:00 day 8 hours on both DST days in Amsterdam", () => {
    const clock = createBusinessClock(amsterdam({ workingDays: EVERY_DAY }));
    // Local midnight to midnight: 23 hours on 2025-03-30, 25 hours on 2025-10-26.
    expect(clock.businessMs(at("2025-03-29T23:00Z"), at("2025-03-30T22:00Z"))).toBe(8 * HOUR);
    expect(clock.businessMs(at("2025-10-25T22:00Z"), at("2025-10-26T23:00Z"))).toBe(8 * HOUR);
    expect(clock.businessMs(at("2025-03-30T07:00Z"), at("2025-03-30T15:00Z"))).toBe(8 * HOUR);
    expect(clock.businessMs(at("2025-03-25T00:00Z"), at("2025-04-04T00:00Z"))).toBe(10 * 8 * HOUR);
  });

  it("counts the real length of working hours that span a DST change", () => {
    const clock = createBusinessClock(amsterdam({ workingDays: EVERY_DAY, dayStart: "01:00", dayEnd: "05:00" }));
    expect(clock.businessMs(at("2025-03-29T23:00Z"), at("2025-03-30T22:00Z"))).toBe(3 * HOUR);
    expect(clock.businessMs(at("2025-10-25T22:00Z"), at("2025-10-26T23:00Z"))).toBe(5 * HOUR);
    // Thirty local days around each change, most of them counted arithmetically.
    expect(clock.businessMs(at("2025-03-14T23:00Z"), at("2025-04-13T22:00Z"))).toBe((30 * 4 - 1) * HOUR);
    expect(clock.businessMs(at("2025-10-10T22:00Z"), at("2025-11-09T23:00Z"))).toBe((30 * 4 + 1) * HOUR);
  });

  it("opens at the jump when the start time is skipped, and at its first occurrence when repeated", () => {
    const clock = createBusinessClock(amsterdam({ workingDays: EVERY_DAY, dayStart: "02:30", dayEnd: "04:00" }));
    // 2025-03-30: 02:00 jumps to 03:00 (01:00 UTC); closes 04:00 CEST (02:00 UTC).
    expect(clock.businessMs(at("2025-03-29T23:00Z"), at("2025-03-30T22:00Z"))).toBe(1 * HOUR);
    // 2025-10-26: the first 02:30 is CEST (00:30 UTC); closes 04:00 CET (03:00 UTC).
    expect(clock.businessMs(at("2025-10-25T22:00Z"), at("2025-10-26T23:00Z"))).toBe(2.5 * HOUR);
  });

  it("refuses instants that are not finite", () => {
    expect(() => utc.businessMs(Number.NaN, 0)).toThrow(RangeError);
  });
});

/** Counts working quarter-hours by reading every one on the wall clock: slow, but independent of the clock's arithmetic. */
function quarterHourReference(calendar: WorkingCalendar, from: number, to: number): Float64Array {
  const format = new Intl.DateTimeFormat("en-CA", {
    timeZone: calendar.timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  });
  const minuteOf = (time: string): number => Number(time.slice(0, 2)) * 60 + Number(time.slice(3));
  const opens = minuteOf(calendar.dayStart);
  const closes = minuteOf(calendar.dayEnd);
  const quarters = (to - from) / (HOUR / 4);
  const workedBefore = new Float64Array(quarters + 1);
  for (let quarter = 0; quarter < quarters; quarter++) {
    const parts = Object.fromEntries(format.formatToParts(from + (quarter * HOUR) / 4).map((part) => [part.type, part.value]));
    const date = `${parts.year}-${parts.month}-${parts.day}`;
    const minute = Number(parts.hour) * 60 + Number(parts.minute);
    const worked =
      calendar.workingDays.includes(new Date(`${date}T00:00Z`).getUTCDay()) && !calendar.holidays.includes(date) && minute >= opens && minute < closes;
    workedBefore[quarter + 1] = workedBefore[quarter]! + (worked ? HOUR / 4 : 0);
  }
  return workedBefore;
}

describe("businessMs over years", () => {
  const from = at("2023-01-01T00:00Z");
  const to = at("2027-01-01T00:00Z");
  const holidays = ["2023-04-27", "2023-12-25", "2024-03-31", "2024-10-27", "2024-12-25", "2025-03-30", "2025-12-25", "2026-04-03"];
  const calendars: [string, WorkingCalendar][] = [
    ["Amsterdam office hours", amsterdam({ holidays })],
    ["Amsterdam night hours around each DST change", amsterdam({ holidays, workingDays: EVERY_DAY, dayStart: "01:00", dayEnd: "05:00" })],
    ["New York, opening in the skipped hour", parseCalendar({ timeZone: "America/New_York", workingDays: [1, 2, 3, 4, 5, 6, 0], dayStart: "02:30", dayEnd: "18:00" })],
    ["Adelaide, half-hour offset", parseCalendar({ timeZone: "Australia/Adelaide", workingDays: [0, 2, 3, 4], dayStart: "08:15", dayEnd: "24:00", holidays })],
  ];

  it.each(calendars)("%s: equals a quarter-hour by quarter-hour count", (_name, calendar) => {
    const reference = quarterHourReference(calendar, from, to);
    const clock = createBusinessClock(calendar);
    const quarters = reference.length - 1;
    expect(clock.businessMs(from, to)).toBe(reference[quarters]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: quarters }), fc.integer({ min: 0, max: quarters }), (a, b) => {
        const [first, last] = a <= b ? [a, b] : [b, a];
        expect(clock.businessMs(from + (first * HOUR) / 4, from + (last * HOUR) / 4)).toBe(reference[last]! - reference[first]!);
      }),
      { numRuns: 500 },
    );
  });
});

describe("businessMs properties", () => {
  const calendars = [
    DEFAULT_CALENDAR,
    amsterdam({ holidays: ["2025-03-31", "2026-01-01"] }),
    amsterdam({ workingDays: [0, 6], dayStart: "01:30", dayEnd: "03:30" }),
    parseCalendar({ timeZone: "Asia/Kathmandu", workingDays: [0, 1, 2, 3, 4], dayStart: "10:00", dayEnd: "24:00" }),
  ];
  const instant = fc.integer({ min: at("2020-01-01T00:00Z"), max: at("2030-01-01T00:00Z") });

  it("splits additively and never exceeds the elapsed time", () => {
    fc.assert(
      fc.property(fc.constantFrom(...calendars), fc.uniqueArray(instant, { minLength: 3, maxLength: 3 }), (calendar, instants) => {
        const [a, b, c] = instants.sort((x, y) => x - y) as [number, number, number];
        expect(businessMs(calendar, a, c)).toBe(businessMs(calendar, a, b) + businessMs(calendar, b, c));
        const ab = businessMs(calendar, a, b);
        expect(ab).toBeGreaterThanOrEqual(0);
        expect(ab).toBeLessThanOrEqual(b - a);
      }),
      { numRuns: 2000 },
    );
  });
});

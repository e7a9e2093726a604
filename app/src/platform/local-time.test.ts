import { describe, expect, it } from "vitest";
import { canonicalTimeZone, knownTimeZones, localDate, localDateTime, nextDay, zonedDayStart } from "./local-time.js";

describe("local time", () => {
  it("writes UTC as the rest of the UI does", () => {
    expect(localDateTime(new Date("2026-11-28T02:18:00Z"), "UTC")).toBe("2026-11-28 02:18 UTC");
    expect(localDate(new Date("2026-11-28T02:18:00Z"), "UTC")).toBe("2026-11-28");
  });

  it("shows the zone's own clock and abbreviation, following daylight saving time", () => {
    expect(localDateTime(new Date("2026-01-15T17:05:00Z"), "America/New_York")).toBe("2026-01-15 12:05 EST");
    expect(localDateTime(new Date("2026-07-15T17:05:00Z"), "America/New_York")).toBe("2026-07-15 13:05 EDT");
    expect(localDateTime(new Date("2026-07-01T12:00:00Z"), "Europe/Berlin")).toBe("2026-07-01 14:00 GMT+2");
    expect(localDateTime(new Date("2026-07-01T12:00:00Z"), "Asia/Kolkata")).toBe("2026-07-01 17:30 GMT+5:30");
  });

  it("takes epoch milliseconds as well as dates, and writes midnight as 00:00", () => {
    const ms = Date.parse("2026-03-01T23:00:00Z");
    expect(localDateTime(ms, "Europe/Berlin")).toBe("2026-03-02 00:00 GMT+1");
  });

  it("gives the date on the zone's calendar, not UTC's", () => {
    const lateEvening = new Date("2026-03-01T03:30:00Z");
    expect(localDate(lateEvening, "America/Los_Angeles")).toBe("2026-02-28");
    expect(localDate(lateEvening, "Pacific/Auckland")).toBe("2026-03-01");
    expect(localDate(new Date("2026-03-01T12:30:00Z"), "Pacific/Auckland")).toBe("2026-03-02");
  });

  it("accepts IANA names in any case and keeps current names ICU knows by an older alias", () => {
    expect(canonicalTimeZone(" europe/berlin ")).toBe("Europe/Berlin");
    expect(canonicalTimeZone("utc")).toBe("UTC");
    expect(canonicalTimeZone("Asia/Kolkata")).toBe("Asia/Kolkata");
    expect(localDate(0, canonicalTimeZone("Asia/Kolkata")!)).toBe("1970-01-01");
  });

  it("refuses what names no zone: unknown places, offsets, blanks", () => {
    for (const typed of ["Mars/Olympus_Mons", "+01:00", "-05:00", "", "  ", "Europe/../Berlin", "Europe/Berlin; DROP"]) {
      expect(canonicalTimeZone(typed), typed).toBeNull();
    }
  });

  it("lists zones for a picker, UTC first, each of them accepted", () => {
    const zones = knownTimeZones();
    expect(zones[0]).toBe("UTC");
    expect(zones).toContain("Europe/Berlin");
    expect(zones.every((zone) => canonicalTimeZone(zone) === zone)).toBe(true);
  });

  it("throws for a zone the runtime does not know rather than guessing", () => {
    expect(() => localDate(0, "Mars/Olympus_Mons")).toThrow(RangeError);
  });
});

describe("where a day begins in a zone", () => {
  it("is local midnight: the evening before in UTC east of Greenwich, the morning of west of it", () => {
    expect(new Date(zonedDayStart("2026-03-01", "Europe/Berlin")).toISOString()).toBe("2026-02-28T23:00:00.000Z");
    expect(new Date(zonedDayStart("2026-03-01", "America/New_York")).toISOString()).toBe("2026-03-01T05:00:00.000Z");
    expect(new Date(zonedDayStart("2026-03-01", "Asia/Kolkata")).toISOString()).toBe("2026-02-28T18:30:00.000Z");
    expect(new Date(zonedDayStart("2026-03-01", "UTC")).toISOString()).toBe("2026-03-01T00:00:00.000Z");
  });

  it("follows the clocks across a change: a 23-hour day in spring, a 25-hour one in autumn", () => {
    const spring = zonedDayStart(nextDay("2026-03-29"), "Europe/Berlin") - zonedDayStart("2026-03-29", "Europe/Berlin");
    const autumn = zonedDayStart(nextDay("2026-10-25"), "Europe/Berlin") - zonedDayStart("2026-10-25", "Europe/Berlin");
    expect([spring, autumn].map((ms) => ms / 3_600_000)).toEqual([23, 25]);
    expect(nextDay("2028-02-28")).toBe("2028-02-29");
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TimestampReader } from "./timestamp.js";

describe("TimestampReader", () => {
  it("reads ISO 8601 with an offset, a space separator and microseconds (pm4py CSVs)", () => {
    const reader = new TimestampReader();
    expect(reader.readDateTime("2011-10-11 13:45:40.276000+02:00")).toBe(Date.UTC(2011, 9, 11, 11, 45, 40, 276));
    expect(reader.readDateTime("2011-12-06 01:06:40+01:00")).toBe(Date.UTC(2011, 11, 6, 0, 6, 40));
    expect(reader.assumedUtc).toBe(0);
  });

  it("reads XES dates and the other offset spellings", () => {
    const reader = new TimestampReader();
    expect(reader.readDateTime("2010-12-30T14:32:00.000+01:00")).toBe(Date.UTC(2010, 11, 30, 13, 32));
    expect(reader.readDateTime("2010-12-30T14:32:00.5Z")).toBe(Date.UTC(2010, 11, 30, 14, 32, 0, 500));
    expect(reader.readDateTime("2010-12-30T14:32-0530")).toBe(Date.UTC(2010, 11, 30, 20, 2));
    expect(reader.readDateTime("2010-12-30T14:32:07-05")).toBe(Date.UTC(2010, 11, 30, 19, 32, 7));
    expect(reader.readDateTime("2024-02-29T00:00:00Z")).toBe(Date.UTC(2024, 1, 29));
  });

  it("reads any instant written in local time with its offset back to that instant", () => {
    const instant = fc.date({ min: new Date("1000-01-02T00:00:00Z"), max: new Date("9999-12-30T00:00:00Z"), noInvalidDate: true });
    const offsetMinutes = fc.integer({ min: -14 * 60, max: 14 * 60 });
    fc.assert(
      fc.property(instant, offsetMinutes, fc.constantFrom("T", " "), (date, offset, separator) => {
        const local = new Date(date.getTime() + offset * 60_000).toISOString().slice(0, 23).replace("T", separator);
        const magnitude = Math.abs(offset);
        const zone = `${offset < 0 ? "-" : "+"}${String(Math.floor(magnitude / 60)).padStart(2, "0")}:${String(magnitude % 60).padStart(2, "0")}`;
        expect(new TimestampReader().readDateTime(local + zone)).toBe(date.getTime());
      }),
    );
  });

  it("reads a time without an offset as UTC and counts it", () => {
    const reader = new TimestampReader();
    expect(reader.readDateTime("2011-10-11 13:45:40")).toBe(Date.UTC(2011, 9, 11, 13, 45, 40));
    expect(reader.readDateTime("2011-10-11T13:45:40.123")).toBe(Date.UTC(2011, 9, 11, 13, 45, 40, 123));
    expect(reader.assumedUtc).toBe(2);
  });

  it("reads epoch seconds and epoch milliseconds", () => {
    const reader = new TimestampReader();
    expect(reader.readDateTimeOrEpoch("1318333540")).toBe(1_318_333_540_000);
    expect(reader.readDateTimeOrEpoch("1318333540.276")).toBe(1_318_333_540_276);
    expect(reader.readDateTimeOrEpoch("1318333540276")).toBe(1_318_333_540_276);
    expect(reader.readDateTimeOrEpoch("2011-10-11T13:45:40Z")).toBe(Date.UTC(2011, 9, 11, 13, 45, 40));
    expect(new TimestampReader().readDateTime("1318333540")).toBeNaN();
  });

  it.each([
    "",
    "yesterday",
    "2011-13-01 00:00:00",
    "2023-02-29 00:00:00",
    "2011-04-31T00:00:00Z",
    "2011-10-11 24:00:00",
    "2011-10-11 13:60:00",
    "2011-10-11 13:45:61",
    "2011-10-11 13:45:40.",
    "2011-10-11 13:45:40+2",
    "2011-10-11 13:45:40+02:00 ",
    "2011-10-11X13:45:40Z",
    "2011-10-11",
    "12/10/2011 13:45",
  ])("rejects %j", (text) => {
    expect(new TimestampReader().readDateTimeOrEpoch(text)).toBeNaN();
  });
});

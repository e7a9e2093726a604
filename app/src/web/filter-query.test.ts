/** Dates in a view's address are days where the organization is, and read back the same way. */
import { describe, expect, it } from "vitest";
import { filterQueryOf } from "./analytics-view.js";
import { parseScanOutputQuery } from "./scan-output-query.js";

describe("dates in a view's address", () => {
  it("cover whole days in the organization's time zone, clock changes included", () => {
    const { filters } = parseScanOutputQuery({ from: "2026-03-01", to: "2026-03-29" }, "Europe/Berlin");
    expect(new Date(filters!.from!).toISOString()).toBe("2026-02-28T23:00:00.000Z");
    // The clocks go forward that night: the day ends at 22:00 UTC, not 23:00.
    expect(new Date(filters!.to!).toISOString()).toBe("2026-03-29T21:59:59.999Z");
  });

  it("are written back as the days they were given, and as instants where they are not whole days there", () => {
    const berlin = parseScanOutputQuery({ from: "2026-03-01", to: "2026-03-29", type: "Bug" }, "Europe/Berlin").filters;
    expect(filterQueryOf("ENG", berlin, "Europe/Berlin")).toBe("?container=ENG&from=2026-03-01&to=2026-03-29&type=Bug");
    // Berlin's days are not whole days in UTC.
    expect(filterQueryOf(null, berlin, "UTC")).toBe("?from=2026-02-28T23%3A00%3A00.000Z&to=2026-03-29T21%3A59%3A59.999Z&type=Bug");
    const exact = parseScanOutputQuery({ from: "2026-03-01T09:30:00+01:00" }, "Europe/Berlin").filters;
    expect(filterQueryOf(null, exact, "Europe/Berlin")).toBe("?from=2026-03-01T08%3A30%3A00.000Z");
  });
});

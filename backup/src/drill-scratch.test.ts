import { describe, expect, it } from "vitest";
import { scratchDatabaseName, urlOfDatabase } from "./drill-scratch.js";

describe("scratchDatabaseName", () => {
  const at = new Date("2026-11-29T04:41:07.123Z");

  it("is <prefix>drill_<UTC timestamp>_<random>, different every time", () => {
    const name = scratchDatabaseName("twinflow_", at);
    expect(name).toMatch(/^twinflow_drill_20261129044107_[0-9a-f]{8}$/);
    expect(scratchDatabaseName("twinflow_", at)).not.toBe(name);
  });

  it("refuses a prefix that would need quoting or exceed Postgres's 63-character names", () => {
    expect(() => scratchDatabaseName("Twinflow-", at)).toThrow(/lower-case letters, digits and _/);
    expect(() => scratchDatabaseName("x".repeat(40), at)).toThrow(/longer than 63 characters/);
  });
});

describe("urlOfDatabase", () => {
  it("keeps the server, role and options and swaps the database", () => {
    expect(urlOfDatabase("postgres://owner:s3cret@db.internal:6543/twinflow?sslmode=require", "twinflow_drill_1")).toBe(
      "postgres://owner:s3cret@db.internal:6543/twinflow_drill_1?sslmode=require",
    );
  });
});

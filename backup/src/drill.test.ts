import { describe, expect, it } from "vitest";
import { DrillFailed, formatDrillReport, type DrillReport } from "./drill.js";

const report: DrillReport = {
  runId: 7,
  passed: false,
  startedAt: "2026-11-29T04:41:00.000Z",
  file: "twinflow-20261129T021700Z-3f2a9c1d0b4e.dump",
  sizeBytes: 123_456,
  scratchDatabase: "twinflow_drill_20261129044100_0a1b2c3d",
  scratchDropped: true,
  checks: [
    { name: "checksum", passed: true, summary: "sha256 3f2a9c1d0b4e… against the sidecar and the manifest", mismatches: [] },
    { name: "rowCounts", passed: false, summary: "11 core tables, 42 rows", mismatches: ["events: 2 rows restored, the manifest counted 3"] },
  ],
  errors: [],
  seconds: { restore: 3.214, checks: 0.4, total: 3.9 },
};

describe("formatDrillReport", () => {
  it("prints the outcome, each check with its mismatches, the scratch database and the timings", () => {
    expect(formatDrillReport(report).split("\n")).toEqual([
      "restore drill FAILED: twinflow-20261129T021700Z-3f2a9c1d0b4e.dump (run 7, started 2026-11-29T04:41:00.000Z)",
      "  ok      checksum            sha256 3f2a9c1d0b4e… against the sidecar and the manifest",
      "  FAILED  row counts          11 core tables, 42 rows",
      "            - events: 2 rows restored, the manifest counted 3",
      "  scratch database twinflow_drill_20261129044100_0a1b2c3d dropped",
      "  restore 3.21 s, checks 0.40 s, total 3.90 s",
    ]);
  });

  it("says when the scratch database is left behind and a step failed outright", () => {
    const lines = formatDrillReport({ ...report, checks: [], errors: ["pg_restore exited with code 1: pg_restore: error: x"], scratchDropped: false, seconds: { restore: null, checks: null, total: 1 } });

    expect(lines).toContain("  error   pg_restore exited with code 1: pg_restore: error: x");
    expect(lines).toContain("  scratch database twinflow_drill_20261129044100_0a1b2c3d NOT dropped: drop it by hand");
    expect(lines).toContain("  restore -, checks -, total 1.00 s");
  });
});

describe("DrillFailed", () => {
  it("lists failed steps and each mismatch under its check", () => {
    const failed = new DrillFailed({ ...report, errors: ["could not drop the scratch database x"] });

    expect(failed.mismatches).toEqual(["could not drop the scratch database x", "row counts: events: 2 rows restored, the manifest counted 3"]);
    expect(failed.message).toBe("restore drill failed: could not drop the scratch database x; row counts: events: 2 rows restored, the manifest counted 3");
  });
});

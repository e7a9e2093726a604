import { describe, expect, it } from "vitest";
import { compareGrants, compareRowCounts, unprotectedTenantTables, type TableGrants } from "./drill-checks.js";
import { CORE_TABLES } from "./manifest.js";

describe("compareRowCounts", () => {
  const counted = Object.fromEntries(CORE_TABLES.map((table) => [table, 2]));

  it("passes when every core table has the manifest's count", () => {
    expect(compareRowCounts(counted, new Map(CORE_TABLES.map((table) => [table, 2])))).toEqual([]);
  });

  it("names each table that differs, is missing, or has no count in the manifest", () => {
    const restored = new Map(CORE_TABLES.filter((table) => table !== "audit_log").map((table) => [table, table === "events" ? 1 : 2]));

    expect(compareRowCounts({ ...counted, users: undefined }, restored)).toEqual([
      "users: the manifest has no count",
      "events: 1 rows restored, the manifest counted 2",
      "audit_log: missing from the restored database",
    ]);
  });
});

describe("unprotectedTenantTables", () => {
  it("names tables without row-level security or without a policy", () => {
    expect(
      unprotectedTenantTables([
        { table: "events", rls: false, policies: 1 },
        { table: "scans", rls: true, policies: 0 },
        { table: "sessions", rls: true, policies: 2 },
      ]),
    ).toEqual(["events: row-level security is not enabled", "scans: has no row-level security policy"]);
  });

  it("fails a database without any tenant table", () => {
    expect(unprotectedTenantTables([])).toEqual(["no table has a tenant_id column"]);
  });
});

describe("compareGrants", () => {
  const grants = (entries: Record<string, string[]>): TableGrants => new Map(Object.entries(entries).map(([table, privileges]) => [table, new Set(privileges)]));
  const live = grants({ audit_log: ["SELECT", "INSERT"], events: ["SELECT", "INSERT", "UPDATE", "DELETE"], created_tickets: ["SELECT"] });

  it("names each privilege granted on one side only", () => {
    const restored = grants({ audit_log: ["SELECT", "INSERT", "DELETE"], events: ["SELECT"], created_tickets: ["SELECT"] });

    expect(compareGrants(live, restored, true)).toEqual([
      "audit_log: DELETE granted in the restore but not live",
      "events: INSERT granted live but not in the restore",
      "events: UPDATE granted live but not in the restore",
      "events: DELETE granted live but not in the restore",
    ]);
  });

  it("counts a table only one side has when both are at the same schema version, and ignores it otherwise", () => {
    const restored = grants({ audit_log: ["SELECT", "INSERT"], events: ["SELECT", "INSERT", "UPDATE", "DELETE"], legacy: [] });

    expect(compareGrants(live, restored, true)).toEqual(["created_tickets: missing from the restored database", "legacy: not in the live database"]);
    expect(compareGrants(live, restored, false)).toEqual([]);
  });
});

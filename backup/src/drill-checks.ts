/**
 * What a restored database must show: the manifest's schema version, row counts and canary,
 * row-level security on every tenant table, and the runtime role's grants as the live
 * database has them. Catalog queries and one count per core table only, so the checks stay
 * small next to the restore itself.
 */
import pg from "pg";
import { RUNTIME_GROUP_ROLE } from "../../app/src/platform/db/bootstrap.js";
import type { Queryable } from "../../app/src/platform/db/pool.js";
import type { Logger } from "../../app/src/platform/log.js";
import { describeError } from "./drill-errors.js";
import { CORE_TABLES, type BackupManifest } from "./manifest.js";

export type CheckName = "checksum" | "schemaVersion" | "rowCounts" | "rowLevelSecurity" | "runtimeGrants" | "canary";

export interface DrillCheck {
  name: CheckName;
  passed: boolean;
  /** What was checked, in a few words, e.g. "11 core tables, 42 rows". */
  summary: string;
  /** Every difference found; empty when the check passed. */
  mismatches: string[];
}

export function checkOutcome(name: CheckName, summary: string, mismatches: string[]): DrillCheck {
  return { name, passed: mismatches.length === 0, summary, mismatches };
}

export const PRIVILEGES = ["SELECT", "INSERT", "UPDATE", "DELETE"] as const;

export interface RestoreCheckInput {
  restoredUrl: string;
  /** The live database: the reference for the runtime role's grants. */
  live: Queryable;
  manifest: BackupManifest;
  log: Logger;
}

/** Runs every check; one that cannot run is reported failed with its error, and the rest still run. */
export async function runRestoreChecks({ restoredUrl, live, manifest, log }: RestoreCheckInput): Promise<DrillCheck[]> {
  // One connection, one query at a time: Postgres already scans a big table with parallel
  // workers, and a client's end() waits for the server to close it, so the drop that follows
  // never cuts it off. No statement timeout: counting a large restored table may take minutes.
  const restored = new pg.Client({ connectionString: restoredUrl, application_name: "twinflow-drill" });
  restored.on("error", (err) => log.warn({ err }, "connection to the scratch database lost"));
  await restored.connect();
  try {
    const checks: [CheckName, () => Promise<DrillCheck>][] = [
      ["schemaVersion", () => checkSchemaVersion(restored, manifest)],
      ["rowCounts", () => checkRowCounts(restored, manifest)],
      ["rowLevelSecurity", () => checkRowLevelSecurity(restored)],
      ["runtimeGrants", () => checkRuntimeGrants(restored, live, manifest)],
      ["canary", () => checkCanary(restored, manifest)],
    ];
    const outcomes: DrillCheck[] = [];
    for (const [name, run] of checks) {
      outcomes.push(await run().catch((err: unknown) => checkOutcome(name, "could not run", [describeError(err)])));
    }
    return outcomes;
  } finally {
    await restored.end();
  }
}

async function schemaVersionOf(db: Queryable): Promise<number | null> {
  const { rows } = await db.query<{ version: number | null }>("SELECT max(version) AS version FROM schema_migrations");
  return rows[0]?.version ?? null;
}

async function checkSchemaVersion(restored: Queryable, manifest: BackupManifest): Promise<DrillCheck> {
  const version = await schemaVersionOf(restored);
  const mismatches = version === manifest.schemaVersion ? [] : [`restored schema version ${version ?? "none"}, the manifest says ${manifest.schemaVersion}`];
  return checkOutcome("schemaVersion", `schema ${version ?? "none"}`, mismatches);
}

async function checkRowCounts(restored: Queryable, manifest: BackupManifest): Promise<DrillCheck> {
  const { rows } = await restored.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname = ANY($1)`,
    [CORE_TABLES],
  );
  const counts = new Map<string, number>();
  for (const { relname: table } of rows) {
    const result = await restored.query<{ n: string }>(`SELECT count(*) AS n FROM public.${pg.escapeIdentifier(table)}`);
    counts.set(table, Number(result.rows[0]!.n));
  }
  const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
  return checkOutcome("rowCounts", `${CORE_TABLES.length} core tables, ${total} rows`, compareRowCounts(manifest.rowCounts, counts));
}

/** Every core table must be restored with exactly the rows the manifest counted in the dump's snapshot. */
export function compareRowCounts(expected: Partial<Record<string, number>>, restored: ReadonlyMap<string, number>): string[] {
  const mismatches: string[] = [];
  for (const table of CORE_TABLES) {
    const count = restored.get(table);
    const counted = expected[table];
    if (count === undefined) mismatches.push(`${table}: missing from the restored database`);
    else if (counted === undefined) mismatches.push(`${table}: the manifest has no count`);
    else if (count !== counted) mismatches.push(`${table}: ${count} rows restored, the manifest counted ${counted}`);
  }
  return mismatches;
}

export interface TenantTableSecurity {
  table: string;
  rls: boolean;
  policies: number;
}

async function checkRowLevelSecurity(restored: Queryable): Promise<DrillCheck> {
  const { rows } = await restored.query<TenantTableSecurity>(
    `SELECT c.relname AS table, c.relrowsecurity AS rls,
            (SELECT count(*)::int FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
        AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
      ORDER BY c.relname`,
  );
  return checkOutcome("rowLevelSecurity", `${rows.length} tables with tenant_id`, unprotectedTenantTables(rows));
}

/** A tenant table is isolated only with row-level security enabled and at least one policy. */
export function unprotectedTenantTables(tables: readonly TenantTableSecurity[]): string[] {
  if (tables.length === 0) return ["no table has a tenant_id column"];
  return tables.flatMap(({ table, rls, policies }) => [
    ...(rls ? [] : [`${table}: row-level security is not enabled`]),
    ...(policies > 0 ? [] : [`${table}: has no row-level security policy`]),
  ]);
}

/** Table name → the privileges the runtime group role holds on it. */
export type TableGrants = Map<string, Set<string>>;

async function runtimeGrantsOf(db: Queryable): Promise<TableGrants> {
  const { rows } = await db.query<{ table: string; granted: string[] }>(
    `SELECT c.relname AS table, array(SELECT p FROM unnest($2::text[]) AS p WHERE has_table_privilege($1, c.oid, p)) AS granted
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')`,
    [RUNTIME_GROUP_ROLE, PRIVILEGES],
  );
  return new Map(rows.map((row) => [row.table, new Set(row.granted)]));
}

async function checkRuntimeGrants(restored: Queryable, live: Queryable, manifest: BackupManifest): Promise<DrillCheck> {
  const restoredGrants = await runtimeGrantsOf(restored);
  const [liveGrants, liveVersion] = await Promise.all([runtimeGrantsOf(live), schemaVersionOf(live)]);
  // After an upgrade the live database has tables the backup cannot have yet: compare the ones both have.
  const sameSchema = liveVersion === manifest.schemaVersion;
  const compared = [...liveGrants.keys()].filter((table) => restoredGrants.has(table)).length;
  const summary = `${compared} tables against the live database${sameSchema ? "" : ` (live schema ${liveVersion}, backup ${manifest.schemaVersion}: tables both have)`}`;
  return checkOutcome("runtimeGrants", summary, compareGrants(liveGrants, restoredGrants, sameSchema));
}

/** Differences in what twinflow_runtime may do, table by table; with `sameTables`, a table only one side has is one too. */
export function compareGrants(live: TableGrants, restored: TableGrants, sameTables: boolean): string[] {
  const mismatches: string[] = [];
  const tables = [...new Set([...live.keys(), ...restored.keys()])].sort();
  for (const table of tables) {
    const liveGranted = live.get(table);
    const restoredGranted = restored.get(table);
    if (!liveGranted || !restoredGranted) {
      if (sameTables) mismatches.push(`${table}: ${liveGranted ? "missing from the restored database" : "not in the live database"}`);
      continue;
    }
    for (const privilege of PRIVILEGES) {
      if (liveGranted.has(privilege) === restoredGranted.has(privilege)) continue;
      mismatches.push(`${table}: ${privilege} ${liveGranted.has(privilege) ? "granted live but not in the restore" : "granted in the restore but not live"}`);
    }
  }
  return mismatches;
}

async function checkCanary(restored: Queryable, manifest: BackupManifest): Promise<DrillCheck> {
  const { rows } = await restored.query<{ found: boolean }>("SELECT EXISTS (SELECT 1 FROM backup_canaries WHERE token = $1) AS found", [manifest.canary]);
  // The token itself stays out of the report: it only needs to be found.
  return checkOutcome("canary", "the manifest's token in backup_canaries", rows[0]!.found ? [] : ["the manifest's canary token is not in backup_canaries"]);
}

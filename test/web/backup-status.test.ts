import { Registry } from "prom-client";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerBackupStatus } from "../../backup/src/status-metrics.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { samplesOf, valueOf } from "../support/metrics.js";
import { Browser, signUp, startTestWeb, type TestWeb } from "../support/web.js";

let db: TestDatabase;
let web: TestWeb;

beforeAll(async () => {
  db = await createTestDatabase();
  web = await startTestWeb(db);
});

afterAll(async () => {
  await web.close();
  await db.drop();
});

/** A finished run, as the backup process records it (owner role). */
async function recordRun(kind: string, status: string, finishedAt: string, sizeBytes: number, target: string): Promise<void> {
  await db.owner.query(
    "INSERT INTO backup_runs (kind, status, started_at, finished_at, size_bytes, target, error) VALUES ($1, $2, $3::timestamptz - interval '1 minute', $3, $4, $5, $6)",
    [kind, status, finishedAt, sizeBytes, target, status === "failed" ? "fullRead: pg_restore could not read the data of table events" : null],
  );
}

describe("backup status", () => {
  it("shows a tenant when backups, off-site copies and drills last worked, times only", async () => {
    const owner = await signUp(web, { email: "security-page@example.com", tenantName: "Safe Co" });
    const before = await owner.get("/security");
    expect(before.status).toBe(200);
    expect(before.body.match(/none yet/g)).toHaveLength(3);

    await recordRun("backup", "succeeded", "2026-11-28T02:18:00Z", 123_456_789, "twinflow-20261128T021700Z-3f2a9c1d0b4e.dump");
    await recordRun("backup", "failed", "2026-11-29T02:18:00Z", 10, "twinflow-20261129T021700Z-000000000000.dump");
    await recordRun("offsite", "succeeded", "2026-11-28T02:25:00Z", 123_456_789, "twinflow/2026/11/28/x.dump");
    const page = await owner.get("/security");
    // The newest good backup counts, not the failed one after it.
    expect(page.body).toContain('<time datetime="2026-11-28T02:18:00.000Z">2026-11-28 02:18 UTC</time>');
    expect(page.body).toContain('<time datetime="2026-11-28T02:25:00.000Z">2026-11-28 02:25 UTC</time>');
    expect(page.body.match(/none yet/g)).toHaveLength(1);
    for (const detail of ["123456789", "123,456,789", "twinflow-2026", "twinflow/2026", "pg_restore"]) expect(page.body).not.toContain(detail);

    expect((await new Browser(web.url).get("/security")).status).toBe(302);
  });

  it("reports the age and size of the last good run of each kind, and whether the newest failed", async () => {
    const registry = new Registry();
    const now = new Date("2026-11-29T12:00:00Z");
    registerBackupStatus(registry, db.runtime, pino({ level: "silent" }), () => now);
    const text = await registry.metrics();
    expect(valueOf(text, "twinflow_backup_last_success_age_seconds", { kind: "backup" })).toBe((now.getTime() - Date.parse("2026-11-28T02:18:00Z")) / 1000);
    expect(valueOf(text, "twinflow_backup_last_success_size_bytes", { kind: "offsite" })).toBe(123_456_789);
    expect(valueOf(text, "twinflow_backup_latest_failed", { kind: "backup" })).toBe(1);
    expect(valueOf(text, "twinflow_backup_latest_failed", { kind: "offsite" })).toBe(0);
    // No drill has run: nothing is reported for it, rather than a made-up age.
    expect(samplesOf(text, "twinflow_backup_last_success_age_seconds", { kind: "drill" })).toEqual([]);
  });

  it("lets the runtime role read the times and sizes but not the targets or errors", async () => {
    await expect(db.runtime.query("SELECT target FROM backup_runs")).rejects.toMatchObject({ code: "42501" });
    await expect(db.runtime.query("SELECT error FROM backup_runs")).rejects.toMatchObject({ code: "42501" });
    await expect(db.runtime.query("INSERT INTO backup_runs (kind, status) VALUES ('backup', 'succeeded')")).rejects.toMatchObject({ code: "42501" });
  });
});

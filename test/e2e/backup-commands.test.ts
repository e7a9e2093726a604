/**
 * The backup commands as operators run them (`make backup`, `make restore-drill`, the backup
 * service), as real processes against real Postgres, pg_dump and pg_restore, with the
 * off-site copy going to a local S3 server and B2's key check to a local fake.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedTenantGraph } from "../support/fixtures.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { samplesOf, valueOf } from "../support/metrics.js";
import { freePort } from "../support/net.js";
import { runTwinflow, startTwinflow } from "../support/process.js";
import { testEnv } from "../support/web.js";
import { DOCUMENTED_CAPABILITIES, startFakeB2, type FakeB2 } from "../fakes/b2.js";
import { startFakeS3, type FakeS3 } from "../fakes/s3.js";

let db: TestDatabase;
let s3: FakeS3;
let b2: FakeB2;
let workDir: string;
let env: Record<string, string>;
const BUCKET = "twinflow-drill-bucket";
const KEY = { keyId: "0041fakekeyid0000000001", applicationKey: `K004${randomBytes(12).toString("hex")}` };

beforeAll(async () => {
  db = await createTestDatabase();
  await seedTenantGraph(db.owner, "Alpha");
  await seedTenantGraph(db.owner, "Bravo");
  workDir = await mkdtemp(path.join(tmpdir(), "twinflow-backup-commands-"));
  s3 = await startFakeS3({ bucket: BUCKET, directory: path.join(workDir, "s3"), accessKeyId: KEY.keyId, secretAccessKey: KEY.applicationKey });
  b2 = await startFakeB2(KEY);
  env = testEnv(db, {
    BACKUP_DIR: path.join(workDir, "backups"),
    BACKUP_MIN_BYTES: "1024",
    BACKUP_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    B2_BUCKET: BUCKET,
    B2_PREFIX: "nightly",
    B2_S3_ENDPOINT: s3.url,
    B2_REGION: "us-west-004",
    B2_KEY_ID: KEY.keyId,
    B2_APPLICATION_KEY: KEY.applicationKey,
    B2_API_URL: b2.url,
  });
}, 60_000);

afterAll(async () => {
  await Promise.all([s3?.close(), b2?.close()]);
  await db?.drop();
  await rm(workDir, { recursive: true, force: true });
});

const runsOf = async (kind: string) =>
  (await db.owner.query<{ status: string; error: string | null }>("SELECT status, error FROM backup_runs WHERE kind = $1 ORDER BY id", [kind])).rows;

describe("backup commands", () => {
  it("backup-now: a gated dump kept locally and an encrypted, verified copy off-site", async () => {
    const result = await runTwinflow(["backup-now"], env);
    expect(result.code, result.output).toBe(0);
    const files = await readdir(env.BACKUP_DIR!);
    expect(files.filter((name) => /^twinflow-\d{8}T\d{6}Z-[0-9a-f]{12}\.dump$/.test(name))).toHaveLength(1);
    expect(await runsOf("backup")).toEqual([{ status: "succeeded", error: null }]);
    expect(await runsOf("offsite")).toEqual([{ status: "succeeded", error: null }]);
    const puts = s3.requests.filter((request) => request.method === "PUT" || request.method === "POST");
    expect(puts.some((request) => request.path.startsWith(`/${BUCKET}/nightly/`) && request.path.endsWith(".manifest.json"))).toBe(true);
    expect(s3.requests.filter((request) => request.method === "DELETE")).toEqual([]);
    expect(result.output).not.toContain(KEY.applicationKey);
    for (const token of b2.issuedTokens) expect(result.output).not.toContain(token);
  }, 60_000);

  it("restore-drill: restores the newest local backup and the newest off-site copy, and checks them", async () => {
    const local = await runTwinflow(["restore-drill"], env);
    expect(local.code, local.output).toBe(0);
    expect(local.output).toMatch(/passed/i);
    const offsite = await runTwinflow(["restore-drill", "--from", "offsite"], env);
    expect(offsite.code, offsite.output).toBe(0);
    expect((await runsOf("drill")).map((run) => run.status)).toEqual(["succeeded", "succeeded"]);
  }, 120_000);

  it("a failed backup exits non-zero with one error line, and its run is recorded failed", async () => {
    const result = await runTwinflow(["backup-now"], { ...env, BACKUP_MIN_BYTES: String(1024 ** 3) });
    expect(result.code).toBe(1);
    const errors = result.output.split("\n").filter((line) => line.includes('"level":50'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("sizeFloor");
    expect((await runsOf("backup")).at(-1)).toMatchObject({ status: "failed" });
  }, 60_000);

  it("check-offsite-key: passes a key that can only add, refuses one that could delete, and never prints the key", async () => {
    const fit = await runTwinflow(["check-offsite-key"], env);
    expect(fit.code, fit.output).toBe(0);
    b2.setKey({ capabilities: [...DOCUMENTED_CAPABILITIES, "deleteFiles"] });
    try {
      const refused = await runTwinflow(["check-offsite-key"], env);
      expect(refused.code).toBe(1);
      expect(refused.output).toMatch(/B2 key \S+ holds deleteFiles/);
      expect(refused.output).not.toContain(KEY.applicationKey);
    } finally {
      b2.setKey({ capabilities: DOCUMENTED_CAPABILITIES });
    }
    const unset = await runTwinflow(["check-offsite-key"], { ...env, B2_BUCKET: "" });
    expect(unset.code).not.toBe(0);
    expect(unset.output).toContain("B2_BUCKET is not set");
  }, 60_000);

  it("the backup service reports the last good runs on its internal port and stops cleanly", async () => {
    const port = await freePort();
    const service = startTwinflow(["backup"], { ...env, METRICS_PORT: String(port) });
    try {
      await service.waitFor(/"msg":"backup service ready"/);
      const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as { lastGood: Record<string, { finishedAt: string }>; latest: Record<string, { status: string }> };
      expect(Object.keys(status.lastGood).sort()).toEqual(["backup", "drill", "offsite"]);
      expect(status.latest.backup?.status).toBe("failed");
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(valueOf(metrics, "twinflow_backup_latest_failed", { kind: "backup" })).toBe(1);
      expect(samplesOf(metrics, "twinflow_backup_last_success_age_seconds", { kind: "offsite" })).toHaveLength(1);
    } finally {
      expect(await service.stop()).toBe(0);
    }
    expect(service.output()).toContain("backup service stopped");
  }, 60_000);
});


import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScanOutput } from "../../app/src/analysis/scan-output.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { invite, joinAsNewMember, signUp, startTestWeb, type Browser, type TestWeb } from "../support/web.js";

const RECEIPT = readFileSync(new URL("../fixtures/eventlogs/receipt.csv", import.meta.url));
const RUNNING_EXAMPLE = readFileSync(new URL("../fixtures/eventlogs/running-example.xes", import.meta.url));
const RECEIPT_COLUMNS = { caseColumn: "case:concept:name", activityColumn: "concept:name", timestampColumn: "time:timestamp", resourceColumn: "org:resource" };

let db: TestDatabase;
let web: TestWeb;
let owner: Browser;

beforeAll(async () => {
  db = await createTestDatabase();
  web = await startTestWeb(db);
  owner = await signUp(web, { email: `importer-${Date.now()}@example.com`, tenantName: "Importers" });
});

afterAll(async () => {
  await web.close();
  await db.drop();
});

async function importFile(browser: Browser, name: string, content: Buffer | string, form: Record<string, string> = {}) {
  await browser.get("/connections/import");
  return browser.postFile("/connections/import", { label: name, ...form }, { field: "log", name, content });
}

const connectionIdOf = (location: string | null) => /^\/connections\/([0-9a-f-]{36})$/.exec(location ?? "")?.[1];

async function latestOutput(connectionId: string): Promise<ScanOutput> {
  const { rows } = await db.owner.query<{ output: ScanOutput }>("SELECT output FROM scan_outputs WHERE connection_id = $1", [connectionId]);
  expect(rows).toHaveLength(1);
  return rows[0]!.output;
}

const countOf = async (table: string, connectionId: string) =>
  (await db.owner.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE connection_id = $1`, [connectionId])).rows[0]!.n;

describe("importing an event log file", () => {
  it("stores a CSV log as a connection whose scan output matches the published figures of the log", async () => {
    const page = await importFile(owner, "receipt.csv", RECEIPT, RECEIPT_COLUMNS);
    expect(page.status).toBe(302);
    const connectionId = connectionIdOf(page.location)!;
    expect(connectionId).toBeDefined();
    expect(await countOf("work_items", connectionId)).toBe(1_434);
    expect(await countOf("events", connectionId)).toBe(8_577);
    const output = await latestOutput(connectionId);
    expect(output.stepSource).toBe("activity");
    expect(output.sample.items).toBe(1_434);
    expect(output.processMap.steps).toHaveLength(27);
    expect(output.processMap.transitions).toHaveLength(99);
    expect(output.variants.total).toBe(116);

    const shown = await owner.get(page.location!);
    expect(shown.body).toContain("Imported from a csv file");
    expect(shown.body).not.toContain("Scan now");
    // Only the four mapped columns are kept: the channel and the task ids of the file are not.
    const stored = await db.owner.query<{ dump: string }>(
      "SELECT (SELECT json_agg(w)::text FROM work_items w WHERE connection_id = $1) || (SELECT json_agg(e)::text FROM events e WHERE connection_id = $1) || (SELECT config::text FROM connections WHERE id = $1) AS dump",
      [connectionId],
    );
    expect(stored.rows[0]!.dump).not.toContain("Internet");
    expect(stored.rows[0]!.dump).not.toContain("task-42933");
  });

  it("imports an XES file, and exports any log as CSV and XES that import back to the same log", async () => {
    const page = await importFile(owner, "running-example.xes", RUNNING_EXAMPLE);
    expect(page.status).toBe(302);
    const connectionId = connectionIdOf(page.location)!;
    const original = await latestOutput(connectionId);
    expect(original.sample.items).toBe(6);

    const csv = await owner.get(`/connections/${connectionId}/export.csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(csv.headers.get("content-disposition")).toMatch(/attachment/);
    const xes = await owner.get(`/connections/${connectionId}/export.xes`);
    expect(xes.status).toBe(200);
    expect(xes.body).toContain("<log");

    for (const [name, content, form] of [
      ["again.csv", csv.body, { caseColumn: "case_id", activityColumn: "activity", timestampColumn: "timestamp", resourceColumn: "resource" }],
      ["again.xes", xes.body, {}],
    ] as const) {
      const again = await importFile(owner, name, content, form);
      expect(again.status, again.body.slice(0, 300)).toBe(302);
      const copy = await latestOutput(connectionIdOf(again.location)!);
      expect(copy.processMap).toEqual(original.processMap);
      expect(copy.variants).toEqual(original.variants);
    }
    const audit = await db.owner.query("SELECT action FROM audit_log WHERE target_id = $1 ORDER BY id", [connectionId]);
    expect(audit.rows.map((row) => row.action)).toEqual(["connection.imported", "connection.exported", "connection.exported"]);
  });

  it("refuses a CSV with bad timestamps, naming the lines and storing nothing, unless told to skip them", async () => {
    const csv = "case,activity,when\nc1,Open,2024-01-01T10:00:00Z\nc1,Work,\nc1,Close,not a date\nc2,Open,2024-01-02T10:00:00Z\n";
    const columns = { caseColumn: "case", activityColumn: "activity", timestampColumn: "when" };
    const before = await db.owner.query<{ n: number }>("SELECT count(*)::int AS n FROM connections");
    const refused = await importFile(owner, "bad.csv", csv, columns);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatch(/line 3/);
    expect(refused.body).toMatch(/line 4/);
    const after = await db.owner.query<{ n: number }>("SELECT count(*)::int AS n FROM connections");
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);

    const skipped = await importFile(owner, "bad.csv", csv, { ...columns, skipBadRows: "yes" });
    expect(skipped.status).toBe(302);
    const connectionId = connectionIdOf(skipped.location)!;
    expect(await countOf("events", connectionId)).toBe(2);
  });

  it("says what to fix for a missing file, an unknown format or an unnamed column", async () => {
    const noColumns = await importFile(owner, "log.csv", "a,b\n1,2\n");
    expect(noColumns.status).toBe(400);
    expect(noColumns.body).toContain("Name the CSV column that holds the case id, the activity, the timestamp");
    const wrongColumn = await importFile(owner, "log.csv", "a,b,c\n1,2,3\n", { caseColumn: "a", activityColumn: "b", timestampColumn: "time" });
    expect(wrongColumn.status).toBe(400);
    expect(wrongColumn.body).toMatch(/time/);
    const unknown = await importFile(owner, "log.json", "{}");
    expect(unknown.status).toBe(400);
    expect(unknown.body).toContain("neither .csv, .xes nor .xes.gz");
    const empty = await importFile(owner, "empty.csv", "");
    expect(empty.status).toBe(400);
    expect(empty.body).toContain("Choose a .csv, .xes or .xes.gz file");
  });

  it("lets only admins import, requires the form's CSRF token, and keeps exports to the tenant", async () => {
    const member = await joinAsNewMember(web, await invite(owner, `member-${Date.now()}@example.com`));
    const forbidden = await importFile(member, "running-example.xes", RUNNING_EXAMPLE);
    expect(forbidden.status).toBe(403);

    await owner.get("/connections/import");
    const forged = await owner.postFile("/connections/import", { _csrf: "forged" }, { field: "log", name: "running-example.xes", content: RUNNING_EXAMPLE });
    expect(forged.status).toBe(403);

    const page = await importFile(owner, "running-example.xes", RUNNING_EXAMPLE);
    const connectionId = connectionIdOf(page.location)!;
    const stranger = await signUp(web, { email: `stranger-${Date.now()}@example.com`, tenantName: "Elsewhere" });
    expect((await stranger.get(`/connections/${connectionId}/export.csv`)).status).toBe(404);
  });
});

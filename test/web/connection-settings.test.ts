/**
 * A connection's settings page: owners and admins set how steps and statuses are classified,
 * the working calendar and the scan schedule; the stored figures follow at once and keep
 * following after the next scan. Bad input is refused with what to fix and changes nothing;
 * members only look; another tenant does not find the page at all.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScanOutput } from "../../app/src/analysis/scan-output.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { invite, joinAsNewMember, signUp, startTestWeb, untilScansSettle, type Browser, type TestWeb } from "../support/web.js";
import { startTestWorkers, type TestWorkers } from "../support/workers.js";

let db: TestDatabase;
let web: TestWeb;
let workers: TestWorkers;
let owner: Browser;
let admin: Browser;
let connectionId: string;
let settingsPath: string;

beforeAll(async () => {
  db = await createTestDatabase();
  web = await startTestWeb(db);
  workers = startTestWorkers(web, db);
  owner = await signUp(web, { email: "settings-owner@example.com", tenantName: "Settings Co" });
  admin = await joinAsNewMember(web, await invite(owner, "settings-admin@example.com", "admin"), "Settings Admin");
  await owner.get("/connections");
  const created = await owner.post("/connections", { provider: "demo", label: "Demo board" });
  await untilScansSettle(owner, created.location!);
  connectionId = created.location!.split("/").pop()!;
  settingsPath = `/connections/${connectionId}/settings`;
  await untilOutput(async () => true);
});

afterAll(async () => {
  await workers.close();
  await web.close();
  await db.drop();
});

interface StoredOutput {
  scanId: string | null;
  output: ScanOutput;
}

async function latestOutput(): Promise<StoredOutput | null> {
  const { rows } = await db.owner.query<{ scan_id: string | null; output: ScanOutput }>(
    "SELECT scan_id, output FROM scan_outputs WHERE scope = $1 ORDER BY computed_at DESC LIMIT 1",
    [`connection:${connectionId}`],
  );
  return rows[0] ? { scanId: rows[0].scan_id, output: rows[0].output } : null;
}

/** The connection's latest output once it satisfies `ready`: the analytics step runs after the scan has finished. */
async function untilOutput(ready: (stored: StoredOutput) => Promise<boolean> | boolean): Promise<StoredOutput> {
  for (let tries = 0; tries < 200; tries += 1) {
    const stored = await latestOutput();
    if (stored && (await ready(stored))) return stored;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("no stored output as expected");
}

async function storedSettings(id = connectionId) {
  const { rows } = await db.owner.query<{ step_classes: unknown; status_categories: unknown; calendar: unknown; scan_every_minutes: number; next_scan_at: Date | null }>(
    "SELECT step_classes, status_categories, calendar, scan_every_minutes, next_scan_at FROM connections WHERE id = $1",
    [id],
  );
  return rows[0]!;
}

async function auditOf(id = connectionId) {
  const { rows } = await db.owner.query<{ actor: string; details: Record<string, unknown> }>(
    "SELECT u.email AS actor, a.details FROM audit_log a JOIN users u ON u.id = a.actor_user_id WHERE a.target_id = $1 AND a.action = 'connection.settings_changed' ORDER BY a.id",
    [id],
  );
  return rows;
}

const classOf = (output: ScanOutput, step: string) => output.steps.find((entry) => entry.step === step)?.class;

/** The choices a browser would submit from one table of the page: each row as shown, with `changes` applied. */
function tableForm(page: string, section: "steps" | "statuses", changes: Record<string, string>): Record<string, string> {
  const table = page.slice(page.indexOf(`name="section" value="${section}"`), page.indexOf("</form>", page.indexOf(`name="section" value="${section}"`)));
  const fields: Record<string, string> = { section };
  for (const [, row, name] of table.matchAll(/name="name-(\d+)" value="([^"]*)"/g)) {
    const select = new RegExp(`name="choice-${row}">(.*?)</select>`).exec(table)![1]!;
    fields[`name-${row}`] = name!;
    fields[`choice-${row}`] = changes[name!] ?? /<option value="([^"]*)" selected>/.exec(select)?.[1] ?? "";
  }
  return fields;
}

describe("step classes", () => {
  it("an admin sets a step's class: only the override is stored, the figures follow at once, and the next scan's too", async () => {
    const before = (await latestOutput())!;
    // The demo board's "Blocked" matches no name pattern and no provider category.
    expect(classOf(before.output, "Blocked")).toBeNull();
    expect(before.output.dataQuality.unknownSteps.map((step) => step.step)).toContain("Blocked");
    const page = await admin.get(settingsPath);
    expect(page.status).toBe(200);
    expect(page.body).toContain("steps are not classified");
    expect(page.body).toMatch(/<label for="step-\d+">Blocked<\/label>/);

    const saved = await admin.post(settingsPath, tableForm(page.body, "steps", { Blocked: "external_wait" }));
    expect(saved.status).toBe(302);
    expect(saved.location).toBe(`${settingsPath}?saved=steps`);
    expect((await storedSettings()).step_classes).toEqual({ Blocked: { category: "waiting", waitClass: "external_wait" } });
    expect(await auditOf()).toEqual([{ actor: "settings-admin@example.com", details: { section: "steps" } }]);

    // Recomputed in the save, without waiting for a scan.
    const recomputed = (await latestOutput())!;
    expect(recomputed.scanId).toBeNull();
    expect(classOf(recomputed.output, "Blocked")).toEqual({ category: "waiting", waitClass: "external_wait", source: "override" });
    expect(recomputed.output.dataQuality.unknownSteps.map((step) => step.step)).not.toContain("Blocked");
    const shown = await admin.get(saved.location!);
    expect(shown.body).toContain("Step classes saved");
    expect(shown.body).toMatch(/Blocked<\/label>.*?<td>Waiting outside the team, set here<\/td>.*?<option value="external_wait" selected>/s);

    await owner.get(`/connections/${connectionId}`);
    expect((await owner.post(`/connections/${connectionId}/scan`, {})).status).toBe(302);
    await untilScansSettle(owner, `/connections/${connectionId}`);
    const { rows } = await db.owner.query<{ id: string }>("SELECT id FROM scans WHERE connection_id = $1 ORDER BY queued_at DESC LIMIT 1", [connectionId]);
    const rescanned = await untilOutput((stored) => stored.scanId === rows[0]!.id);
    expect(classOf(rescanned.output, "Blocked")).toEqual({ category: "waiting", waitClass: "external_wait", source: "override" });
  });

  it("setting a step back to automatic removes its override", async () => {
    const page = await owner.get(settingsPath);
    expect((await owner.post(settingsPath, tableForm(page.body, "steps", { Blocked: "" }))).status).toBe(302);
    expect((await storedSettings()).step_classes).toEqual({});
    expect(classOf((await latestOutput())!.output, "Blocked")).toBeNull();
  });
});

describe("status categories", () => {
  it("are set per status where the tool reports none, and classify the status when its name says nothing more specific", async () => {
    const page = await owner.get(settingsPath);
    expect((await owner.post(settingsPath, tableForm(page.body, "statuses", { "In Review": "done" }))).status).toBe(302);
    expect((await storedSettings()).status_categories).toEqual({ "In Review": "done" });
    expect(classOf((await latestOutput())!.output, "In Review")).toEqual({ category: "done", waitClass: "finished", source: "provider" });
  });

  it("are shown, not set, where the tool reports them with every scan", async () => {
    const { rows } = await db.owner.query<{ id: string }>(
      `INSERT INTO connections (tenant_id, provider, label, status_categories)
       SELECT tenant_id, 'github', 'Issues', '{"open": "todo", "closed": "done"}' FROM connections WHERE id = $1 RETURNING id`,
      [connectionId],
    );
    const github = `/connections/${rows[0]!.id}/settings`;
    const page = await owner.get(github);
    expect(page.body).toContain("This tool reports each status's category");
    expect(page.body).not.toContain('name="section" value="statuses"');
    const refused = await owner.post(github, { section: "statuses", "name-0": "open", "choice-0": "done" });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain("set the status&#x27;s step class instead");
    expect((await storedSettings(rows[0]!.id)).status_categories).toEqual({ open: "todo", closed: "done" });
    expect(await auditOf(rows[0]!.id)).toEqual([]);
  });
});

describe("the working calendar", () => {
  const calendar = { section: "calendar", timeZone: "Europe/Amsterdam", "workingDay-1": "on", "workingDay-2": "on", "workingDay-3": "on", "workingDay-4": "on", dayStart: "08:00", dayEnd: "16:30", holidays: "2026-12-25\r\n2026-12-24" };

  it("is saved as parseCalendar reads it, and the figures use it", async () => {
    await owner.get(settingsPath);
    const saved = await owner.post(settingsPath, calendar);
    expect(saved.location).toBe(`${settingsPath}?saved=calendar`);
    const expected = { timeZone: "Europe/Amsterdam", workingDays: [1, 2, 3, 4], dayStart: "08:00", dayEnd: "16:30", holidays: ["2026-12-24", "2026-12-25"] };
    expect((await storedSettings()).calendar).toEqual(expected);
    expect((await latestOutput())!.output.calendar).toEqual(expected);
    const page = await owner.get(saved.location!);
    expect(page.body).toContain('name="timeZone" value="Europe/Amsterdam"');
    expect(page.body).toContain('<input type="checkbox" name="workingDay-4" checked> Thursday');
    expect(page.body).toContain('<input type="checkbox" name="workingDay-5"> Friday');
  });

  it("is refused with what to fix when the time zone is unknown or the day ends before it starts, and the previous one stays", async () => {
    const previous = (await storedSettings()).calendar;
    const audited = (await auditOf()).length;
    await owner.get(settingsPath);
    const refused = await owner.post(settingsPath, { ...calendar, timeZone: "Mars/Olympus", dayStart: "17:00", dayEnd: "09:00" });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatch(/<p class="error" role="alert">The working calendar was not saved\. Fix: Time zone: unknown time zone &quot;Mars\/Olympus&quot;.*Working hours end: 09:00 must be after dayStart 17:00/);
    // What was typed is shown again to correct.
    expect(refused.body).toContain('name="timeZone" value="Mars/Olympus"');
    expect((await storedSettings()).calendar).toEqual(previous);
    expect(await auditOf()).toHaveLength(audited);
  });
});

describe("the scan schedule", () => {
  it("takes minutes within the column's range, brings a further-off next scan forward, and refuses others", async () => {
    await db.owner.query("UPDATE connections SET next_scan_at = now() + interval '7 days' WHERE id = $1", [connectionId]);
    await owner.get(settingsPath);
    expect((await owner.post(settingsPath, { section: "schedule", scanEveryMinutes: "30" })).location).toBe(`${settingsPath}?saved=schedule`);
    const saved = await storedSettings();
    expect(saved.scan_every_minutes).toBe(30);
    expect(saved.next_scan_at!.getTime()).toBeLessThanOrEqual(Date.now() + 30 * 60_000);

    const refused = await owner.post(settingsPath, { section: "schedule", scanEveryMinutes: "2" });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain("Scan every: enter a whole number of minutes from 5 to 10080 (a week).");
    expect(refused.body).toContain('name="scanEveryMinutes" min="5" max="10080" step="1" value="2"');
    expect((await storedSettings()).scan_every_minutes).toBe(30);
  });

  it("does not exist for an imported log", async () => {
    const { rows } = await db.owner.query<{ id: string }>(
      "INSERT INTO connections (tenant_id, provider, label, status) SELECT tenant_id, 'file', 'Imported', 'imported' FROM connections WHERE id = $1 RETURNING id",
      [connectionId],
    );
    const imported = `/connections/${rows[0]!.id}/settings`;
    const page = await owner.get(imported);
    expect(page.body).toContain("An imported log is never scanned");
    expect(page.body).not.toContain('name="scanEveryMinutes"');
    const refused = await owner.post(imported, { section: "schedule", scanEveryMinutes: "30" });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain("it has no scan schedule");
  });
});

describe("who may see and change the settings", () => {
  it("a member sees the settings but no form, and a member's save is refused", async () => {
    const member = await joinAsNewMember(web, await invite(owner, "settings-member@example.com"), "Settings Member");
    const page = await member.get(settingsPath);
    expect(page.status).toBe(200);
    expect(page.body).toContain("Only owners and admins can change these settings.");
    expect(page.body).toMatch(/<td>Blocked<\/td><td>Not classified/);
    expect(page.body).toContain("<td>Europe/Amsterdam</td>");
    expect(page.body).not.toContain(`action="${settingsPath}"`);
    expect(page.body).not.toContain("<select");

    const before = await storedSettings();
    const audited = (await auditOf()).length;
    const refused = await member.post(settingsPath, { section: "steps", "name-0": "Blocked", "choice-0": "finished" });
    expect(refused.status).toBe(403);
    expect(await storedSettings()).toEqual(before);
    expect(await auditOf()).toHaveLength(audited);
  });

  it("another tenant gets not found for the page and the save", async () => {
    const neighbour = await signUp(web, { email: "settings-neighbour@example.com", tenantName: "Neighbour Co" });
    await neighbour.get("/connections");
    const before = await storedSettings();
    expect((await neighbour.get(settingsPath)).status).toBe(404);
    expect((await neighbour.post(settingsPath, { section: "steps", "name-0": "Blocked", "choice-0": "finished" })).status).toBe(404);
    expect((await neighbour.post(settingsPath, { section: "schedule", scanEveryMinutes: "5" })).status).toBe(404);
    expect(await storedSettings()).toEqual(before);
  });

  it("every save is in the audit log by section, with who made it", async () => {
    expect((await auditOf()).map((entry) => `${entry.actor} ${entry.details.section}`)).toEqual([
      "settings-admin@example.com steps",
      "settings-owner@example.com steps",
      "settings-owner@example.com statuses",
      "settings-owner@example.com calendar",
      "settings-owner@example.com schedule",
    ]);
  });
});

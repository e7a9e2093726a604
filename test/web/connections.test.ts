import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { invite, joinAsNewMember, signUp, startTestWeb, untilScansSettle, type TestWeb } from "../support/web.js";
import { startTestWorkers, type TestWorkers } from "../support/workers.js";
import { FAKE_GITHUB_TOKEN, startFakeGitHub } from "../fakes/github.js";

let db: TestDatabase;
let web: TestWeb;
let workers: TestWorkers;

beforeAll(async () => {
  db = await createTestDatabase();
  web = await startTestWeb(db);
  workers = startTestWorkers(web, db);
});

afterAll(async () => {
  await workers.close();
  await web.close();
  await db.drop();
});


describe("connections in the web UI", () => {
  it("adds demo data, scans it at once, shows the scan and the data manifest", async () => {
    const owner = await signUp(web, { email: "conn-owner@example.com", tenantName: "Conn Co" });
    await owner.get("/connections");
    const created = await owner.post("/connections", { provider: "demo", label: "Demo board" });
    expect(created.status).toBe(302);
    const path = created.location!;
    expect(path).toMatch(/^\/connections\/[0-9a-f-]{36}$/);
    const page = await untilScansSettle(owner, path);
    expect(page).toContain("Demo board");
    expect(page).not.toContain('http-equiv="refresh"');
    // While a scan waits, the page refreshes itself to show progress.
    const waiting = await db.owner.query<{ id: string }>(
      "INSERT INTO scans (tenant_id, connection_id, status) SELECT tenant_id, id, 'queued' FROM connections WHERE id = $1 RETURNING id",
      [path.split("/").pop()],
    );
    expect((await owner.get(path)).body).toContain('<meta http-equiv="refresh" content="3">');
    await db.owner.query("UPDATE scans SET status = 'cancelled' WHERE id = $1", [waiting.rows[0]!.id]);
    expect(page).toMatch(/<td>succeeded<\/td>/);
    expect(page).toContain("What TwinFlow reads and keeps");
    const overview = await owner.get("/overview");
    expect(overview.body).not.toContain("No tools connected yet");

    await owner.get(path);
    expect((await owner.post(`${path}/scan`, {})).status).toBe(302);
    const rescanned = await untilScansSettle(owner, path);
    expect(rescanned.match(/<td>succeeded<\/td>/g)).toHaveLength(2);
  });

  it("disconnects: credentials erased at once, scanning stops, and the data goes only when asked", async () => {
    const owner = await signUp(web, { email: "disconnect@example.com", tenantName: "Disc Co" });
    await owner.get("/connections");
    const kept = (await owner.post("/connections", { provider: "demo", label: "Keep data" })).location!;
    const dropped = (await owner.post("/connections", { provider: "demo", label: "Drop data" })).location!;
    await untilScansSettle(owner, kept);
    await untilScansSettle(owner, dropped);
    const idOf = (path: string) => path.split("/").pop()!;
    await db.owner.query("UPDATE connections SET credentials = 'tfv1.k1.x.y' WHERE id = ANY($1)", [[idOf(kept), idOf(dropped)]]);

    await owner.get(kept);
    expect((await owner.post(`${kept}/disconnect`, {})).status).toBe(302);
    await owner.get(dropped);
    expect((await owner.post(`${dropped}/disconnect`, { deleteData: "yes" })).status).toBe(302);

    const { rows } = await db.owner.query<{ label: string; status: string; credentials: string | null; events: number }>(
      `SELECT c.label, c.status, c.credentials, (SELECT count(*)::int FROM events e WHERE e.connection_id = c.id) AS events
         FROM connections c WHERE c.id = ANY($1) ORDER BY c.label`,
      [[idOf(kept), idOf(dropped)]],
    );
    expect(rows.map((row) => ({ ...row, events: row.events > 0 }))).toEqual([
      { label: "Drop data", status: "disconnected", credentials: null, events: false },
      { label: "Keep data", status: "disconnected", credentials: null, events: true },
    ]);
    await owner.get(kept);
    expect((await owner.post(`${kept}/scan`, {})).status).toBe(400);
    const audit = await db.owner.query<{ action: string }>("SELECT action FROM audit_log WHERE target_id = ANY($1) ORDER BY id", [[idOf(kept), idOf(dropped)]]);
    expect(audit.rows.map((row) => row.action)).toEqual(["connection.created", "connection.created", "connection.disconnected", "connection.disconnected"]);
  });

  it("after a token is refused, asks for a new one and scans again once it works", async () => {
    const github = await startFakeGitHub({ pageSize: 20 });
    try {
      const owner = await signUp(web, { email: "reconnect@example.com", tenantName: "Reconnect Co" });
      await owner.get("/connections");
      github.setFault(() => ({ status: 401, body: { message: "Bad credentials" } }));
      const path = (await owner.post("/connections", { provider: "github", repositories: "panjf2000/ants", token: "ghp_revoked", apiBaseUrl: github.url, backfillDays: "3650" })).location;
      expect(path).toBeNull();
      github.setFault(null);
      const connected = await owner.post("/connections", { provider: "github", repositories: "panjf2000/ants", token: FAKE_GITHUB_TOKEN, apiBaseUrl: github.url, backfillDays: "3650" });
      const page = connected.location!;
      const connectedPage = await untilScansSettle(owner, page);
      expect(connectedPage).toContain("Reads as: GitHub account");
      expect(connectedPage).toContain("GitHub lets only you revoke a personal access token");
      github.setFault(() => ({ status: 401, body: { message: "Bad credentials" } }));
      await owner.get(page);
      await owner.post(`${page}/scan`, {});
      const refused = await untilScansSettle(owner, page);
      expect(refused, refused.slice(refused.indexOf("<h2>Scans</h2>"), refused.indexOf("<h2>Scans</h2>") + 800)).toContain("needs_reconnect");
      expect(refused).toContain("Reconnect");
      github.setFault(null);

      const wrong = await owner.post(`${page}/credentials`, { token: "ghp_wrong" });
      expect(wrong.status).toBe(400);
      expect(wrong.body).toContain("did not work");
      const right = await owner.post(`${page}/credentials`, { token: FAKE_GITHUB_TOKEN });
      expect(right.status).toBe(302);
      const after = await untilScansSettle(owner, page);
      expect(after).toMatch(/<span class="value">active<\/span>/);
      expect(after.match(/<td>succeeded<\/td>/g)?.length).toBe(2);
    } finally {
      await github.close();
    }
  });

  it("explains bad connection input without storing anything, and keeps members from connecting", async () => {
    const owner = await signUp(web, { email: "bad-input@example.com", tenantName: "Bad Co" });
    await owner.get("/connections");
    const unknown = await owner.post("/connections", { provider: "myspace" });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toContain("Choose a tool to connect");
    const noToken = await owner.post("/connections", { provider: "github", repositories: "octo/repo", token: "" });
    expect(noToken.status).toBe(400);
    expect(noToken.body).toContain("personal access token");
    const { rows } = await db.owner.query("SELECT 1 FROM connections c JOIN tenants t ON t.id = c.tenant_id WHERE t.name = 'Bad Co'");
    expect(rows).toHaveLength(0);

    const member = await joinAsNewMember(web, await invite(owner, "plain-member@example.com"), "Plain");
    const page = await member.get("/connections");
    expect(page.body).not.toContain("Connect a tool");
    expect((await member.post("/connections", { provider: "demo" })).status).toBe(403);
  });

  it("sends nothing to an address outside the tool's public API unless the operator allows its host", async () => {
    const github = await startFakeGitHub();
    // An instance whose operator allows no extra host: the fake on this machine is off limits.
    const strict = await startTestWeb(db, { CONNECTOR_EXTRA_HOSTS: "" });
    try {
      const owner = await signUp(strict, { email: "hosts@example.com", tenantName: "Hosts Co" });
      await owner.get("/connections");
      for (const apiBaseUrl of [github.url, "http://169.254.169.254/latest", "https://github.example.com/api/v3"]) {
        const refused = await owner.post("/connections", { provider: "github", repositories: "panjf2000/ants", token: FAKE_GITHUB_TOKEN, apiBaseUrl });
        expect(refused.status, apiBaseUrl).toBe(400);
        expect(refused.body).toContain(`This instance lets github connections reach api.github.com over https, not ${new URL(apiBaseUrl).hostname}`);
        expect(refused.body).toContain("CONNECTOR_EXTRA_HOSTS");
      }
      const jira = await owner.post("/connections", { provider: "jira", siteUrl: "https://jira.corp.example", email: "a@example.com", token: "t", projects: "ENG" });
      expect(jira.status).toBe(400);
      expect(jira.body).toContain("not jira.corp.example");
      expect(github.requests).toHaveLength(0);
      const { rows } = await db.owner.query("SELECT 1 FROM connections c JOIN tenants t ON t.id = c.tenant_id WHERE t.name = 'Hosts Co'");
      expect(rows).toHaveLength(0);
    } finally {
      await strict.close();
      await github.close();
    }
  });
});

import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../support/app.js";
import type { TestDatabase } from "../support/database.js";
import { invite, joinAsNewMember, signUp, untilScansSettle, type Browser, type TestWeb } from "../support/web.js";

let app: TestApp;
let db: TestDatabase;
let web: TestWeb;

beforeAll(async () => {
  app = await startTestApp();
  ({ db, web } = app);
});

afterAll(async () => {
  await app.close();
});

/** Every table that holds workflow data read from a tenant's tools. */
const WORKFLOW_TABLES = [
  "connections",
  "scans",
  "work_items",
  "events",
  "actors",
  "scan_cursors",
  "scan_outputs",
  "created_tickets",
  "ai_conversations",
  "ai_messages",
  "ai_requests",
  "ai_pseudonyms",
];

/** One question to the assistant about the connection, as the person asked it: their conversation, the request that carried it, a pseudonym. */
async function assistantHistory(tenantId: string, userId: string, connectionId: string): Promise<void> {
  const request = await db.owner.query<{ id: string }>(
    "INSERT INTO ai_requests (tenant_id, user_id, purpose, model, request_body, status) VALUES ($1, $2, 'chat', 'claude-test', '{}', 'succeeded') RETURNING id",
    [tenantId, userId],
  );
  const conversation = await db.owner.query<{ id: string }>(
    "INSERT INTO ai_conversations (tenant_id, user_id, connection_id, scope, title) VALUES ($1, $2, $3, '', 'Why?') RETURNING id",
    [tenantId, userId, connectionId],
  );
  await db.owner.query("INSERT INTO ai_messages (tenant_id, user_id, conversation_id, role, content, request_id) VALUES ($1, $2, $3, 'user', 'Why?', $4)", [
    tenantId,
    userId,
    conversation.rows[0]!.id,
    request.rows[0]!.id,
  ]);
  await db.owner.query("INSERT INTO ai_pseudonyms (tenant_id, person_key, number) SELECT $1, $2, coalesce(max(number), 0) + 1 FROM ai_pseudonyms WHERE tenant_id = $1", [
    tenantId,
    randomUUID(),
  ]);
}

async function userIdOf(tenantId: string, displayName: string): Promise<string> {
  const { rows } = await db.owner.query<{ id: string }>("SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id WHERE m.tenant_id = $1 AND u.display_name = $2", [tenantId, displayName]);
  return rows[0]!.id;
}

async function rowCounts(tenantId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of [...WORKFLOW_TABLES, "memberships", "audit_log"]) {
    const { rows } = await db.owner.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE tenant_id = $1`, [tenantId]);
    counts[table] = rows[0]!.n;
  }
  return counts;
}

async function tenantIdOf(name: string): Promise<string> {
  const { rows } = await db.owner.query<{ id: string }>("SELECT id FROM tenants WHERE name = $1", [name]);
  return rows[0]!.id;
}

/** A tenant with two scanned demo connections and a ticket record, as an owner leaves it after a while. */
async function tenantWithData(name: string): Promise<{ owner: Browser; tenantId: string; connectionIds: string[] }> {
  const owner = await signUp(web, { email: `${randomUUID()}@example.com`, tenantName: name });
  const connectionIds: string[] = [];
  for (const label of ["Board one", "Board two"]) {
    await owner.get("/connections");
    const path = (await owner.post("/connections", { provider: "demo", label })).location!;
    await untilScansSettle(owner, path);
    connectionIds.push(path.split("/").pop()!);
  }
  const tenantId = await tenantIdOf(name);
  await db.owner.query("INSERT INTO created_tickets (tenant_id, connection_id, idempotency_key, issue_key) VALUES ($1, $2, $3, 'OPS-1')", [
    tenantId,
    connectionIds[0],
    randomUUID(),
  ]);
  await assistantHistory(tenantId, await userIdOf(tenantId, "Test Owner"), connectionIds[0]!);
  return { owner, tenantId, connectionIds };
}

describe("the data page", () => {
  it("lists each connection with its exports; another tenant cannot export it by id", async () => {
    const a = await tenantWithData("Export A");
    const b = await signUp(web, { email: `${randomUUID()}@example.com`, tenantName: "Export B" });
    const page = await a.owner.get("/data");
    expect(page.status).toBe(200);
    for (const id of a.connectionIds) {
      expect(page.body).toContain(`href="/connections/${id}/export.csv"`);
      expect(page.body).toContain(`href="/connections/${id}/export.xes"`);
    }
    const own = await a.owner.get(`/connections/${a.connectionIds[0]}/export.csv`);
    expect(own.status).toBe(200);
    expect(own.body.split("\n").length).toBeGreaterThan(10);

    expect((await b.get("/data")).body).not.toContain(a.connectionIds[0]);
    for (const format of ["csv", "xes"]) {
      const stolen = await b.get(`/connections/${a.connectionIds[0]}/export.${format}`);
      expect(stolen.status).toBe(404);
      expect(stolen.body).toContain("There is no connection with that id.");
    }
  });

  it("deletes all workflow data only for an owner who types the organization's name, and nothing of another tenant", async () => {
    const a = await tenantWithData("Delete A");
    const b = await tenantWithData("Delete B");
    const member = await joinAsNewMember(web, await invite(a.owner, `${randomUUID()}@example.com`), "Mel");
    const admin = await joinAsNewMember(web, await invite(a.owner, `${randomUUID()}@example.com`, "admin"), "Ada");
    // A conversation the owner cannot see (it is the member's own) goes too.
    await assistantHistory(a.tenantId, await userIdOf(a.tenantId, "Mel"), a.connectionIds[1]!);
    const before = await rowCounts(a.tenantId);
    for (const table of WORKFLOW_TABLES) expect(before[table], table).toBeGreaterThan(0);
    const otherBefore = await rowCounts(b.tenantId);

    // Members and admins see the exports but not the form, and are refused if they post anyway.
    for (const person of [member, admin]) {
      const page = await person.get("/data");
      expect(page.body).toContain(`/connections/${a.connectionIds[0]}/export.csv`);
      expect(page.body).not.toContain('action="/data/delete-all"');
      const refused = await person.post("/data/delete-all", { confirmName: "Delete A" });
      expect(refused.status).toBe(403);
      expect(refused.body).toContain("Only an owner can delete all of the organization&#x27;s data.");
    }
    expect(await rowCounts(a.tenantId)).toEqual(before);

    const form = await a.owner.get("/data");
    expect(form.body).toContain('action="/data/delete-all"');
    for (const wrong of ["", "delete a", "Delete B"]) {
      const refused = await a.owner.post("/data/delete-all", { confirmName: wrong });
      expect(refused.status, wrong).toBe(400);
      expect(refused.body).toContain("To confirm, type the organization&#x27;s name exactly as it is written: Delete A. Nothing was deleted.");
    }
    expect(await rowCounts(a.tenantId)).toEqual(before);

    const deleted = await a.owner.post("/data/delete-all", { confirmName: " Delete A " });
    expect(deleted.status).toBe(302);
    expect(deleted.location).toBe("/data?deleted=1");
    const after = await a.owner.get(deleted.location!);
    expect(after.body).toContain("All workflow data is deleted.");
    expect(after.body).toContain("No event data");

    const counts = await rowCounts(a.tenantId);
    for (const table of WORKFLOW_TABLES) expect(counts[table], table).toBe(0);
    expect(counts.memberships).toBe(3);
    expect(await rowCounts(b.tenantId)).toEqual(otherBefore);

    const audit = await db.owner.query<{ action: string; actor: string; details: unknown }>(
      `SELECT a.action, u.display_name AS actor, a.details FROM audit_log a JOIN users u ON u.id = a.actor_user_id
        WHERE a.tenant_id = $1 AND a.action IN ('tenant.data_deleted', 'connection.disconnected') ORDER BY a.id`,
      [a.tenantId],
    );
    expect(audit.rows).toEqual([
      { action: "connection.disconnected", actor: "Test Owner", details: { dataDeleted: true } },
      { action: "connection.disconnected", actor: "Test Owner", details: { dataDeleted: true } },
      { action: "tenant.data_deleted", actor: "Test Owner", details: { connections: 2 } },
    ]);
    // The audit log kept everything it had, and the exports of deleted connections are gone.
    expect(counts.audit_log).toBe(before.audit_log! + 3);
    expect((await a.owner.get(`/connections/${a.connectionIds[0]}/export.csv`)).status).toBe(404);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE } from "../../app/src/auth/authenticator.js";
import { SIGN_IN_PER_ACCOUNT, SIGN_IN_PER_IP } from "../../app/src/auth/throttle.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { Browser, invite, joinAsNewMember, signUp, startTestWeb, type TestWeb } from "../support/web.js";

let db: TestDatabase;
let web: TestWeb;
let counter = 0;
const uniqueEmail = (name: string) => `${name}-${++counter}@example.com`;
const PASSWORD = "correct horse battery";

beforeAll(async () => {
  db = await createTestDatabase();
  web = await startTestWeb(db);
});

afterAll(async () => {
  await web.close();
  await db.drop();
});

async function signIn(email: string, password = PASSWORD, browser = new Browser(web.url)) {
  await browser.get("/sign-in");
  const page = await browser.post("/sign-in", { email, password });
  return { browser, page };
}

describe("built-in sign-up and sign-in", () => {
  it("creates an organization with its owner and lands on the overview with an empty state", async () => {
    const email = uniqueEmail("owner");
    const browser = await signUp(web, { email, tenantName: "Initech" });
    const overview = await browser.get("/overview");
    expect(overview.status).toBe(200);
    expect(overview.body).toContain("Initech");
    expect(overview.body).toContain("No tools connected yet");
    const { rows } = await db.owner.query("SELECT m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = $1", [email]);
    expect(rows).toEqual([{ role: "owner" }]);
  });

  it("sets the session cookie HttpOnly, Secure and SameSite=Lax", async () => {
    const browser = new Browser(web.url);
    await browser.get("/sign-up");
    const page = await browser.post("/sign-up", { tenantName: "Cookie Co", displayName: "C", email: uniqueEmail("cookie"), password: PASSWORD });
    const cookie = page.headers.getSetCookie().find((line) => line.startsWith(`${SESSION_COOKIE}=`));
    expect(cookie).toMatch(/; httponly/i);
    expect(cookie).toMatch(/; secure/i);
    expect(cookie).toMatch(/; samesite=lax/i);
  });

  it("explains what to fix when sign-up input is bad, and keeps what was typed", async () => {
    const browser = new Browser(web.url);
    await browser.get("/sign-up");
    const page = await browser.post("/sign-up", { tenantName: "Typed Org", displayName: "T", email: uniqueEmail("weak"), password: "short" });
    expect(page.status).toBe(400);
    expect(page.body).toContain("at least 12 characters");
    expect(page.body).toContain('value="Typed Org"');
    const duplicate = uniqueEmail("dup");
    await signUp(web, { email: duplicate });
    const again = new Browser(web.url);
    await again.get("/sign-up");
    const taken = await again.post("/sign-up", { tenantName: "Other", displayName: "O", email: duplicate, password: PASSWORD });
    expect(taken.status).toBe(409);
    expect(taken.body).toContain("already exists");
  });

  it("signs in with the right password and refuses a wrong one with a generic message", async () => {
    const email = uniqueEmail("signin");
    await signUp(web, { email });
    const good = await signIn(email);
    expect(good.page.status).toBe(302);
    expect(good.page.location).toBe("/overview");
    expect((await good.browser.get("/overview")).status).toBe(200);

    const bad = await signIn(email, "wrong password!!");
    expect(bad.page.status).toBe(401);
    expect(bad.page.body).toContain("Email or password is incorrect.");
    expect(bad.browser.cookies.has(SESSION_COOKIE)).toBe(false);
    const unknown = await signIn(uniqueEmail("nobody"));
    expect(unknown.page.body).toContain("Email or password is incorrect.");
  });

  it("issues a new session id at sign-in, so a planted session cookie is not adopted", async () => {
    const email = uniqueEmail("fixation");
    const first = await signUp(web, { email });
    const before = first.cookies.get(SESSION_COOKIE);
    const { page } = await signIn(email, PASSWORD, first);
    expect(page.status).toBe(302);
    expect(first.cookies.get(SESSION_COOKIE)).not.toBe(before);
    const replay = new Browser(web.url);
    replay.cookies.set(SESSION_COOKIE, before!);
    expect((await replay.get("/overview")).status).toBe(302);
  });

  it("throttles an account after repeated failures, even with the right password", async () => {
    const email = uniqueEmail("throttled");
    await signUp(web, { email });
    for (let attempt = 0; attempt < SIGN_IN_PER_ACCOUNT.limit; attempt++) {
      expect((await signIn(email, `wrong password ${attempt}`)).page.status).toBe(401);
    }
    const blocked = await signIn(email);
    expect(blocked.page.status).toBe(429);
    expect(blocked.page.body).toContain("Too many attempts");
    expect(blocked.browser.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  it("throttles a client address that fails across many accounts", async () => {
    const browser = new Browser(web.url);
    await browser.get("/sign-in");
    for (let attempt = 0; attempt < SIGN_IN_PER_IP.limit; attempt++) {
      expect((await browser.post("/sign-in", { email: uniqueEmail("spray"), password: "wrong password!!" })).status).toBe(401);
    }
    const email = uniqueEmail("sprayed");
    await signUp(web, { email });
    expect((await browser.post("/sign-in", { email, password: PASSWORD })).status).toBe(429);
    expect((await signIn(email)).page.status).toBe(302);
  });

  it("refuses a state-changing form without a valid CSRF token, and changes nothing", async () => {
    const browser = new Browser(web.url);
    await browser.get("/sign-up");
    const email = uniqueEmail("csrf");
    const missing = await browser.post("/sign-up", { _csrf: "", tenantName: "Nope", displayName: "N", email, password: PASSWORD });
    expect(missing.status).toBe(403);
    const forged = await browser.post("/sign-up", { _csrf: "A".repeat(43), tenantName: "Nope", displayName: "N", email, password: PASSWORD });
    expect(forged.status).toBe(403);
    const { rows } = await db.owner.query("SELECT 1 FROM users WHERE email = $1", [email]);
    expect(rows).toHaveLength(0);
  });

  it("does not accept a CSRF token from another browser's session", async () => {
    const victim = await signUp(web, { email: uniqueEmail("victim") });
    const attacker = await signUp(web, { email: uniqueEmail("attacker") });
    await attacker.get("/members");
    victim.csrfToken = attacker.csrfToken;
    expect((await victim.post("/sign-out", {})).status).toBe(403);
    expect((await victim.get("/overview")).status).toBe(200);
  });

  it("sign-out revokes the session server-side, so a copied cookie stops working", async () => {
    const browser = await signUp(web, { email: uniqueEmail("signout") });
    const copied = new Browser(web.url);
    copied.cookies.set(SESSION_COOKIE, browser.cookies.get(SESSION_COOKIE)!);
    expect((await copied.get("/overview")).status).toBe(200);
    await browser.get("/overview");
    const out = await browser.post("/sign-out", {});
    expect(out.status).toBe(302);
    expect((await copied.get("/overview")).status).toBe(302);
    expect((await copied.get("/api/v1/connections", { accept: "application/json" })).status).toBe(401);
  });

  it("ends a session after the idle window", async () => {
    const email = uniqueEmail("idle");
    const browser = await signUp(web, { email });
    expect((await browser.get("/overview")).status).toBe(200);
    await db.owner.query(
      "UPDATE sessions SET last_seen_at = now() - make_interval(secs => $1 + 5) WHERE user_id = (SELECT id FROM users WHERE email = $2)",
      [web.config.sessionIdleSeconds, email],
    );
    expect((await browser.get("/overview")).status).toBe(302);
  });

  it("ends a session at its absolute maximum age, however active", async () => {
    const email = uniqueEmail("absolute");
    const browser = await signUp(web, { email });
    await db.owner.query("UPDATE sessions SET expires_at = now() - interval '1 second', last_seen_at = now() WHERE user_id = (SELECT id FROM users WHERE email = $1)", [email]);
    expect((await browser.get("/overview")).status).toBe(302);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  it("redirects anonymous page requests to sign-in and answers API requests with 401", async () => {
    const anonymous = new Browser(web.url);
    expect((await anonymous.get("/overview")).location).toBe("/sign-in");
    const api = await anonymous.get("/api/v1/connections");
    expect(api.status).toBe(401);
    expect(JSON.parse(api.body).error.code).toBe("unauthorized");
  });
});

describe("members", () => {
  it("invites by link, the invitee joins, and removing them ends their sessions", async () => {
    const owner = await signUp(web, { email: uniqueEmail("team-owner"), tenantName: "Team" });
    await owner.get("/members");
    const inviteeEmail = uniqueEmail("invitee");
    const invited = await owner.post("/members/invite", { email: inviteeEmail, role: "member" });
    expect(invited.status).toBe(201);
    const link = /\/invite\/([^<\s"]+)/.exec(invited.body)?.[1];
    expect(link).toBeTruthy();

    const invitee = new Browser(web.url);
    const invitation = await invitee.get(`/invite/${link}`);
    expect(invitation.body).toContain(inviteeEmail);
    const joined = await invitee.post(`/invite/${link}`, { displayName: "New Person", password: PASSWORD });
    expect(joined.status).toBe(302);
    expect((await invitee.get("/overview")).body).toContain("Team");
    expect((await new Browser(web.url).get(`/invite/${link}`)).status).toBe(404);

    const members = await owner.get("/members");
    expect(members.body).toContain(inviteeEmail);
    const { rows } = await db.owner.query<{ id: string }>("SELECT id FROM users WHERE email = $1", [inviteeEmail]);
    const removed = await owner.post(`/members/${rows[0]!.id}/remove`, {});
    expect(removed.status).toBe(302);
    expect((await invitee.get("/overview")).status).toBe(302);
  });

  it("lists open invitations to admins and lets them revoke one, after which the link is dead", async () => {
    const owner = await signUp(web, { email: uniqueEmail("revoker") });
    await owner.get("/members");
    const email = uniqueEmail("revoked");
    const superseded = await owner.post("/members/invite", { email, role: "member" });
    const supersededLink = /\/invite\/([^<\s"]+)/.exec(superseded.body)![1]!;
    const invited = await owner.post("/members/invite", { email, role: "admin" });
    const link = /\/invite\/([^<\s"]+)/.exec(invited.body)![1]!;
    expect((await new Browser(web.url).get(`/invite/${supersededLink}`)).status).toBe(404);
    const listed = await owner.get("/members");
    expect(listed.body).toContain("Open invitations");
    expect(listed.body.split(email).length - 1).toBe(1);
    const invitationId = /\/members\/invitations\/([0-9a-f-]{36})\/revoke/.exec(listed.body)![1]!;
    expect((await owner.post(`/members/invitations/${invitationId}/revoke`, {})).status).toBe(302);
    expect((await owner.get("/members")).body).not.toContain(email);
    expect((await new Browser(web.url).get(`/invite/${link}`)).status).toBe(404);
    expect((await owner.post(`/members/invitations/${invitationId}/revoke`, {})).status).toBe(404);
  });

  it("lets a member of two organizations switch between them, and not into a third", async () => {
    const first = await signUp(web, { email: uniqueEmail("first-owner"), tenantName: "First Org" });
    const personEmail = uniqueEmail("two-orgs");
    const person = await signUp(web, { email: personEmail, tenantName: "Own Org" });
    const link = await invite(first, personEmail);
    await person.get(`/invite/${link}`);
    expect((await person.post(`/invite/${link}`, { password: PASSWORD })).status).toBe(302);
    const inFirst = await person.get("/overview");
    expect(inFirst.body).toContain("<h1>First Org</h1>");
    const ownTenantId = /<option value="([0-9a-f-]{36})">Own Org<\/option>/.exec(inFirst.body)![1]!;
    expect((await person.post("/switch-organization", { tenantId: ownTenantId })).status).toBe(302);
    expect((await person.get("/overview")).body).toContain("<h1>Own Org</h1>");

    await signUp(web, { email: uniqueEmail("third-owner"), tenantName: "Third Org" });
    const { rows } = await db.owner.query<{ id: string }>("SELECT id FROM tenants WHERE name = 'Third Org' LIMIT 1");
    await person.get("/overview");
    expect((await person.post("/switch-organization", { tenantId: rows[0]!.id })).status).toBe(404);
    expect((await person.get("/overview")).body).toContain("<h1>Own Org</h1>");
  });

  it("lets an owner change roles, keeps at least one owner, and keeps admins away from owners", async () => {
    const owner = await signUp(web, { email: uniqueEmail("role-owner") });
    const adminEmail = uniqueEmail("role-admin");
    const admin = await joinAsNewMember(web, await invite(owner, adminEmail), "Soon Admin");
    const ids = await db.owner.query<{ email: string; id: string }>("SELECT email, id FROM users WHERE email = ANY($1)", [[adminEmail]]);
    const adminId = ids.rows[0]!.id;
    const ownerId = (await db.owner.query<{ user_id: string }>(
      "SELECT m.user_id FROM memberships m WHERE m.tenant_id = (SELECT tenant_id FROM memberships WHERE user_id = $1) AND m.role = 'owner'",
      [adminId],
    )).rows[0]!.user_id;

    await owner.get("/members");
    expect((await owner.post(`/members/${adminId}/role`, { role: "admin" })).status).toBe(302);
    expect((await owner.post(`/members/${adminId}/role`, { role: "superuser" })).status).toBe(400);
    await admin.get("/members");
    expect((await admin.post(`/members/${ownerId}/role`, { role: "member" })).status).toBe(403);
    expect((await admin.post(`/members/${adminId}/role`, { role: "owner" })).status).toBe(403);

    const demoteLastOwner = await owner.post(`/members/${ownerId}/role`, { role: "member" });
    expect(demoteLastOwner.status).toBe(400);
    expect(demoteLastOwner.body).toContain("needs an owner");
    const { rows } = await db.owner.query<{ user_id: string; role: string }>(
      "SELECT user_id, role FROM memberships WHERE user_id = ANY($1) ORDER BY role DESC",
      [[ownerId, adminId]],
    );
    expect(rows).toEqual([{ user_id: ownerId, role: "owner" }, { user_id: adminId, role: "admin" }]);
  });

  it("lets only owners and admins invite or remove", async () => {
    const owner = await signUp(web, { email: uniqueEmail("boss") });
    const member = await joinAsNewMember(web, await invite(owner, uniqueEmail("plain")), "Plain");
    await member.get("/members");
    const refused = await member.post("/members/invite", { email: uniqueEmail("x"), role: "admin" });
    expect(refused.status).toBe(403);
    const { rows } = await db.owner.query<{ id: string }>("SELECT id FROM users WHERE email LIKE 'boss-%' ORDER BY created_at DESC LIMIT 1");
    expect((await member.post(`/members/${rows[0]!.id}/remove`, {})).status).toBe(403);
  });
});

describe("tenancy over HTTP", () => {
  it("answers 404 when one tenant asks for another tenant's connection by id", async () => {
    const alpha = await signUp(web, { email: uniqueEmail("alpha"), tenantName: "Alpha" });
    const bravo = await signUp(web, { email: uniqueEmail("bravo"), tenantName: "Bravo" });
    const { rows } = await db.owner.query<{ tenant_id: string }>(
      "SELECT m.tenant_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email LIKE 'alpha-%' ORDER BY m.created_at DESC LIMIT 1",
    );
    const connection = await db.owner.query<{ id: string }>(
      "INSERT INTO connections (tenant_id, provider, label, credentials) VALUES ($1, 'demo', 'Alpha board', 'tfv1.x.y.z') RETURNING id",
      [rows[0]!.tenant_id],
    );
    const id = connection.rows[0]!.id;
    const own = await alpha.get(`/api/v1/connections/${id}`);
    expect(own.status).toBe(200);
    expect(JSON.parse(own.body).connection.label).toBe("Alpha board");
    expect(own.body).not.toContain("tfv1");
    const other = await bravo.get(`/api/v1/connections/${id}`);
    expect(other.status).toBe(404);
    expect(other.body).not.toContain("Alpha board");
    expect(JSON.parse((await bravo.get("/api/v1/connections")).body).connections).toEqual([]);
  });
});

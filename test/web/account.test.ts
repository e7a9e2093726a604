import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { Browser, invite, joinAsNewMember, signUp, startTestWeb, type TestWeb } from "../support/web.js";

let db: TestDatabase;
let web: TestWeb;
const PASSWORD = "correct horse battery";

beforeAll(async () => {
  db = await createTestDatabase();
  web = await startTestWeb(db);
});

afterAll(async () => {
  await web.close();
  await db.drop();
});

const uniqueEmail = (name: string) => `${name}-${randomUUID()}@example.com`;

async function signIn(email: string, password: string) {
  return (await signedIn(email, password)).page;
}

/** A second browser signing in: its answer, and the browser with its session. */
async function signedIn(email: string, password: string) {
  const browser = new Browser(web.url);
  await browser.get("/sign-in");
  return { browser, page: await browser.post("/sign-in", { email, password }) };
}

async function tenantOf(name: string) {
  const { rows } = await db.owner.query<{ name: string; time_zone: string }>("SELECT name, time_zone FROM tenants WHERE name = $1", [name]);
  return rows;
}

async function auditActions(email: string) {
  const { rows } = await db.owner.query<{ action: string }>(
    "SELECT a.action FROM audit_log a JOIN users u ON u.id = a.actor_user_id WHERE u.email = $1 ORDER BY a.id",
    [email],
  );
  return rows.map((row) => row.action);
}

describe("the account page", () => {
  it("changes the person's name, shows it on the members page, confirms and audits it; a blank name is refused", async () => {
    const email = uniqueEmail("rename");
    const owner = await signUp(web, { email, tenantName: "Rename Co" });
    const page = await owner.get("/account");
    expect(page.status).toBe(200);
    expect(page.body).toContain(`value="${email}"`);
    expect(page.body).toContain('value="Test Owner"');

    const saved = await owner.post("/account/profile", { displayName: "  Ada Lovelace " });
    expect(saved.status).toBe(302);
    expect(saved.location).toBe("/account?saved=profile");
    expect((await owner.get(saved.location!)).body).toContain("Your name is saved.");
    expect((await owner.get("/members")).body).toContain("<td>Ada Lovelace</td>");

    const blank = await owner.post("/account/profile", { displayName: "   " });
    expect(blank.status).toBe(400);
    expect(blank.body).toContain("Enter a name.");
    const { rows } = await db.owner.query("SELECT display_name FROM users WHERE email = $1", [email]);
    expect(rows).toEqual([{ display_name: "Ada Lovelace" }]);
    expect(await auditActions(email)).toEqual(["tenant.created", "account.name_changed"]);
  });

  it("changes the password only with the current one: then the new one signs in and the old one no longer does", async () => {
    const email = uniqueEmail("password");
    const owner = await signUp(web, { email, tenantName: "Password Co" });
    const next = "a much longer new passphrase";
    await owner.get("/account");

    const wrongCurrent = await owner.post("/account/password", { currentPassword: "not my password", newPassword: next, newPasswordAgain: next });
    expect(wrongCurrent.status).toBe(400);
    expect(wrongCurrent.body).toContain("Your current password is not right");
    const weak = await owner.post("/account/password", { currentPassword: PASSWORD, newPassword: "short", newPasswordAgain: "short" });
    expect(weak.status).toBe(400);
    expect(weak.body).toContain("at least 12 characters");
    const differ = await owner.post("/account/password", { currentPassword: PASSWORD, newPassword: next, newPasswordAgain: `${next}!` });
    expect(differ.status).toBe(400);
    expect(differ.body).toContain("The two new passwords differ");
    // No refused attempt changed anything, and no password is echoed into the page.
    expect((await signIn(email, PASSWORD)).status).toBe(302);
    for (const refused of [wrongCurrent, weak, differ]) expect(refused.body).not.toContain(next);

    // Someone signed in elsewhere with the old password loses that session; this one stays.
    const elsewhere = (await signedIn(email, PASSWORD)).browser;
    expect((await elsewhere.get("/overview")).status).toBe(200);
    const changed = await owner.post("/account/password", { currentPassword: PASSWORD, newPassword: next, newPasswordAgain: next });
    expect(changed.status).toBe(302);
    expect((await owner.get(changed.location!)).body).toContain("Your password is changed.");
    const ended = await elsewhere.get("/overview");
    expect(ended.status).toBe(302);
    expect(ended.location).toContain("/sign-in");
    expect((await signIn(email, next)).status).toBe(302);
    const old = await signIn(email, PASSWORD);
    expect(old.status).toBe(401);
    expect(await auditActions(email)).toEqual(["tenant.created", "account.password_changed"]);
  });

  it("stops accepting current-password guesses after as many failures as sign-in allows", async () => {
    const email = uniqueEmail("guess");
    const owner = await signUp(web, { email, tenantName: "Guess Co" });
    const hashOf = async () => (await db.owner.query<{ password_hash: string }>("SELECT password_hash FROM users WHERE email = $1", [email])).rows[0]!.password_hash;
    const before = await hashOf();
    await owner.get("/account");
    const guess = (currentPassword: string) => owner.post("/account/password", { currentPassword, newPassword: "another good passphrase", newPasswordAgain: "another good passphrase" });
    for (let attempt = 0; attempt < 5; attempt++) expect((await guess(`guess number ${attempt}`)).status).toBe(400);
    const blocked = await guess(PASSWORD);
    expect(blocked.status).toBe(429);
    expect(blocked.body).toContain("Too many wrong passwords");
    // Even the right password does not get through while blocked, and sign-in is blocked alike.
    expect(await hashOf()).toBe(before);
    expect((await signIn(email, PASSWORD)).status).toBe(429);
  });

  it("lets an owner rename the organization and set its time zone; a zone that is not one is refused and the old one stays", async () => {
    const owner = await signUp(web, { email: uniqueEmail("zone"), tenantName: "Zone Co" });
    const page = await owner.get("/account");
    expect(page.body).toContain('name="timeZone" value="UTC"');
    expect(page.body).toContain('<option value="Europe/Berlin">');

    const saved = await owner.post("/account/organization", { name: "Zone Company", timeZone: "europe/berlin" });
    expect(saved.status).toBe(302);
    expect((await owner.get(saved.location!)).body).toContain("The organization&#x27;s name and time zone are saved.");
    expect(await tenantOf("Zone Company")).toEqual([{ name: "Zone Company", time_zone: "Europe/Berlin" }]);

    for (const timeZone of ["Mars/Olympus_Mons", "+02:00", ""]) {
      const refused = await owner.post("/account/organization", { name: "Renamed Anyway", timeZone });
      expect(refused.status, timeZone).toBe(400);
      expect(refused.body).toContain("That is not a time zone: choose one from the list, or type an IANA name such as Europe/Berlin");
      // What was typed is kept in the form, to correct.
      expect(refused.body).toContain(`name="timeZone" value="${timeZone}"`);
    }
    expect(await tenantOf("Zone Company")).toEqual([{ name: "Zone Company", time_zone: "Europe/Berlin" }]);
    expect(await tenantOf("Renamed Anyway")).toEqual([]);
    const { rows } = await db.owner.query<{ details: unknown }>(
      "SELECT a.details FROM audit_log a JOIN tenants t ON t.id = a.tenant_id WHERE t.name = 'Zone Company' AND a.action = 'tenant.settings_changed'",
    );
    expect(rows).toEqual([{ details: { name: "Zone Company", timeZone: "Europe/Berlin" } }]);
  });

  it("shows dates in the organization's time zone", async () => {
    const owner = await signUp(web, { email: uniqueEmail("zone-dates"), tenantName: "Dated Co" });
    const invited = uniqueEmail("zone-invitee");
    await invite(owner, invited);
    // Half past eleven at night in UTC is already the next day in Berlin.
    await db.owner.query("UPDATE invitations SET expires_at = '2027-01-01T23:30:00Z' WHERE email = $1", [invited]);
    const expiry = async () => /<td>[^<]*<\/td><td>member<\/td><td>(\d{4}-\d{2}-\d{2})<\/td>/.exec((await owner.get("/members")).body)?.[1];
    expect(await expiry()).toBe("2027-01-01");
    await owner.get("/account");
    expect((await owner.post("/account/organization", { name: "Dated Co", timeZone: "Europe/Berlin" })).status).toBe(302);
    expect(await expiry()).toBe("2027-01-02");
  });

  it("keeps members and admins from changing the organization's name or time zone", async () => {
    const owner = await signUp(web, { email: uniqueEmail("org-owner"), tenantName: "Guarded Co" });
    const member = await joinAsNewMember(web, await invite(owner, uniqueEmail("org-member")), "Mia Member");
    const admin = await joinAsNewMember(web, await invite(owner, uniqueEmail("org-admin"), "admin"), "Adam Admin");
    for (const person of [member, admin]) {
      const page = await person.get("/account");
      expect(page.body).not.toContain('action="/account/organization"');
      expect(page.body).toContain("Only an owner can change these.");
      const refused = await person.post("/account/organization", { name: "Taken Over", timeZone: "Asia/Tokyo" });
      expect(refused.status).toBe(403);
      expect(refused.body).toContain("Only an owner can change the organization&#x27;s name and time zone.");
    }
    expect(await tenantOf("Guarded Co")).toEqual([{ name: "Guarded Co", time_zone: "UTC" }]);
    // Their own name is theirs to change.
    expect((await member.post("/account/profile", { displayName: "Mia M." })).status).toBe(302);
  });
});

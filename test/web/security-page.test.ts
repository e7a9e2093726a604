import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { githubManifest } from "../../app/src/connectors/github/manifest.js";
import { jiraManifest } from "../../app/src/connectors/jira/manifest.js";
import { AtlassianTokens, startFakeAtlassian, type FakeAtlassian } from "../fakes/atlassian-auth.js";
import { startFakeGitHub, type FakeGitHub } from "../fakes/github.js";
import { FAKE_ACCOUNT, startFakeJira, type FakeJira } from "../fakes/jira.js";
import { atlassianEnv, consentWithAtlassian, OAUTH_CLIENT } from "../support/atlassian.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { signUp, startTestWeb, type Browser, type TestWeb } from "../support/web.js";

/** Credentials planted when connecting, to be sure the page never shows them. */
const GITHUB_TOKEN = `ghp_planted${randomUUID().replaceAll("-", "")}`;
const JIRA_LOGIN = { email: "scanner@example.com", token: `jira-planted-${randomUUID()}` };

let db: TestDatabase;
let web: TestWeb;
let github: FakeGitHub;
let jira: FakeJira;
let tokens: AtlassianTokens;
let atlassian: FakeAtlassian;

beforeAll(async () => {
  db = await createTestDatabase();
  github = await startFakeGitHub({ token: GITHUB_TOKEN, scopes: "repo, read:org", login: "octo-reader" });
  jira = await startFakeJira({ auth: JIRA_LOGIN });
  tokens = new AtlassianTokens();
  atlassian = await startFakeAtlassian({ tokens, ...OAUTH_CLIENT, sites: [{ cloudId: "11111111-2222-3333-4444-555555555555", name: "Acme", url: "https://acme.atlassian.net" }] });
  web = await startTestWeb(db, atlassianEnv(atlassian));
});

afterAll(async () => {
  await web.close();
  await Promise.all([github.close(), jira.close(), atlassian.close()]);
  await db.drop();
});

/** As Handlebars writes text into a page. */
const escaped = (text: string) =>
  text.replace(/[&<>"'`=]/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;", "`": "&#x60;", "=": "&#x3D;" })[char]!);

/** The part of the page about one connection. */
function sectionOf(page: string, label: string): string {
  const start = page.indexOf(`<h3>${label} `);
  expect(start, `no section for ${label}`).toBeGreaterThanOrEqual(0);
  return page.slice(start, page.indexOf("</article>", start));
}

async function connect(owner: Browser, form: Record<string, string>): Promise<string> {
  await owner.get("/connections");
  const created = await owner.post("/connections", form);
  expect(created.status, created.body.slice(0, 1000)).toBe(302);
  return created.location!;
}

describe("the security page", () => {
  let owner: Browser;
  let page: string;

  beforeAll(async () => {
    owner = await signUp(web, { email: `${randomUUID()}@example.com`, tenantName: "Guarded Co" });
    await connect(owner, { provider: "github", label: "Code", repositories: "panjf2000/ants", token: GITHUB_TOKEN, apiBaseUrl: github.url });
    await connect(owner, { provider: "jira", label: "Tickets by token", siteUrl: jira.url, projects: "EE", email: JIRA_LOGIN.email, token: JIRA_LOGIN.token });
    const consent = await consentWithAtlassian(owner, { label: "Tickets by sign-in" });
    expect((await owner.get(consent.callback)).status).toBe(302);
    await connect(owner, { provider: "demo", label: "Sample" });
    page = (await owner.get("/security")).body;
  });

  it("names each connection's credential, the account it acts as and the scopes granted", () => {
    const code = sectionOf(page, "Code");
    expect(code).toContain("<dt>Credential</dt><dd>API token</dd>");
    expect(code).toContain("<dt>Acts as</dt><dd>GitHub account octo-reader; token scopes: repo, read:org</dd>");

    const byToken = sectionOf(page, "Tickets by token");
    expect(byToken).toContain("<dt>Credential</dt><dd>API token</dd>");
    expect(byToken).toContain(`<dt>Acts as</dt><dd>Jira account ${FAKE_ACCOUNT.displayName}</dd>`);

    const bySignIn = sectionOf(page, "Tickets by sign-in");
    expect(bySignIn).toContain("<dt>Credential</dt><dd>OAuth sign-in</dd>");
    expect(bySignIn).toContain("<dt>Scopes granted</dt><dd><code>read:jira-work</code> <code>read:jira-user</code> <code>offline_access</code> </dd>");

    expect(sectionOf(page, "Sample")).toContain("<dt>Credential</dt><dd>None: sample data made on this server</dd>");
  });

  it("lists the fields each connection keeps, from its connector's manifest", () => {
    for (const [label, manifest] of [
      ["Code", githubManifest],
      ["Tickets by token", jiraManifest],
      ["Tickets by sign-in", jiraManifest],
    ] as const) {
      const section = sectionOf(page, label);
      for (const [name, why] of Object.entries(manifest.fieldsKept)) expect(section, name).toContain(`<li><strong>${escaped(name)}</strong> — ${escaped(why)}</li>`);
      for (const request of manifest.requests) expect(section).toContain(`<code>${escaped(request.path.source)}</code>`);
    }
  });

  it("shows no credential: no token, no OAuth token, no stored ciphertext", async () => {
    const { rows } = await db.owner.query<{ credentials: string }>(
      "SELECT c.credentials FROM connections c JOIN tenants t ON t.id = c.tenant_id WHERE t.name = 'Guarded Co' AND c.credentials IS NOT NULL",
    );
    expect(rows).toHaveLength(3);
    const secrets = [GITHUB_TOKEN, JIRA_LOGIN.token, ...tokens.issued, ...atlassian.refreshTokensIssued, OAUTH_CLIENT.clientSecret, ...rows.map((row) => row.credentials)];
    expect(secrets.length).toBeGreaterThanOrEqual(7);
    for (const secret of secrets) expect(page).not.toContain(secret);
  });

  it("says the credentials are gone once a connection is disconnected", async () => {
    const path = (await owner.get("/connections")).body.match(/href="(\/connections\/[0-9a-f-]{36})">Tickets by token</)![1]!;
    await owner.get(path);
    expect((await owner.post(`${path}/disconnect`, {})).status).toBe(302);
    const after = (await owner.get("/security")).body;
    expect(sectionOf(after, "Tickets by token")).toContain("<dt>Credential</dt><dd>None: deleted when the connection was disconnected</dd>");
  });

  it("shows another organization none of these connections", async () => {
    const stranger = await signUp(web, { email: `${randomUUID()}@example.com`, tenantName: "Stranger Co" });
    const theirs = (await stranger.get("/security")).body;
    expect(theirs).toContain("No tool is connected");
    expect(theirs).not.toContain("Tickets by token");
    expect(theirs).toContain("<h2>Backups</h2>");
  });
});

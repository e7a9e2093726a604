/**
 * Every page, for the three kinds of organization people have: one that has just signed up
 * (its pages say what to do first, and a connection it does not have is not found), one with
 * demo data scanned, and one with a real public event log imported. Each page answers 200
 * with one <main> holding the page's one <h1>, never the error page; an analytics page shows
 * what the stored scan output says, and with a filter what the filtered output says, keeping
 * the filter in its form and tabs.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScanOutput } from "../../app/src/analysis/scan-output.js";
import { findingKey } from "../../app/src/analysis/bottlenecks.js";
import { findingsByKey } from "../../app/src/web/ticket-draft.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { connectAnalysedDemo, scanOutputOf } from "../support/demo.js";
import { signUp, startTestWeb, type Browser, type Page, type TestWeb } from "../support/web.js";
import { startTestWorkers, type TestWorkers } from "../support/workers.js";

/** The BPI "receipt phase" log of a Dutch municipality (1,434 cases, 8,577 events), as published. */
const RECEIPT = readFileSync(new URL("../fixtures/eventlogs/receipt.csv", import.meta.url));
const RECEIPT_COLUMNS = { caseColumn: "case:concept:name", activityColumn: "concept:name", timestampColumn: "time:timestamp", resourceColumn: "org:resource" };

const ORGANIZATION_PAGES = ["/overview", "/connections", "/connections/import", "/members", "/security", "/data", "/account"] as const;
const ANALYTICS_PAGES = ["process-map", "flow", "bottlenecks", "variants", "forecast", "assistant"] as const;
type AnalyticsPage = (typeof ANALYTICS_PAGES)[number];

/** A connection's pages other than the analytics ones: its own page, its settings and its exports. */
const connectionPages = (id: string) => [`/connections/${id}`, `/connections/${id}/settings`];
const analyticsPaths = (id: string) => ANALYTICS_PAGES.map((name) => `/connections/${id}/${name}`);
const exportPaths = (id: string) => [`/connections/${id}/export.csv`, `/connections/${id}/export.xes`];

/** An organization with one analysed connection, and one filter its data answers with fewer items. */
interface AnalysedTenant {
  browser: Browser;
  connectionId: string;
  label: string;
  filter: Record<string, string>;
}

const KINDS = ["demo data", "an imported event log"] as const;
type Kind = (typeof KINDS)[number];

let db: TestDatabase;
let web: TestWeb;
let workers: TestWorkers;
let newcomer: Browser;
const tenants = new Map<Kind, AnalysedTenant>();

beforeAll(async () => {
  db = await createTestDatabase();
  web = await startTestWeb(db);
  workers = startTestWorkers(web, db);
  const [fresh, demo, importer] = await Promise.all([
    signUp(web, { email: `newcomer-${randomUUID()}@example.com`, tenantName: "Newcomers" }),
    signUp(web, { email: `demo-${randomUUID()}@example.com`, tenantName: "Demo Co" }),
    signUp(web, { email: `importer-${randomUUID()}@example.com`, tenantName: "Municipality" }),
  ]);
  newcomer = fresh;
  const [demoId, importedId] = await Promise.all([connectAnalysedDemo(demo, db, "Demo board"), importReceiptLog(importer)]);
  // The demo's engineering board has bugs; its support queue has only tickets.
  tenants.set("demo data", { browser: demo, connectionId: demoId, label: "Demo board", filter: { type: "bug" } });
  // The receipt log runs from October 2010 to January 2012.
  tenants.set("an imported event log", { browser: importer, connectionId: importedId, label: "Receipt phase", filter: { from: "2011-06-01" } });
});

afterAll(async () => {
  await workers?.close();
  await web?.close();
  await db?.drop();
});

/** The receipt log through the import form, which stores its output before it answers. */
async function importReceiptLog(browser: Browser): Promise<string> {
  await browser.get("/connections/import");
  const imported = await browser.postFile("/connections/import", { label: "Receipt phase", ...RECEIPT_COLUMNS }, { field: "log", name: "receipt.csv", content: RECEIPT });
  expect(imported.status, imported.body.slice(0, 300)).toBe(302);
  return imported.location!.split("/").pop()!;
}

/** The connection's latest stored output, read straight from the database. */
async function storedOutput(connectionId: string): Promise<ScanOutput | null> {
  const { rows } = await db.owner.query<{ output: ScanOutput }>("SELECT output FROM scan_outputs WHERE scope = $1 ORDER BY computed_at DESC LIMIT 1", [`connection:${connectionId}`]);
  return rows[0]?.output ?? null;
}

/** The output the API computes for a filtered view. */
async function filteredOutput(tenant: AnalysedTenant): Promise<ScanOutput> {
  return scanOutputOf(tenant.browser, tenant.connectionId, `?${new URLSearchParams(tenant.filter)}`);
}

const count = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].length;
const number = (value: number) => value.toLocaleString("en-US");
const decode = (html: string) => html.replace(/&amp;/g, "&").replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&#x3D;/g, "=").replace(/&lt;/g, "<").replace(/&gt;/g, ">");

/** What the page shows inside <main>: without the top bar every page has. */
const mainOf = (html: string) => /<main[^>]*>([\s\S]*)<\/main>/.exec(html)?.[1] ?? "";

/** A page of the app's layout: one <main>, holding the page's one <h1>. */
function expectLandmarks(page: Page, path: string): void {
  expect(page.headers.get("content-type"), `${path}: an HTML page`).toMatch(/^text\/html/);
  expect(count(page.body, /<main[\s>]/g), `${path}: one <main>`).toBe(1);
  expect(count(page.body, /<h1[\s>]/g), `${path}: one <h1>`).toBe(1);
  expect(count(mainOf(page.body), /<h1[\s>]/g), `${path}: its <h1> inside <main>`).toBe(1);
}

/** A page that rendered: 200, the layout's landmarks, and not the error page. */
function expectRendered(page: Page, path: string): void {
  expect(page.status, `GET ${path}: ${page.body.slice(0, 300)}`).toBe(200);
  expectLandmarks(page, path);
  expect(page.body, `GET ${path} shows the error page`).not.toContain("Request id <code>");
}

/** The line under the filters: the items, completed and open, and the events the page is computed from. */
function sampleOf(html: string, path: string): { items: number; completed: number; open: number; events: number; filtered: boolean } {
  const line = /<p class="muted sample">([\d,]+) items \(([\d,]+) completed, ([\d,]+) open\), ([\d,]+) events · computed [^<]*?( for these filters)?\.<\/p>/.exec(html);
  expect(line, `${path}: the sample line`).not.toBeNull();
  const figure = (index: number) => Number(line![index]!.replace(/,/g, ""));
  return { items: figure(1), completed: figure(2), open: figure(3), events: figure(4), filtered: line![5] !== undefined };
}

/** A figure each analytics page draws from its output, written as the page writes it. */
function figureOf(name: AnalyticsPage, output: ScanOutput): string {
  switch (name) {
    case "process-map":
      return ` of ${number(output.processMap.steps.length)} steps.`;
    case "flow":
      return `${number(output.cycleTime.cycleMs.count)} items with a cycle time`;
    case "bottlenecks": {
      const top = [...findingsByKey(output.bottlenecks).values()][0];
      return top ? `${top.itemDays.toFixed(1)} item-days` : "No waiting to rank yet";
    }
    case "variants":
      return `${number(output.variants.total)} different paths`;
    case "forecast": {
      const open = output.forecast.whenOpenDone?.items;
      return open === undefined ? "When will the open items be done?" : `When will ${number(open)} items be done?`;
    }
    case "assistant":
      // These apps have no Anthropic key: the page says so whatever the output (test/web/assistant.test.ts asks it questions).
      return "The assistant is not configured";
  }
}

describe("the pages of an organization that has just signed up", () => {
  it("renders each organization page, and says what to do first", async () => {
    const pages = new Map<string, string>();
    for (const path of ORGANIZATION_PAGES) {
      const page = await newcomer.get(path);
      expectRendered(page, path);
      pages.set(path, decode(mainOf(page.body)));
    }
    expect(pages.get("/overview"), "the overview points to connecting a tool").toMatch(/<a href="\/connections">[^<]*<\/a>/);
    expect(pages.get("/overview"), "the overview offers demo data").toMatch(/demo data/i);
    expect(pages.get("/connections")).toContain("No tools connected yet");
    expect(pages.get("/connections")).toMatch(/<button type="submit">Add demo data<\/button>/);
    expect(pages.get("/connections")).toContain('<a href="/connections/import">Import an event log</a>');
    expect(pages.get("/data")).toContain("No event data: no tool is connected and no log imported.");
    expect(pages.get("/security")).toContain("No tool is connected, so TwinFlow holds no credentials and reads nothing.");
    expect(pages.get("/members")).toContain("Create invitation link");
  });

  it("answers not found, on a page of the layout, for every page of a connection it does not have", async () => {
    const unknown = randomUUID();
    const paths = [...connectionPages(unknown), ...analyticsPaths(unknown), `/connections/${unknown}/bottlenecks/ticket?finding=Backlog`, ...exportPaths(unknown)];
    for (const path of paths) {
      const page = await newcomer.get(path);
      expect(page.status, `GET ${path}`).toBe(404);
      expectLandmarks(page, path);
      expect(page.body, `GET ${path}`).toContain("There is no connection with that id.");
    }
  });
});

describe.each(KINDS)("the pages of an organization with %s", (kind) => {
  const tenant = () => tenants.get(kind)!;

  it("renders each organization page with the connection on it", async () => {
    const { browser, connectionId, label } = tenant();
    for (const path of ORGANIZATION_PAGES) {
      const page = await browser.get(path);
      expectRendered(page, path);
      if (path !== "/connections/import" && path !== "/members" && path !== "/account") expect(page.body, `${path} names the connection`).toContain(label);
    }
    const overview = await browser.get("/overview");
    expect(overview.body).not.toContain("No tools connected yet");
    const output = (await storedOutput(connectionId))!;
    expect(overview.body, "the overview's figures come from the stored output").toContain(`From ${number(output.sample.items)} items, ${number(output.sample.completed)} of them completed.`);
    expect((await browser.get("/data")).body).toContain(`href="/connections/${connectionId}/export.csv"`);
  });

  it("renders the connection's page, its settings, the ticket form of a finding, and its exports", async () => {
    const { browser, connectionId, label } = tenant();
    const output = (await storedOutput(connectionId))!;
    for (const path of connectionPages(connectionId)) {
      const page = await browser.get(path);
      expectRendered(page, path);
      expect(decode(page.body), `${path} names the connection`).toContain(label);
    }
    const connection = await browser.get(`/connections/${connectionId}`);
    expect(connection.body).toMatch(new RegExp(`<span class="value">${number(output.sample.items)}</span><span class="label">work items</span>`));
    const settings = await browser.get(`/connections/${connectionId}/settings`);
    for (const step of output.steps.slice(0, 3)) expect(decode(settings.body), `the settings list step ${step.step}`).toContain(step.step);

    const [finding] = findingsByKey(output.bottlenecks).values();
    expect(finding, "the output has a bottleneck finding").toBeDefined();
    const ticketPath = `/connections/${connectionId}/bottlenecks/ticket?finding=${encodeURIComponent(findingKey(finding!))}`;
    const ticket = await browser.get(ticketPath);
    expectRendered(ticket, ticketPath);
    expect(decode(ticket.body)).toContain(`${finding!.itemDays.toFixed(1)} item-days`);
    // This organization has no Jira: the form says how to get one instead of offering projects.
    expect(ticket.body).toContain("No Jira connection can take a ticket.");

    const csv = await browser.get(`/connections/${connectionId}/export.csv`);
    expect(csv.status, "export.csv").toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    const [header, ...rows] = csv.body.trim().split("\r\n");
    expect(header).toBe("case_id,activity,timestamp,resource");
    const cases = new Set(rows.map((row) => row.split(",")[0])).size;
    expect(cases, "the CSV holds the connection's items").toBeGreaterThan(0);
    expect(cases).toBeLessThanOrEqual(output.sample.items);
    const xes = await browser.get(`/connections/${connectionId}/export.xes`);
    expect(xes.status, "export.xes").toBe(200);
    expect(xes.headers.get("content-type")).toMatch(/^application\/xml/);
    // Both formats hold the same log: a trace a case, an event a row.
    expect(count(xes.body, /<trace>/g), "XES traces against CSV cases").toBe(cases);
    expect(count(xes.body, /<event>/g), "XES events against CSV rows").toBe(rows.length);
  });

  it("renders every analytics page from the stored output, and from a filtered output with the filter kept", async () => {
    const { browser, connectionId, filter } = tenant();
    const stored = (await storedOutput(connectionId))!;
    const filtered = await filteredOutput(tenant());
    expect(filtered.sample.items, "the filter leaves fewer items").toBeLessThan(stored.sample.items);
    expect(filtered.sample.items, "the filter leaves some items").toBeGreaterThan(0);
    const query = `?${new URLSearchParams(filter)}`;
    for (const name of ANALYTICS_PAGES) {
      const path = `/connections/${connectionId}/${name}`;
      const whole = await browser.get(path);
      expectRendered(whole, path);
      expect(sampleOf(whole.body, path), `${path} counts the stored output`).toEqual({ ...pick(stored.sample), filtered: false });
      expect(decode(whole.body), `${path} draws the stored output`).toContain(figureOf(name, stored));

      const narrowed = await browser.get(`${path}${query}`);
      expectRendered(narrowed, `${path}${query}`);
      expect(sampleOf(narrowed.body, `${path}${query}`), `${path}${query} counts the filtered output`).toEqual({ ...pick(filtered.sample), filtered: true });
      expect(decode(narrowed.body), `${path}${query} draws the filtered output`).toContain(figureOf(name, filtered));
      const html = decode(narrowed.body);
      for (const [field, value] of Object.entries(filter)) {
        expect(html, `${path}${query} shows the filter in its form`).toMatch(new RegExp(`name="${field}" value="${value}"`));
      }
      for (const tab of ANALYTICS_PAGES) expect(html, `${path}${query}: the ${tab} tab keeps the filter`).toContain(`href="/connections/${connectionId}/${tab}${query}"`);
    }
  });
});

function pick(sample: ScanOutput["sample"]) {
  return { items: sample.items, completed: sample.completed, open: sample.open, events: sample.events };
}

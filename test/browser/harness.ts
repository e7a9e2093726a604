import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { chromium, type Browser } from "playwright-core";
import { startFakeAnthropic, type FakeAnthropic } from "../fakes/anthropic.js";
import { AtlassianTokens, startFakeAtlassian, type FakeAtlassian, type FakeSite } from "../fakes/atlassian-auth.js";
import { startFakeJira, type FakeJira } from "../fakes/jira.js";
import { atlassianEnv, OAUTH_CLIENT } from "../support/atlassian.js";
import { createTestDatabase } from "../support/database.js";
import { startTestWeb } from "../support/web.js";
import { startTestWorkers } from "../support/workers.js";
import { ConsoleWatch } from "./console-watch.js";
import { ScreenshotAlbum } from "./screenshots.js";
import { Tour } from "./tour.js";

/** Debian's Chromium, installed by ops/ensure-tools.sh. */
const CHROMIUM = "/usr/bin/chromium";
/** Long enough for a page under a loaded test run, short enough to fail before the test's own timeout. */
const ACTION_TIMEOUT_MS = 10_000;

/** The Jira sites the fake Atlassian account reaches: two, so connecting Jira shows the site choice. */
export const JIRA_SITES: readonly Omit<FakeSite, "jiraUrl">[] = [
  { cloudId: "11111111-2222-3333-4444-555555555555", name: "Acme", url: "https://acme.atlassian.net" },
  { cloudId: "99999999-8888-7777-6666-555555555555", name: "Acme Labs", url: "https://acme-labs.atlassian.net" },
];

export interface TourOptions {
  /** False for a browser with script turned off: the pages must work without it. */
  javaScriptEnabled?: boolean;
}

/** What a user of the app has: the web app, its workers, its database, a Jira to connect, Claude, and a real browser. */
export interface BrowserHarness {
  /** A fresh browser profile (no cookies) in one tab, its screenshots under `testName`. */
  tour(testName: string, options?: TourOptions): Promise<Tour>;
  /** The Jira Cloud behind every site of the fake Atlassian account, with the requests it received. */
  jira: FakeJira;
  /** The Messages API the assistant asks, with the requests it received; its replies can be scripted. */
  anthropic: FakeAnthropic;
  close(): Promise<void>;
}

export async function startBrowserHarness(): Promise<BrowserHarness> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: run ops/ensure-tools.sh`);
  // Chromium refuses to run its sandbox as root; it opens only this app's own pages and the fake Atlassian's redirects.
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: process.getuid?.() === 0 ? ["--no-sandbox"] : [] });
  const db = await createTestDatabase();
  const tokens = new AtlassianTokens();
  // An empty Jira: connecting it scans in a moment, and tickets created in it are recorded.
  const jira = await startFakeJira({ auth: { tokens }, issues: [], changelogs: new Map(), statuses: [] });
  const atlassian: FakeAtlassian = await startFakeAtlassian({ tokens, ...OAUTH_CLIENT, sites: JIRA_SITES.map((site) => ({ ...site, jiraUrl: jira.url })) });
  const anthropicKey = `sk-ant-test-${randomUUID()}`;
  const anthropic = await startFakeAnthropic({ apiKey: anthropicKey });
  // The app's cookies are Secure; browsers accept them over plain HTTP from localhost, a
  // secure context, so the browser opens the app there, as a developer would. Atlassian
  // sends the browser back to the app's public address, so the app must know it before it
  // starts: the browser goes through a door whose port is known first, as through nginx.
  const door = await openDoor();
  const publicUrl = `http://localhost:${door.port}`;
  const web = await startTestWeb(db, { ...atlassianEnv(atlassian), ANTHROPIC_API_KEY: anthropicKey, ANTHROPIC_BASE_URL: anthropic.url, PUBLIC_URL: publicUrl });
  door.forwardTo(Number(new URL(web.url).port));
  const workers = startTestWorkers(web, db);
  return {
    jira,
    anthropic,
    async tour(testName, { javaScriptEnabled = true } = {}) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US", javaScriptEnabled });
      context.setDefaultTimeout(ACTION_TIMEOUT_MS);
      const page = await context.newPage();
      return new Tour(page, publicUrl, await ScreenshotAlbum.create(testName), new ConsoleWatch(page), javaScriptEnabled);
    },
    async close() {
      await browser.close();
      await workers.close();
      await door.close();
      await web.close();
      await Promise.all([jira.close(), atlassian.close(), anthropic.close()]);
      await db.drop();
    },
  };
}

interface Door {
  port: number;
  forwardTo(port: number): void;
  close(): Promise<void>;
}

/** A loopback port that passes every connection through to another port, chosen later. */
async function openDoor(): Promise<Door> {
  let target: number | null = null;
  const sockets = new Set<Socket>();
  const keep = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    // A browser tab closed mid-request resets its socket; the other side is closed with it.
    socket.on("error", () => socket.destroy());
  };
  const server = createServer((incoming) => {
    keep(incoming);
    if (target === null) return incoming.destroy();
    const outgoing = connect(target, "127.0.0.1");
    keep(outgoing);
    incoming.on("close", () => outgoing.destroy());
    outgoing.on("close", () => incoming.destroy());
    incoming.pipe(outgoing).pipe(incoming);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    forwardTo(port) {
      target = port;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

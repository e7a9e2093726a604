import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
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

/** What a user of the app has: the web app, its workers, its database, and a real browser. */
export interface BrowserHarness {
  /** A fresh browser profile (no cookies) in one tab, its screenshots under `testName`. */
  tour(testName: string): Promise<Tour>;
  close(): Promise<void>;
}

export async function startBrowserHarness(): Promise<BrowserHarness> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: run ops/ensure-tools.sh`);
  // Chromium refuses to run its sandbox as root; it opens only this app's own pages.
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: process.getuid?.() === 0 ? ["--no-sandbox"] : [] });
  const db = await createTestDatabase();
  const web = await startTestWeb(db);
  const workers = startTestWorkers(web, db);
  // The app's cookies are Secure; browsers accept them over plain HTTP from localhost, a
  // secure context, so the browser opens the app there, as a developer would.
  const baseUrl = web.url.replace("//127.0.0.1:", "//localhost:");
  return {
    async tour(testName) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US" });
      context.setDefaultTimeout(ACTION_TIMEOUT_MS);
      const page = await context.newPage();
      return new Tour(page, baseUrl, await ScreenshotAlbum.create(testName), new ConsoleWatch(page));
    },
    async close() {
      await browser.close();
      await workers.close();
      await web.close();
      await db.drop();
    },
  };
}

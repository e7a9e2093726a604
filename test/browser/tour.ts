import type { Page } from "playwright-core";
import { expect } from "vitest";
import { seriousAccessibilityViolations } from "./axe.js";
import type { ConsoleWatch } from "./console-watch.js";
import type { ScreenshotAlbum } from "./screenshots.js";

/**
 * One person's way through the app in one browser tab. Every page seen is checked the same
 * way, so adding a page to a test is one line: `await tour.visit("/path", "name")`.
 */
export class Tour {
  constructor(
    readonly page: Page,
    private readonly baseUrl: string,
    private readonly album: ScreenshotAlbum,
    private readonly console: ConsoleWatch,
    /** False in a browser with script turned off; see check(). */
    private readonly scriptEnabled = true,
  ) {}

  /** The address of `path` in this app, as a user's browser reaches it. */
  url(path: string): string {
    return new URL(path, this.baseUrl).href;
  }

  /** Opens `path` as if typed into the address bar, expects `status`, then checks the page. */
  async visit(path: string, name: string, status = 200): Promise<void> {
    const response = await this.page.goto(this.url(path));
    expect(response?.status(), `GET ${path}`).toBe(status);
    await this.check(name);
  }

  /**
   * Checks the page as it is now: screenshots first (so a failing page is on record), then
   * no serious or critical axe violation and nothing wrong reported to the console since
   * the last check — including on the way here, such as a form's redirect.
   * With script off, axe cannot run (it waits on timers and MutationObserver callbacks, which
   * such a page never delivers); the app's pages have no <noscript> content, so their markup
   * is the same one axe checks in the tours with script on.
   */
  async check(name: string): Promise<void> {
    await this.album.take(this.page, name);
    const violations = this.scriptEnabled ? await seriousAccessibilityViolations(this.page) : [];
    const problems = [...violations, ...this.console.take()];
    if (problems.length > 0) throw new Error(`${name} (${this.page.url()}):\n${problems.join("\n")}`);
  }
}

import type { Page } from "playwright-core";

/**
 * Collects what a page reports as wrong: console errors and uncaught exceptions. Chromium
 * reports a Content-Security-Policy violation (an inline script or style, a foreign
 * resource) and a failed sub-resource as console errors, so both show up here.
 */
export class ConsoleWatch {
  private problems: string[] = [];

  constructor(page: Page) {
    page.on("console", (message) => {
      if (message.type() !== "error") return;
      // Chromium also logs the page's own error status (a 404 page); whoever opened it checks that.
      const aboutThisPage = message.location().url === page.url() && message.text().startsWith("Failed to load resource");
      if (!aboutThisPage) this.problems.push(`console error: ${message.text()} (${message.location().url})`);
    });
    page.on("pageerror", (error) => this.problems.push(`uncaught exception: ${error.message}`));
  }

  /** The problems reported since the last call. */
  take(): string[] {
    return this.problems.splice(0);
  }
}

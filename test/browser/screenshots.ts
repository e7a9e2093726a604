import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "playwright-core";

/** Kept after the run (and ignored by git) so a reviewer can look at every page visited. */
export const SCREENSHOTS_DIR = fileURLToPath(new URL("../../test-results/screenshots/", import.meta.url));

/** A common phone's CSS width: the layout must still work there. */
const PHONE = { width: 390, height: 844 };

/** One test's screenshots, numbered in the order the pages were seen: `01-sign-up.png`, `01-sign-up-phone.png`, … */
export class ScreenshotAlbum {
  private taken = 0;

  private constructor(readonly dir: string) {}

  /** An empty folder for `testName`: screenshots of an earlier run never mix with this one's. */
  static async create(testName: string): Promise<ScreenshotAlbum> {
    const dir = join(SCREENSHOTS_DIR, slug(testName));
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    return new ScreenshotAlbum(dir);
  }

  /** The whole page at the browser's width, then at a phone's width. */
  async take(page: Page, pageName: string): Promise<void> {
    const name = `${String(++this.taken).padStart(2, "0")}-${slug(pageName)}`;
    await page.screenshot({ path: join(this.dir, `${name}.png`), fullPage: true });
    const viewport = page.viewportSize();
    await page.setViewportSize(PHONE);
    try {
      await page.screenshot({ path: join(this.dir, `${name}-phone.png`), fullPage: true });
    } finally {
      if (viewport) await page.setViewportSize(viewport);
    }
  }
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBrowserHarness, type BrowserHarness } from "./harness.js";
import { signInWithTheForm, signOut, signUpWithTheForm } from "./sign-in-steps.js";

/** A demo scan takes a few seconds; the connection page refreshes itself every 3 s meanwhile. */
const SCAN_TIMEOUT_MS = 30_000;

let harness: BrowserHarness;

beforeAll(async () => {
  harness = await startBrowserHarness();
});

afterAll(async () => {
  await harness?.close();
});

describe("a new owner's first visit, in a real browser", () => {
  it("signs up, adds demo data, reads the overview and process map, signs out and in, and disconnects", { timeout: 60_000 }, async () => {
    const tour = await harness.tour("journey");
    const { page } = tour;
    const email = "journey-owner@example.com";
    await signUpWithTheForm(tour, { organization: "Journey Co", email });
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Journey Co");
    await tour.check("overview-empty");

    await tour.visit("/connections", "connections");
    await page.getByRole("button", { name: "Add demo data" }).click();
    await page.waitForURL(/\/connections\/[0-9a-f-]{36}$/);
    const connectionPath = new URL(page.url()).pathname;
    // The page reloads itself until the scan is over; the locator follows each reload.
    await page.getByRole("cell", { name: "succeeded", exact: true }).waitFor({ timeout: SCAN_TIMEOUT_MS });
    await tour.check("connection-scanned");

    await page.getByRole("link", { name: "Overview", exact: true }).click();
    await page.waitForURL("**/overview");
    await expect(page.getByText("No tools connected yet").count()).resolves.toBe(0);
    await expect(statValue(page, "work items")).resolves.toMatch(/^[1-9][\d,]*$/);
    await tour.check("overview");

    await page.goto(tour.url(connectionPath));
    await page.getByRole("link", { name: "Process map", exact: true }).click();
    await page.waitForURL(/\/process-map(\?|$)/);
    const defaultSteps = await mapStepCount(page);
    await tour.check("process-map");
    await page.getByLabel("Steps shown").selectOption("6");
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL(/[?&]steps=6(&|$)/);
    const fewerSteps = await mapStepCount(page);
    expect(fewerSteps).toBeLessThanOrEqual(6);
    expect(fewerSteps).toBeLessThan(defaultSteps);
    await tour.check("process-map-6-steps");

    await signOut(tour);
    await tour.check("signed-out");
    await signInWithTheForm(tour, email);
    await page.waitForURL("**/overview");
    await tour.check("signed-in-again");

    await tour.visit(connectionPath, "connection");
    await page.getByLabel("also delete its event data").check();
    await page.getByRole("button", { name: "Disconnect" }).click();
    await page.getByText("This connection is disconnected").waitFor();
    // Its analysis went with its data: the page has no counts left to show.
    await expect(statValue(page, "not analysed yet")).resolves.toBe("—");
    await tour.check("disconnected");
    await tour.visit(`${connectionPath}/process-map`, "process-map-gone", 404);
  });
});

/** The figure shown above `label` in one of the page's stat boxes. */
async function statValue(page: Page, label: string): Promise<string | null> {
  return page.locator(".stat", { has: page.locator(".label", { hasText: new RegExp(`^${label}$`) }) }).locator(".value").first().textContent();
}

/** How many steps (boxes) the process map draws. */
async function mapStepCount(page: Page): Promise<number> {
  return page.locator("figure svg g.node").count();
}

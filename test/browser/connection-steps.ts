import type { Locator } from "playwright-core";
import type { Tour } from "./tour.js";

/** A demo scan takes a few seconds; the connection page refreshes itself every 3 s meanwhile. */
export const SCAN_TIMEOUT_MS = 30_000;

/**
 * Adds the demo data with the button on the Connections page (checking that page) and waits
 * until its scan and analysis are over (checking the connection's page then). Returns the
 * connection's path, `/connections/<id>`.
 */
export async function addDemoData(tour: Tour): Promise<string> {
  const { page } = tour;
  await tour.visit("/connections", "connections");
  await page.getByRole("button", { name: "Add demo data" }).click();
  await page.waitForURL(/\/connections\/[0-9a-f-]{36}$/);
  const connectionPath = new URL(page.url()).pathname;
  // The page reloads itself until the scan is over; the locator follows each reload.
  await page.getByRole("cell", { name: "succeeded", exact: true }).waitFor({ timeout: SCAN_TIMEOUT_MS });
  await tour.check("connection-scanned");
  return connectionPath;
}

/** The step a finding on the Bottlenecks page is about: its heading without the wait class after it. */
export async function findingStep(finding: Locator): Promise<string> {
  const heading = await finding.getByRole("heading", { level: 3 }).textContent();
  return (heading ?? "").replace(/\s*\([^)]*\)\s*$/, "").trim();
}

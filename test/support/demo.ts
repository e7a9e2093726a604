import type { ScanOutput } from "../../app/src/analysis/scan-output.js";
import { startTestApp, type TestApp } from "./app.js";
import type { TestDatabase } from "./database.js";
import { signUp, untilScansSettle, type Browser } from "./web.js";

/**
 * Adds demo data through the connections form and waits until its first scan has finished
 * and the analytics step after it has stored the output (test workers must be running).
 * Returns the connection's id.
 */
export async function connectAnalysedDemo(browser: Browser, db: TestDatabase, label = "Demo board"): Promise<string> {
  await browser.get("/connections");
  const created = await browser.post("/connections", { provider: "demo", label });
  await untilScansSettle(browser, created.location!);
  const connectionId = created.location!.split("/").pop()!;
  for (let tries = 0; tries < 200; tries += 1) {
    const stored = await db.owner.query("SELECT 1 FROM scan_outputs WHERE connection_id = $1", [connectionId]);
    if (stored.rowCount) return connectionId;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the demo connection's scan output was not stored");
}

/** A running app with one owner who has added analysed demo data. */
export interface DemoApp extends TestApp {
  owner: Browser;
  connectionId: string;
}

/** Starts the app (with settings `overrides`), signs an owner up as `name@example.com` (lower case) in the organization "`name` Co", and adds demo data. */
export async function startDemoApp(name: string, overrides: Record<string, string> = {}): Promise<DemoApp> {
  const app = await startTestApp(overrides);
  const owner = await signUp(app.web, { email: `${name.toLowerCase()}@example.com`, tenantName: `${name} Co` });
  return { ...app, owner, connectionId: await connectAnalysedDemo(owner, app.db) };
}

/** A connection's scan output as the API gives it; `query` names a project or filters ("?type=Bug"). */
export async function scanOutputOf(browser: Browser, connectionId: string, query = ""): Promise<ScanOutput> {
  const response = await browser.get(`/api/v1/connections/${connectionId}/scan-output${query}`, { accept: "application/json" });
  if (response.status !== 200) throw new Error(`the scan output of ${connectionId}${query} answered ${response.status}: ${response.body.slice(0, 300)}`);
  return (JSON.parse(response.body) as { output: ScanOutput }).output;
}

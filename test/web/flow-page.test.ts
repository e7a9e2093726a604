/**
 * The flow page: cycle time, throughput, cumulative flow and aging charts drawn from the
 * view's output, for the stored output and for filters in the address, each chart with the
 * numbers the scan output API gives for the same view.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScanOutput } from "../../app/src/analysis/scan-output.js";
import { duration } from "../../app/src/web/overview-figures.js";
import type { TestDatabase } from "../support/database.js";
import { scanOutputOf, startDemoApp, type DemoApp } from "../support/demo.js";
import { Browser, signUp, type TestWeb } from "../support/web.js";

let app: DemoApp;
let db: TestDatabase;
let web: TestWeb;
let owner: Browser;
let connectionId: string;

beforeAll(async () => {
  app = await startDemoApp("Flow");
  ({ db, web, owner, connectionId } = app);
});

afterAll(async () => {
  await app.close();
});

const flowPath = (query = "") => `/connections/${connectionId}/flow${query}`;

const outputOf = (query = ""): Promise<ScanOutput> => scanOutputOf(owner, connectionId, query);

const number = (value: number) => value.toLocaleString("en-US");
/** The sample sentence of the analytics header, as the page writes it. */
const sampleLine = ({ sample }: ScanOutput) => `${number(sample.items)} items (${number(sample.completed)} completed, ${number(sample.open)} open), ${number(sample.events)} events`;
const svgTitles = (html: string) => [...html.matchAll(/<svg [^>]*role="img"[^>]*><title id="[^"]+">([^<]+)<\/title>/g)].map(([, title]) => title);

/** The figures a reader takes from each chart, which must be the output's. */
function expectFiguresOf(html: string, output: ScanOutput): void {
  expect(html).toContain(sampleLine(output));
  const { cycleMs } = output.cycleTime;
  for (const p of [50, 70, 85, 95] as const) expect(html).toContain(`>${p} % within ${duration(cycleMs[`p${p}`]!)}</text>`);
  expect(html).toContain(`of the ${number(cycleMs.count)} items with a cycle time finished within`);
  if (output.sample.completed > cycleMs.count) expect(html).toContain(`The other ${number(output.sample.completed - cycleMs.count)} completed items never entered a step of active work`);
  const completed = output.flow.throughput.reduce((sum, count) => sum + count, 0);
  expect(html).toContain(`over the last ${output.flow.days} days: ${number(completed)} in all`);
  const open = output.agingWip.reduce((sum, step) => sum + step.items, 0);
  expect(html).toContain(`<desc id="aging-wip-chart-desc">${number(open)} open items in ${output.agingWip.length} steps;`);
}

describe("the flow page", () => {
  it("draws the stored output's cycle times, throughput, cumulative flow and aging work, each with its title and numbers", async () => {
    const output = await outputOf();
    const page = await owner.get(flowPath());
    expect(page.status).toBe(200);
    expect(page.body).toContain("<h1>Flow — Demo board</h1>");
    expect(page.body).toContain(`<a href="/connections/${connectionId}/flow" aria-current="page">Flow</a>`);
    expect(svgTitles(page.body)).toEqual([
      "Cycle time of each completed item",
      "How long completed items took",
      "Items completed each day",
      "Cumulative flow: items in each step",
      "Age of open items in their current step",
    ]);
    expect(page.body.match(/<figure class="card chart-card">\s*<figcaption>/g)).toHaveLength(5);
    expectFiguresOf(page.body, output);
    // Each step of the cumulative flow is in its table with the last day's count.
    for (const band of output.flow.cumulativeFlow) expect(page.body).toMatch(new RegExp(`<tr><td>${band.step}</td><td>[a-z ]+</td><td>[\\d,]+</td><td>${number(band.counts.at(-1)!)}</td></tr>`));
    // The CSP allows no inline style or script: the charts use classes.
    expect(page.body).not.toMatch(/ style=|<script/);
    expect(page.body).not.toContain("Only ");
  });

  it("follows the filters in the address, with the numbers the API gives for the same filters", async () => {
    const { rows } = await db.owner.query<{ item_type: string }>("SELECT item_type FROM work_items WHERE connection_id = $1 GROUP BY 1 ORDER BY count(*) LIMIT 1", [connectionId]);
    const type = encodeURIComponent(rows[0]!.item_type);
    const all = await outputOf();
    const byType = await outputOf(`?type=${type}`);
    expect(byType.sample.items).toBeLessThan(all.sample.items);
    const page = await owner.get(flowPath(`?type=${type}`));
    expect(page.status).toBe(200);
    expect(page.body).not.toContain(sampleLine(all));
    expectFiguresOf(page.body, byType);

    const from = new Date(all.window.to - 30 * 86_400_000).toISOString().slice(0, 10);
    const recent = await outputOf(`?from=${from}`);
    const recentPage = await owner.get(flowPath(`?from=${from}`));
    expect(recent.sample.items).toBeLessThan(all.sample.items);
    expectFiguresOf(recentPage.body, recent);
  });

  it("says in words when nothing matches, instead of drawing empty charts", async () => {
    const page = await owner.get(flowPath("?type=Nonexistent"));
    expect(page.status).toBe(200);
    expect(page.body).toContain("0 items (0 completed, 0 open)");
    expect(page.body).not.toContain("<svg");
    expect(page.body).toContain("Only 0 completed items: too few for percentiles to mean much.");
    expect(page.body).toContain("No item in this window has been both started and completed yet.");
    expect(page.body).toContain("No item was completed in the 90 days shown.");
    expect(page.body).toContain("No item is in progress right now.");
  });

  it("refuses a filter it cannot read, saying what to fix", async () => {
    const badDate = await owner.get(flowPath("?from=2026-02-30"));
    expect(badDate.status).toBe(400);
    expect(badDate.body).toContain("&quot;from&quot; must be a date (2026-03-01) or a time with its offset");
    const misspelt = await owner.get(flowPath("?typ=Bug"));
    expect(misspelt.status).toBe(400);
    expect(misspelt.body).toContain("There is no filter &quot;typ&quot;");
  });

  it("writes step names a source sent as text, never as markup", async () => {
    const hostile = '<script>alert("flow")</script> & "quotes"';
    const stored = await db.owner.query<{ id: string; output: ScanOutput }>("SELECT id, output FROM scan_outputs WHERE connection_id = $1 AND scope NOT LIKE '%/container:%' ORDER BY computed_at DESC LIMIT 1", [
      connectionId,
    ]);
    const output = stored.rows[0]!.output;
    const original = output.agingWip[0]!.step;
    const renamed = JSON.parse(JSON.stringify(output).split(JSON.stringify(original)).join(JSON.stringify(hostile))) as ScanOutput;
    await db.owner.query("UPDATE scan_outputs SET output = $2 WHERE id = $1", [stored.rows[0]!.id, JSON.stringify(renamed)]);
    try {
      const page = await owner.get(flowPath());
      expect(page.status).toBe(200);
      expect(page.body).not.toContain("<script>alert");
      expect(page.body).toContain("&lt;script&gt;alert(");
    } finally {
      await db.owner.query("UPDATE scan_outputs SET output = $2 WHERE id = $1", [stored.rows[0]!.id, JSON.stringify(output)]);
    }
  });

  it("is not another tenant's to see, and sends a signed-out visitor to sign in", async () => {
    const neighbour = await signUp(web, { email: "flow-neighbour@example.com", tenantName: "Neighbour Co" });
    for (const query of ["", "?type=bug"]) expect((await neighbour.get(flowPath(query))).status).toBe(404);
    const anonymous = await new Browser(web.url).get(flowPath());
    expect(anonymous.status).toBe(302);
    expect(anonymous.location).toBe("/sign-in");
  });
});

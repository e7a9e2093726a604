/**
 * The scan output over the JSON API and on the pages. The API gives the stored output of a
 * connection or of one of its projects, and outputs for ad-hoc filters (a window, types,
 * priorities, labels), each checked against what the database holds; bad filters get a
 * message that says what to fix. The overview and the process map draw from the stored output.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScanOutput } from "../../app/src/analysis/scan-output.js";
import { duration } from "../../app/src/web/overview-figures.js";
import type { TestDatabase } from "../support/database.js";
import { startDemoApp, type DemoApp } from "../support/demo.js";
import { signUp, type Browser, type TestWeb } from "../support/web.js";

let app: DemoApp;
let db: TestDatabase;
let web: TestWeb;
let owner: Browser;
let connectionId: string;

beforeAll(async () => {
  app = await startDemoApp("Outputs");
  ({ db, web, owner, connectionId } = app);
});

afterAll(async () => {
  await app.close();
});

interface OutputResponse {
  connectionId: string;
  container: string | null;
  filters: Record<string, unknown> | null;
  scanId: string | null;
  computedAt: string;
  output: ScanOutput;
}

async function outputOf(browser: Browser, query = "", id = connectionId): Promise<{ status: number; body: OutputResponse }> {
  const page = await browser.get(`/api/v1/connections/${id}/scan-output${query}`, { accept: "application/json" });
  return { status: page.status, body: JSON.parse(page.body) as OutputResponse };
}

const count = async (where: string, values: unknown[] = []) =>
  (await db.owner.query<{ n: number }>(`SELECT count(*)::int AS n FROM work_items WHERE connection_id = $1 AND ${where}`, [connectionId, ...values])).rows[0]!.n;

describe("the scan output API", () => {
  it("gives the connection's stored output, made by its latest scan", async () => {
    const { status, body } = await outputOf(owner);
    expect(status).toBe(200);
    // The connection was scanned once, when it was added.
    const scans = await db.owner.query<{ id: string }>("SELECT id FROM scans WHERE connection_id = $1 AND status = 'succeeded'", [connectionId]);
    expect(scans.rows).toHaveLength(1);
    expect(body).toMatchObject({ connectionId, container: null, filters: null, scanId: scans.rows[0]!.id });
    expect(body.output.sample.items).toBe(await count("true"));
  });

  it("gives a project's stored output, and says when the connection has no such project", async () => {
    const engineering = await outputOf(owner, "?container=ENG");
    expect(engineering.status).toBe(200);
    expect(engineering.body.container).toBe("ENG");
    expect(engineering.body.output.sample.items).toBe(await count("container = 'ENG'"));
    const missing = await owner.get(`/api/v1/connections/${connectionId}/scan-output?container=NOPE`, { accept: "application/json" });
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).error.message).toContain('no project, repository or queue named "NOPE"');
  });

  it("computes an output for types, priorities and labels, counting exactly the items that match", async () => {
    const { rows } = await db.owner.query<{ item_type: string; priority: string }>(
      "SELECT item_type, priority FROM work_items WHERE connection_id = $1 AND priority IS NOT NULL GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1",
      [connectionId],
    );
    const { item_type: type, priority } = rows[0]!;
    const byType = await outputOf(owner, `?type=${encodeURIComponent(type)}`);
    expect(byType.status).toBe(200);
    expect(byType.body).toMatchObject({ filters: { types: [type] }, scanId: null });
    expect(byType.body.output.sample.items).toBe(await count("item_type = $2", [type]));
    expect(byType.body.output.dataQuality.itemsFilteredOut).toBe((await count("true")) - byType.body.output.sample.items);

    const both = await outputOf(owner, `?type=${encodeURIComponent(type)}&priority=${encodeURIComponent(priority)}&priority=Nonexistent`);
    expect(both.body.output.sample.items).toBe(await count("item_type = $2 AND priority = ANY($3)", [type, [priority, "Nonexistent"]]));

    const labelled = await db.owner.query<{ label: string }>("SELECT unnest(labels) AS label FROM work_items WHERE connection_id = $1 LIMIT 1", [connectionId]);
    if (labelled.rows[0]) {
      const { label } = labelled.rows[0];
      const byLabel = await outputOf(owner, `?label=${encodeURIComponent(label)}&container=ENG`);
      expect(byLabel.body.output.sample.items).toBe(await count("$2 = ANY(labels) AND container = 'ENG'", [label]));
    }
  });

  it("computes an output for a window: dates cover whole days in UTC, times keep their offset", async () => {
    const days = await outputOf(owner, "?from=2026-09-10&to=2026-09-30");
    expect(days.status).toBe(200);
    expect(days.body.output.window).toEqual({ from: Date.parse("2026-09-10T00:00:00Z"), to: Date.parse("2026-10-01T00:00:00Z") - 1 });
    for (const week of days.body.output.counts.weeks) expect(week.weekStart).toBeLessThanOrEqual(days.body.output.window.to);
    expect(days.body.output.sample.items).toBeLessThan((await outputOf(owner)).body.output.sample.items);
    const times = await outputOf(owner, `?from=${encodeURIComponent("2026-09-10T09:00:00+02:00")}`);
    expect(times.body.output.window.from).toBe(Date.parse("2026-09-10T07:00:00Z"));
  });

  it("refuses filters it cannot read, saying what to fix", async () => {
    const refused = async (query: string) => {
      const response = await owner.get(`/api/v1/connections/${connectionId}/scan-output${query}`, { accept: "application/json" });
      expect(response.status, query).toBe(400);
      const { error } = JSON.parse(response.body) as { error: { code: string; message: string } };
      expect(error.code).toBe("invalid_filter");
      return error.message;
    };
    expect(await refused("?typ=Bug")).toContain('There is no filter "typ"');
    expect(await refused("?from=2026-02-30")).toContain('"from" must be a date (2026-03-01) or a time with its offset');
    expect(await refused("?from=2026-03-01T09:00")).toContain("with its offset");
    expect(await refused("?from=2026-03-05&to=2026-03-01")).toContain('"from" (2026-03-05) is after "to" (2026-03-01)');
    expect(await refused("?type=")).toContain('A "type" is empty');
    expect(await refused("?container=ENG&container=SUP")).toContain('Give "container" once');
    expect(await refused(`?${Array.from({ length: 51 }, (_, n) => `label=l${n}`).join("&")}`)).toContain('At most 50 values of "label"');
  });

  it("has no output before the first scan, and none of another tenant's", async () => {
    const quiet = await db.owner.query<{ id: string }>("INSERT INTO connections (tenant_id, provider, label) SELECT tenant_id, 'demo', 'not scanned' FROM connections WHERE id = $1 RETURNING id", [
      connectionId,
    ]);
    const none = await owner.get(`/api/v1/connections/${quiet.rows[0]!.id}/scan-output`, { accept: "application/json" });
    expect(none.status).toBe(404);
    expect(JSON.parse(none.body).error.message).toContain("no scan output yet");

    const neighbour = await signUp(web, { email: "neighbour@example.com", tenantName: "Neighbour Co" });
    for (const query of ["", "?type=Bug"]) expect((await neighbour.get(`/api/v1/connections/${connectionId}/scan-output${query}`, { accept: "application/json" })).status).toBe(404);
  });

  it("carries aggregates only: no item's key, title or person's name", async () => {
    const body = (await owner.get(`/api/v1/connections/${connectionId}/scan-output?type=Bug`, { accept: "application/json" })).body;
    const items = await db.owner.query<{ external_id: string }>("SELECT external_id FROM work_items WHERE connection_id = $1", [connectionId]);
    const people = await db.owner.query<{ display_name: string }>("SELECT display_name FROM actors WHERE connection_id = $1 AND display_name IS NOT NULL", [connectionId]);
    for (const { external_id: key } of items.rows) expect(body).not.toContain(`"${key}"`);
    for (const { display_name: name } of people.rows) expect(body).not.toContain(name);
  });
});

describe("the overview", () => {
  it("shows each connection's headline figures and top bottlenecks, read from its stored output", async () => {
    const { output } = (await outputOf(owner)).body;
    const page = (await owner.get("/overview")).body;
    const lastFourWeeks = output.flow.throughput.slice(-28).reduce((sum, count) => sum + count, 0);
    expect(page).toContain(`<span class="value">${lastFourWeeks.toLocaleString("en-US")} <span title=`);
    expect(page).toContain(`<span class="value">${output.counts.wip.toLocaleString("en-US")} <span title=`);
    expect(page).toMatch(/<span class="label">open now \((up|down) from [\d,]+ items four weeks ago|as four weeks ago\)/);
    expect(page).toContain(`From ${output.sample.items.toLocaleString("en-US")} items`);
    const top = output.bottlenecks.headline.slice(0, 3);
    expect(top.length).toBeGreaterThan(0);
    for (const finding of top) expect(page).toContain(`<strong>${finding.step}</strong> (`);
    // The tenant's totals are the stored outputs' (the other connection has none yet, and shows none).
    expect(page).toContain(`<span class="value">${output.sample.items.toLocaleString("en-US")}</span><span class="label">work items</span>`);
    expect(page).toContain(`<span class="value">${output.sample.open.toLocaleString("en-US")}</span><span class="label">not done yet</span>`);
    expect(page).toContain(`<span class="value">${output.sample.events.toLocaleString("en-US")}</span><span class="label">events</span>`);
    expect(page).toContain("<td>not scanned</td><td>demo</td><td>active</td><td>—</td>");
    // The last scan's outcome, beside when it ran.
    expect(page).toMatch(/<td>Demo board<\/td><td>demo<\/td><td>active<\/td><td>[\d,]+<\/td><td>\d{4}-\d{2}-\d{2} · succeeded<\/td>/);
    expect(page).toContain("No figures yet");
    expect(page).toContain(`<a href="/connections/${connectionId}/process-map">Process map</a>`);
    // Customer and automation waits are not the team's bottleneck, and are not in the headline.
    for (const finding of [...output.bottlenecks.external, ...output.bottlenecks.automation]) expect(page).not.toContain(`<strong>${finding.step}</strong> (`);
  });
});

describe("the process map page", () => {
  const svgOf = (html: string) => html.slice(html.indexOf("<svg"), html.indexOf("</svg>") + 6);

  it("lays out the most visited steps and the moves between them, as the stored output counts them", async () => {
    const { output } = (await outputOf(owner)).body;
    const page = await owner.get(`/connections/${connectionId}/process-map?steps=6`);
    expect(page.status).toBe(200);
    const svg = svgOf(page.body);
    const shown = output.processMap.steps.slice(0, 6);
    expect(svg.match(/<g id="node\d+" class="node">/g)).toHaveLength(shown.length);
    for (const step of shown) expect(svg).toContain(`${step.step}</text>`);
    const names = new Set(shown.map((step) => step.step));
    const edges = output.processMap.transitions.filter((edge) => names.has(edge.from) && names.has(edge.to));
    expect(svg.match(/<g id="edge\d+" class="edge">/g)).toHaveLength(edges.length);
    for (const edge of edges) expect(svg).toContain(`>${edge.count.toLocaleString("en-US")}</text>`);
    // The time-in-status table lists the same steps, and a click on a step's box leads to its row.
    shown.forEach((step, index) => {
      expect(page.body).toContain(`<tr id="step-s${index}"><td>${step.step}`);
      expect(svg).toContain(`xlink:href="#step-s${index}"`);
    });
    // Each row draws how long its stays last, said in words for a screen reader.
    for (const step of output.timeInStatus.filter((time) => time.dwellMs.p50 !== null && shown.some((node) => node.step === time.step))) {
      expect(page.body).toContain(`aria-label="Half the stays in ${step.step} within ${duration(step.dwellMs.p50!)}, 85 % within ${duration(step.dwellMs.p85!)}`);
    }
  });

  it("draws only the most frequent moves when asked for fewer paths", async () => {
    const { output } = (await outputOf(owner)).body;
    const page = await owner.get(`/connections/${connectionId}/process-map?steps=12&paths=3`);
    expect(page.status).toBe(200);
    const svg = svgOf(page.body);
    const names = new Set(output.processMap.steps.slice(0, 12).map((step) => step.step));
    const counts = output.processMap.transitions.filter((edge) => names.has(edge.from) && names.has(edge.to)).map((edge) => edge.count).sort((a, b) => b - a);
    expect(counts.length).toBeGreaterThan(3);
    const drawn = [...svg.matchAll(/<g id="edge\d+" class="edge">[\s\S]*?>([\d,]+)<\/text>/g)].map((match) => Number(match[1]!.replace(/,/g, "")));
    expect(drawn.sort((a, b) => b - a)).toEqual(counts.slice(0, 3));
    expect((await owner.get(`/connections/${connectionId}/process-map?paths=0`)).status).toBe(400);
  });

  it("labels the moves with their median and p85 durations when asked, and refuses a view it cannot draw", async () => {
    const page = await owner.get(`/connections/${connectionId}/process-map?steps=6&durations=on`);
    expect(svgOf(page.body)).toMatch(/ · p85 /);
    const refused = await owner.get(`/connections/${connectionId}/process-map?steps=1000`);
    expect(refused.status).toBe(400);
    expect(refused.body).toContain("&quot;steps&quot; must be a whole number from 2 to 60");
  });

  it("writes step names a source sent as text, never as markup", async () => {
    const hostile = '<script>alert("map")</script> & "quotes" \\ -->';
    const stored = await db.owner.query<{ id: string; output: ScanOutput }>("SELECT id, output FROM scan_outputs WHERE scope = 'connection:' || $1 ORDER BY computed_at DESC LIMIT 1", [connectionId]);
    const output = stored.rows[0]!.output;
    const original = output.processMap.steps[0]!.step;
    const renamed = JSON.parse(JSON.stringify(output).split(JSON.stringify(original)).join(JSON.stringify(hostile))) as ScanOutput;
    await db.owner.query("UPDATE scan_outputs SET output = $2 WHERE id = $1", [stored.rows[0]!.id, JSON.stringify(renamed)]);
    try {
      const page = await owner.get(`/connections/${connectionId}/process-map`);
      expect(page.status).toBe(200);
      expect(page.body).not.toContain("<script>alert");
      expect(page.body).toContain("&lt;script&gt;alert(");
    } finally {
      await db.owner.query("UPDATE scan_outputs SET output = $2 WHERE id = $1", [stored.rows[0]!.id, JSON.stringify(output)]);
    }
  });
});

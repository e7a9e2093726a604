/**
 * The variants & rework page and the forecast page, over the demo connection: what they show
 * is what the stored (or filtered) scan output says, the forecast answers the questions the
 * address asks and refuses the ones it cannot, and another tenant sees neither.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { forecastHowMany, forecastWhen, WEEK_MS } from "../../app/src/analysis/forecast.js";
import type { ScanOutput } from "../../app/src/analysis/scan-output.js";
import { BAR_LENGTH } from "../../app/src/web/charts/bars.js";
import { duration } from "../../app/src/web/overview-figures.js";
import type { TestDatabase } from "../support/database.js";
import { scanOutputOf, startDemoApp, type DemoApp } from "../support/demo.js";
import { signUp, type Browser, type TestWeb } from "../support/web.js";

let app: DemoApp;
let db: TestDatabase;
let web: TestWeb;
let owner: Browser;
let connectionId: string;

beforeAll(async () => {
  app = await startDemoApp("Variants");
  ({ db, web, owner, connectionId } = app);
});

afterAll(async () => {
  await app.close();
});

const outputOf = (query = ""): Promise<ScanOutput> => scanOutputOf(owner, connectionId, query);

async function pageOf(name: "variants" | "forecast", query = "", browser = owner): Promise<{ status: number; html: string; text: string }> {
  const page = await browser.get(`/connections/${connectionId}/${name}${query}`);
  return { status: page.status, html: page.body, text: textOf(page.body) };
}

/** What a reader sees: tags dropped, entities decoded, white space collapsed. */
function textOf(html: string): string {
  const entities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#x27": "'", "#39": "'", "#x3D": "=", "#x60": "`" };
  return html
    .replace(/<[^>]*>/g, " ")
    .replace(/&(amp|lt|gt|quot|#x27|#39|#x3D|#x60);/g, (_, name: string) => entities[name]!)
    .replace(/\s+/g, " ");
}

/** The rows of the table with this class, each as its cells' text and the length of its bar (NaN without one). */
function rowsOf(html: string, tableClass: string): { cells: string[]; bar: number }[] {
  const table = new RegExp(`<table class="${tableClass}">([\\s\\S]*?)</table>`).exec(html);
  expect(table, `a table of class ${tableClass}`).not.toBeNull();
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(table![1]!)![1]!;
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map(([, row]) => ({
    cells: [...row!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map(([, cell]) => textOf(cell!).trim()),
    bar: Number(/class="cell-bar-fill" width="([\d.]+)"/.exec(row!)?.[1] ?? Number.NaN),
  }));
}

const number = (text: string): number => Number(text.replace(/[^\d]/g, ""));
const percent = (ratio: number): string => `${ratio * 100 > 0 && ratio * 100 < 1 ? (ratio * 100).toFixed(1) : Math.round(ratio * 100)} %`;
const weeksWord = (weeks: number): string => `${weeks} week${weeks === 1 ? "" : "s"}`;
const day = (at: number): string => new Date(at).toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
const isoDay = (at: number): string => new Date(at).toISOString().slice(0, 10);

/** The most common item type: filtering by it leaves fewer items, but enough to draw. */
async function commonType(): Promise<string> {
  const { rows } = await db.owner.query<{ item_type: string }>("SELECT item_type FROM work_items WHERE connection_id = $1 GROUP BY 1 ORDER BY count(*) DESC LIMIT 1", [connectionId]);
  return rows[0]!.item_type;
}

describe("the variants & rework page", () => {
  it("lists the output's most frequent paths with their counts, each with a bar as long as its count", async () => {
    const output = await outputOf();
    const { status, html } = await pageOf("variants");
    expect(status).toBe(200);
    expect(html).toContain(`<h1>Variants &amp; rework — Demo board</h1>`);
    const rows = rowsOf(html, "variants");
    expect(output.variants.top.length).toBeGreaterThan(1);
    expect(rows).toHaveLength(output.variants.top.length);
    const most = output.variants.top[0]!.items;
    output.variants.top.forEach((variant, index) => {
      const [path, items, share, median, p85] = rows[index]!.cells;
      expect(path).toContain(variant.steps.join(" → "));
      expect(number(items!)).toBe(variant.items);
      expect(share).toBe(percent(variant.share));
      expect([median, p85]).toEqual([variant.medianLeadMs, variant.p85LeadMs].map((ms) => (ms === null ? "—" : duration(ms))));
      expect(rows[index]!.bar).toBeCloseTo((variant.items / most) * BAR_LENGTH, 0);
    });
    // The count is in the bar's own cell: the bar is hidden from screen readers rather than read twice.
    expect(html).toMatch(/<svg class="cell-bar"[^>]*aria-hidden="true"/);
    // The CSP allows no inline style or script: colours come from the stylesheet.
    expect(html).not.toMatch(/\sstyle=|<style|<script/);
  });

  it("shows the rework loops, hand-offs and rates with what they are rates of", async () => {
    const output = await outputOf();
    const { html, text } = await pageOf("variants");
    const loops = rowsOf(html, "loops");
    expect(loops.map((row) => [row.cells[0], row.cells[1], number(row.cells[3]!)])).toEqual(output.rework.loops.map((loop) => [loop.from, loop.to, loop.count]));
    expect(text).toContain(`${output.rework.itemsWithRework.toLocaleString("en-US")} of ${output.sample.items.toLocaleString("en-US")} items`);
    expect(text).toContain(`of ${output.counts.completed.toLocaleString("en-US")} completed items`);
    expect(text).toContain(`of ${output.handoffs.perItem.count.toLocaleString("en-US")} items ever assigned`);
    expect(text).toContain(`${percent(output.counts.reopenRate!)} reopen rate`);
    expect(text).toContain(`${percent(output.counts.reassignmentRate!)} reassignment rate`);
    const histogram = rowsOf(html, "reassignments");
    expect(histogram.map((row) => number(row.cells[1]!))).toEqual(output.handoffs.histogram);
    expect(histogram.map((row) => row.cells[0])).toEqual(["never", "once", "2 times", "3 times", "4 times", "5 or more times"]);
    expect(rowsOf(html, "ping-pongs").map((row) => number(row.cells[1]!))).toEqual(output.handoffs.pingPongs.map((pair) => pair.count));
  });

  it("draws from the filtered output when the address has filters", async () => {
    const type = await commonType();
    const [all, filtered] = [await outputOf(), await outputOf(`?type=${encodeURIComponent(type)}`)];
    expect(filtered.counts.completed).toBeLessThan(all.counts.completed);
    const { text, html } = await pageOf("variants", `?type=${encodeURIComponent(type)}`);
    expect(text).toContain(`of ${filtered.counts.completed.toLocaleString("en-US")} completed items`);
    expect(rowsOf(html, "variants").map((row) => number(row.cells[1]!))).toEqual(filtered.variants.top.map((variant) => variant.items));
  });
});

describe("the forecast page", () => {
  it("says when the open items will be done and how many will be done in the stored horizon, with the distribution drawn", async () => {
    const { forecast, asOf, sample } = await outputOf();
    const when = forecast.whenOpenDone!.result;
    const howMany = forecast.nextWeeks.result;
    if (when.insufficientData || howMany.insufficientData) throw new Error("the demo data should be enough for a forecast");
    const { status, html, text } = await pageOf("forecast");
    expect(status).toBe(200);
    expect(html).toContain("<h1>Forecast — Demo board</h1>");
    expect(text).toContain(`When will ${sample.open.toLocaleString("en-US")} items be done?`);
    for (const p of [50, 85, 95] as const) {
      const weeks = when.weeks[`p${p}`]!;
      expect(text).toContain(`${p} % likely by ${day(asOf + weeks * WEEK_MS)} (within ${weeksWord(weeks)})`);
      expect(text).toContain(`${p} % likely to finish at least ${howMany.items[`p${p}`].toLocaleString("en-US")} items by ${day(asOf + forecast.nextWeeks.weeks * WEEK_MS)}`);
    }
    // Both distributions are drawn, each with its three labelled lines.
    expect(html.match(/<svg [^>]*class="chart forecast-chart" role="img"/g)).toHaveLength(2);
    expect(html.match(/<g class="rule p85">/g)).toHaveLength(2);
    expect(html).not.toMatch(/\sstyle=|<style|<script/);
    expect(html).toContain(`<input type="date" name="by" min="${isoDay(Date.now() + 86_400_000)}"`);
    expect(html).toContain(`value="${isoDay(asOf + forecast.nextWeeks.weeks * WEEK_MS)}"`);
  });

  it("shows the weeks the trials sample, with their counts", async () => {
    const { forecast } = await outputOf();
    const { html, text } = await pageOf("forecast");
    const weeks = rowsOf(html, "sample-weeks");
    expect(weeks.map((row) => number(row.cells[1]!))).toEqual(forecast.weeklySamples);
    const finished = forecast.weeklySamples.reduce((sum, count) => sum + count, 0);
    expect(text).toContain(`from the last ${forecast.weeklySamples.length} weeks`);
    expect(text).toContain(`in which ${finished.toLocaleString("en-US")} items were finished`);
  });

  it("answers for another number of items and another date, with the analysis' fixed seed", async () => {
    const { forecast, asOf } = await outputOf();
    // Many more than are open, so the answer cannot be the open items' one by chance.
    const many = forecast.whenOpenDone!.items * 20;
    const forMany = forecastWhen(forecast.weeklySamples, many);
    if (forMany.insufficientData) throw new Error("the demo data should be enough for a forecast");
    const { status, text, html } = await pageOf("forecast", `?items=${many}`);
    expect(status).toBe(200);
    expect(text).toContain(`When will ${many.toLocaleString("en-US")} items be done?`);
    expect(text).toContain(`85 % likely by ${day(asOf + forMany.weeks.p85! * WEEK_MS)}`);
    expect(forMany.weeks.p85).not.toBe((forecast.whenOpenDone!.result as typeof forMany).weeks.p85);

    const by = Math.floor(Date.now() / 86_400_000) * 86_400_000 + 60 * 86_400_000;
    const weeks = Math.floor((by + 86_400_000 - asOf) / WEEK_MS);
    const expected = forecastHowMany(forecast.weeklySamples, weeks);
    if (expected.insufficientData) throw new Error("the demo data should be enough for a forecast");
    const both = await pageOf("forecast", `?items=${many}&by=${isoDay(by)}`);
    expect(both.text).toContain(`85 % likely to finish at least ${expected.items.p85.toLocaleString("en-US")} items by ${day(asOf + weeks * WEEK_MS)}`);
    expect(both.text).toContain(`the ${weeksWord(weeks)} from ${day(asOf)}`);
    // Each question's form keeps the other question.
    expect(both.html).toContain(`<input type="hidden" name="items" value="${many}">`);
    expect(both.html).toContain(`<input type="hidden" name="by" value="${isoDay(by)}">`);
    expect(html).not.toContain(`name="by" value=`);
  });

  it("refuses questions it cannot answer, saying what to fix", async () => {
    const refused = async (query: string) => {
      const { status, text } = await pageOf("forecast", query);
      expect(status, query).toBe(400);
      return text;
    };
    for (const query of ["?items=0", "?items=100001", "?items=2.5", "?items=many"]) expect(await refused(query)).toContain('"items" must be a whole number from 1 to 100,000');
    const tomorrow = isoDay(Date.now() + 86_400_000);
    for (const query of ["?by=1999-01-01", "?by=2027-02-30", "?by=next-friday", `?by=${isoDay(Date.now() + 400 * 86_400_000)}`]) {
      expect(await refused(query)).toContain(`"by" must be a date from ${tomorrow} to `);
    }
    expect(await refused("?items=3&items=4")).toContain('Give "items" once');
  });

  it("forecasts from the filtered output, and keeps the filters in its forms", async () => {
    const type = await commonType();
    const query = `?type=${encodeURIComponent(type)}`;
    const [all, filtered] = [await outputOf(), await outputOf(query)];
    const finished = (output: ScanOutput) => output.forecast.weeklySamples.reduce((sum, count) => sum + count, 0);
    expect(finished(filtered)).toBeLessThan(finished(all));
    const { text, html } = await pageOf("forecast", `${query}&items=5`);
    expect(text).toContain(`in which ${finished(filtered).toLocaleString("en-US")} items were finished`);
    expect(html).toContain(`<input type="hidden" name="type" value="${type}">`);
    // The filter form keeps the page's own question when the filters change.
    expect(/<form method="get" [^>]*class="filter-form">\s*<input type="hidden" name="items" value="5">/.test(html)).toBe(true);
  });

  it("teaches instead of drawing when nothing was finished yet, and warns that the data is thin", async () => {
    // Engineering on the data's first day: items are open, none finished yet, and the weeks sampled lie before the data.
    const query = `?container=ENG&to=${isoDay((await outputOf()).window.from)}`;
    const early = await outputOf(query);
    expect(early.sample.completed).toBe(0);
    expect(early.sample.open).toBeGreaterThan(0);
    expect(early.forecast.weeklySamples.every((count) => count === 0)).toBe(true);
    expect(early.forecast.whenOpenDone?.items).toBe(early.sample.open);
    const { status, html, text } = await pageOf("forecast", query);
    expect(status).toBe(200);
    expect(html).not.toContain("forecast-chart");
    // Neither question can be answered: both say why.
    expect(text.match(new RegExp(`No item was finished in the last ${early.forecast.weeklySamples.length} weeks, so there is no pace to forecast from`, "g"))).toHaveLength(2);
    expect(text).toContain("Only 0 items finished in these weeks: too few for a forecast to mean much");
    expect(text).toContain(`The window starts on ${day(early.window.from)}`);
    // Asked about a number of items, the same scope still has no pace to forecast from.
    expect((await pageOf("forecast", `${query}&items=5`)).text.match(/there is no pace to forecast from/g)).toHaveLength(2);
  });
});

describe("another tenant", () => {
  it("finds neither page", async () => {
    const neighbour = await signUp(web, { email: "variants-neighbour@example.com", tenantName: "Neighbour Co" });
    for (const [name, query] of [["variants", ""], ["variants", "?type=Bug"], ["forecast", ""], ["forecast", "?type=Bug&items=5"]] as const) {
      expect((await pageOf(name, query, neighbour)).status, `${name}${query}`).toBe(404);
    }
  });
});

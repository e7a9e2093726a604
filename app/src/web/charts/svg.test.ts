import { describe, expect, it } from "vitest";
import { chartFrame, DAY_MS, emptyChart, escapeXml, niceTicks, spreadLabels, tag, text, timeTicks } from "./svg.js";

describe("escaping", () => {
  it("writes text a source sent as text, in content and in attributes", () => {
    const hostile = `<script>alert("x")</script> & 'quotes'`;
    expect(escapeXml(hostile)).toBe("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;");
    expect(text({ x: 1 }, hostile)).not.toContain("<script>");
    expect(tag("rect", { class: hostile })).toBe(`<rect class="${escapeXml(hostile)}"/>`);
    expect(emptyChart(hostile)).toBe(`<p class="chart-empty">${escapeXml(hostile)}</p>`);
  });

  it("rounds numeric attributes to a tenth and leaves undefined ones out", () => {
    expect(tag("line", { x1: 1.23456, x2: 10, y1: undefined })).toBe('<line x1="1.2" x2="10"/>');
  });
});

describe("the chart frame", () => {
  const svg = chartFrame({ id: "demo", className: "demo", width: 600, height: 200, title: "Items & <more>", desc: "Median 4.2 days; 85 % within 12 days.", body: "<g/>" });

  it("is an image named by its title and described by its description", () => {
    expect(svg).toMatch(/^<svg [^>]*role="img"/);
    expect(svg).toContain('aria-labelledby="demo-title demo-desc"');
    expect(svg).toContain('<title id="demo-title">Items &amp; &lt;more&gt;</title>');
    expect(svg).toContain('<desc id="demo-desc">Median 4.2 days; 85 % within 12 days.</desc>');
  });

  it("is sized by its viewBox only, so the page can scale it, and carries no inline style", () => {
    expect(svg).toContain('viewBox="0 0 600 200"');
    expect(svg).not.toMatch(/<svg[^>]* (width|height|style)=/);
  });
});

describe("niceTicks", () => {
  it("covers the range in round steps", () => {
    expect(niceTicks(0, 87, 5)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0, 4, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(niceTicks(0, 0.7, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
  });

  it("gives a usable axis for a range of one value", () => {
    expect(niceTicks(0, 0, 5)).toEqual([0, 1]);
  });
});

describe("timeTicks", () => {
  const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`);

  it("puts weekly ticks on Mondays, labelled with the date", () => {
    const ticks = timeTicks(day("2026-06-03"), day("2026-08-31"), 7);
    expect(ticks.length).toBeLessThanOrEqual(7);
    for (const tick of ticks) expect(new Date(tick.at).getUTCDay()).toBe(1);
    expect(ticks[0]).toEqual({ at: day("2026-06-08"), label: "Jun 8" });
    expect(ticks[1]!.at - ticks[0]!.at).toBe(14 * DAY_MS);
  });

  it("puts ticks on the first of the month over longer spans", () => {
    const ticks = timeTicks(day("2025-01-15"), day("2026-01-15"), 7);
    expect(ticks.map((tick) => tick.label)).toEqual(["Mar 2025", "May 2025", "Jul 2025", "Sep 2025", "Nov 2025", "Jan 2026"]);
  });

  it("ticks every day over a short span", () => {
    expect(timeTicks(day("2026-03-01") + 3_600_000, day("2026-03-04"), 7).map((tick) => tick.label)).toEqual(["Mar 2", "Mar 3", "Mar 4"]);
  });
});

describe("spreadLabels", () => {
  it("moves crowded labels apart by the gap, in their order, within bounds", () => {
    const placed = spreadLabels([100, 102, 101, 300], 14, 0, 400);
    expect(placed[0]).toBe(100);
    expect(placed[2]).toBe(114);
    expect(placed[1]).toBe(128);
    expect(placed[3]).toBe(300);
    expect(spreadLabels([395, 396], 14, 0, 400)).toEqual([386, 400]);
  });
});

import { describe, expect, it } from "vitest";
import type { EventLog } from "../event-log.js";
import { EXPORT_CHUNK_CHARS } from "./steps.js";
import { exportXesLog } from "./xes.js";

async function collect(chunks: AsyncIterable<string>): Promise<string[]> {
  const collected: string[] = [];
  for await (const chunk of chunks) collected.push(chunk);
  return collected;
}

describe("exportXesLog", () => {
  it("writes an XES 1.0 log declaring the concept, time and org extensions, one trace per item", async () => {
    const log: EventLog = {
      stepSource: "status",
      items: [],
      events: [
        { item: "T-1", at: Date.UTC(2024, 0, 1, 10), kind: "step", from: null, to: "Open", actor: "ann" },
        { item: "T-2", at: Date.UTC(2024, 0, 1, 11), kind: "step", from: null, to: "Open", actor: null },
        { item: "T-1", at: Date.UTC(2024, 0, 1, 12), kind: "assigned", from: null, to: "bob", actor: "ann" },
        { item: "T-1", at: Date.UTC(2024, 0, 1, 13), kind: "step", from: "Open", to: 'R&D <"review">', actor: "a\tb\nc" },
      ],
      asOf: 0,
    };
    const text = (await collect(exportXesLog(log))).join("");
    expect(text).toBe(`<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xes.features="" xmlns="http://www.xes-standard.org/">
\t<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
\t<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
\t<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
\t<classifier name="Activity" keys="concept:name"/>
\t<trace>
\t\t<string key="concept:name" value="T-1"/>
\t\t<event>
\t\t\t<string key="concept:name" value="Open"/>
\t\t\t<string key="org:resource" value="ann"/>
\t\t\t<date key="time:timestamp" value="2024-01-01T10:00:00.000Z"/>
\t\t</event>
\t\t<event>
\t\t\t<string key="concept:name" value="R&amp;D &lt;&quot;review&quot;&gt;"/>
\t\t\t<string key="org:resource" value="a&#9;b&#10;c"/>
\t\t\t<date key="time:timestamp" value="2024-01-01T13:00:00.000Z"/>
\t\t</event>
\t</trace>
\t<trace>
\t\t<string key="concept:name" value="T-2"/>
\t\t<event>
\t\t\t<string key="concept:name" value="Open"/>
\t\t\t<date key="time:timestamp" value="2024-01-01T11:00:00.000Z"/>
\t\t</event>
\t</trace>
</log>
`);
  });

  it("replaces characters XML 1.0 cannot hold", async () => {
    const log: EventLog = {
      stepSource: "activity",
      items: [],
      events: [{ item: "c\u0000", at: 0, kind: "step", from: null, to: "bell\u0007", actor: null }],
      asOf: 0,
    };
    const text = (await collect(exportXesLog(log))).join("");
    expect(text).toContain('value="c\uFFFD"');
    expect(text).toContain('value="bell\uFFFD"');
  });

  it("streams a large log in bounded chunks", async () => {
    const events = Array.from({ length: 20_000 }, (_, index) => ({
      item: `case-${index >> 3}`,
      at: index * 60_000,
      kind: "step" as const,
      from: null,
      to: `Activity ${index % 7}`,
      actor: "someone",
    }));
    const chunks = await collect(exportXesLog({ stepSource: "activity", items: [], events, asOf: 0 }));
    expect(chunks.length).toBeGreaterThan(10);
    expect(Math.max(...chunks.map((chunk) => chunk.length))).toBeLessThan(EXPORT_CHUNK_CHARS + 1_000);
    expect(chunks.join("").split("<event>")).toHaveLength(events.length + 1);
  });
});

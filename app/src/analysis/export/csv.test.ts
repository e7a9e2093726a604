import { describe, expect, it } from "vitest";
import type { EventLog, LogEvent } from "../event-log.js";
import { exportCsvLog } from "./csv.js";
import { EXPORT_CHUNK_CHARS } from "./steps.js";

async function collect(chunks: AsyncIterable<string>): Promise<string[]> {
  const collected: string[] = [];
  for await (const chunk of chunks) collected.push(chunk);
  return collected;
}

function step(item: string, at: number, to: string, actor: string | null): LogEvent {
  return { item, at, kind: "step", from: null, to, actor };
}

describe("exportCsvLog", () => {
  it("writes one quoted-as-needed row per step event, with ISO timestamps in UTC", async () => {
    const log: EventLog = {
      stepSource: "activity",
      items: [],
      events: [
        step("A,1", Date.UTC(2024, 0, 1, 10), 'Check "urgent"\nrequest', "Smith, J."),
        step("A,1", Date.UTC(2024, 0, 1, 11, 30, 0, 250), "Close", null),
        step("b", Date.UTC(2024, 0, 2), " padded ", "ann"),
      ],
      asOf: Date.UTC(2024, 0, 2),
    };
    expect((await collect(exportCsvLog(log))).join("")).toBe(
      "case_id,activity,timestamp,resource\r\n" +
        '"A,1","Check ""urgent""\nrequest",2024-01-01T10:00:00.000Z,"Smith, J."\r\n' +
        '"A,1",Close,2024-01-01T11:30:00.250Z,\r\n' +
        'b," padded ",2024-01-02T00:00:00.000Z,ann\r\n',
    );
  });

  it("writes only the step events of a status log, the status entered as the activity", async () => {
    const log: EventLog = {
      stepSource: "status",
      items: [],
      events: [
        { item: "T-1", at: 1_000, kind: "created", from: null, to: null, actor: "ann" },
        { item: "T-1", at: 2_000, kind: "step", from: "Open", to: "In Progress", actor: "ann" },
        { item: "T-1", at: 3_000, kind: "assigned", from: null, to: "bob", actor: "ann" },
        { item: "T-1", at: 4_000, kind: "step", from: "In Progress", to: "Done", actor: null },
      ],
      asOf: 5_000,
    };
    expect((await collect(exportCsvLog(log))).join("")).toBe(
      "case_id,activity,timestamp,resource\r\n" +
        "T-1,In Progress,1970-01-01T00:00:02.000Z,ann\r\n" +
        "T-1,Done,1970-01-01T00:00:04.000Z,\r\n",
    );
  });

  it("streams a large log in bounded chunks", async () => {
    const events = Array.from({ length: 20_000 }, (_, index) => step(`case-${index >> 3}`, index * 60_000, `Activity ${index % 7}`, "someone"));
    const chunks = await collect(exportCsvLog({ stepSource: "activity", items: [], events, asOf: 0 }));
    expect(chunks.length).toBeGreaterThan(10);
    expect(Math.max(...chunks.map((chunk) => chunk.length))).toBeLessThan(EXPORT_CHUNK_CHARS + 200);
    expect(chunks.join("").split("\r\n")).toHaveLength(events.length + 2);
  });
});

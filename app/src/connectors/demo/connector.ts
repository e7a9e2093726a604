import { badRequest } from "../../platform/errors.js";
import type { Connector, DataManifest, JsonValue, ScanPage } from "../connector.js";
import type { EventLogBatch } from "../types.js";
import { generateDemoLog, type DemoLogOptions } from "./generate.js";

const ITEMS_PER_PAGE = 200;

const manifest: DataManifest = {
  provider: "demo",
  requests: [],
  hosts: [],
  fieldsKept: {
    status: "workflow state of each item",
    assignee: "who holds the item",
    priority: "urgency",
    labels: "area of work",
    timestamps: "when each change happened",
  },
  fieldsDropped: [],
};

interface DemoCursor {
  itemsDone: number;
}

/**
 * The built-in demo source: a generated support queue and engineering board, so the whole
 * pipeline runs without an account anywhere. It makes no network requests at all.
 */
export const demoConnector: Connector = {
  provider: "demo",
  manifest,
  parseSettings(raw) {
    const settings = (raw ?? {}) as Record<string, unknown>;
    const seed = Number(settings.seed ?? 42);
    const days = Number(settings.days ?? 90);
    const start = new Date(String(settings.start ?? ""));
    if (!Number.isInteger(seed)) throw badRequest("invalid_settings", "The demo seed must be a whole number.");
    if (!Number.isInteger(days) || days < 1 || days > 365) throw badRequest("invalid_settings", "The demo period must be 1 to 365 days.");
    if (Number.isNaN(start.getTime())) throw badRequest("invalid_settings", "The demo start must be a date, e.g. 2026-01-05.");
    return { seed, days, start: start.toISOString() };
  },
  baseUrl: () => "http://demo.invalid",
  authHeaders: () => ({}),
  streams: () => ["log"],
  async *scan(_stream, cursor, context) {
    const settings = context.settings as { seed: number; days: number; start: string };
    const options: DemoLogOptions = { seed: settings.seed, days: settings.days, start: new Date(settings.start) };
    yield* pagesOf(generateDemoLog(options), (cursor as DemoCursor | null)?.itemsDone ?? 0);
  },
};

/** Splits the log by item, each page carrying its items' events; the cursor counts items done. */
function* pagesOf(log: EventLogBatch, itemsDone: number): Generator<ScanPage> {
  const eventsByItem = new Map<string, EventLogBatch["events"]>();
  for (const event of log.events) {
    const events = eventsByItem.get(event.itemExternalId);
    if (events) events.push(event);
    else eventsByItem.set(event.itemExternalId, [event]);
  }
  for (let from = itemsDone; from < log.items.length; from += ITEMS_PER_PAGE) {
    const items = log.items.slice(from, from + ITEMS_PER_PAGE);
    const cursor: JsonValue = { itemsDone: from + items.length };
    yield { batch: { actors: log.actors, items, events: items.flatMap((item) => eventsByItem.get(item.externalId) ?? []) }, cursor };
  }
}

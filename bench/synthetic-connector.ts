import type { Connector, JsonValue, ScanPage } from "../app/src/connectors/connector.js";
import type { ActorRecord, EventRecord, WorkItemRecord } from "../app/src/connectors/types.js";

export interface SyntheticSettings {
  itemsPerPage: number;
  totalEvents: number;
}

type SyntheticCursor = { itemsDone: number };

const HOUR = 3_600_000;
const START = Date.parse("2026-01-05T09:00:00Z");
const ACTORS: readonly ActorRecord[] = Array.from({ length: 40 }, (_, n) => ({ externalId: `bench-user-${n + 1}`, displayName: `Bench User ${n + 1}` }));
const STATUS_CYCLE = ["Backlog", "To Do", "In Progress", "In Review"] as const;
const ITEM_TYPES = ["Story", "Bug", "Task"] as const;
const PRIORITIES = ["High", "Medium", "Low"] as const;

/**
 * A provider-free source for ingest benchmarks: every page is built when the scan asks for
 * it, so the worker never holds more than one page, however long the log is. Item i has
 * 5 to 15 events (10 on average): created, then status changes and reassignments.
 */
export const syntheticConnector: Connector = {
  provider: "demo",
  manifest: { provider: "demo", requests: [], hosts: [], fieldsKept: {}, fieldsDropped: [] },
  parseSettings: (raw) => raw as JsonValue,
  baseUrl: () => "http://synthetic.invalid",
  authHeaders: () => ({}),
  streams: () => ["log"],
  scan(_stream, cursor, context) {
    const settings = context.settings as unknown as SyntheticSettings;
    return pages(settings, (cursor as SyntheticCursor | null)?.itemsDone ?? 0);
  },
};

/** How many events the log made for `settings` holds: whole items until the total is reached. */
export function syntheticLogSize(settings: SyntheticSettings): { items: number; events: number } {
  let items = 0;
  let events = 0;
  while (events < settings.totalEvents) events += eventCountOf(items++);
  return { items, events };
}

async function* pages(settings: SyntheticSettings, itemsDone: number): AsyncGenerator<ScanPage> {
  const { items: totalItems } = syntheticLogSize(settings);
  for (let from = itemsDone; from < totalItems; from += settings.itemsPerPage) {
    const to = Math.min(from + settings.itemsPerPage, totalItems);
    const items: WorkItemRecord[] = [];
    const events: EventRecord[] = [];
    for (let index = from; index < to; index += 1) {
      const itemEvents = eventsOf(index);
      events.push(...itemEvents);
      items.push(itemOf(index, itemEvents));
    }
    const cursor: SyntheticCursor = { itemsDone: to };
    yield { batch: { actors: [...ACTORS], items, events }, cursor };
  }
}

const eventCountOf = (index: number) => 5 + ((index * 7) % 11);
const keyOf = (index: number) => `BEN-${index + 1}`;
const actorOf = (n: number) => ACTORS[n % ACTORS.length]!.externalId;

function itemOf(index: number, events: readonly EventRecord[]): WorkItemRecord {
  return {
    externalId: keyOf(index),
    container: "BEN",
    itemType: ITEM_TYPES[index % ITEM_TYPES.length]!,
    createdAt: events[0]!.occurredAt,
    closedAt: null,
    status: events.findLast((event) => event.type !== "assigned")?.to ?? STATUS_CYCLE[0],
    priority: PRIORITIES[index % PRIORITIES.length]!,
    assignee: events.findLast((event) => event.type === "assigned")?.to ?? null,
    labels: index % 4 === 0 ? ["backend"] : [],
  };
}

/** Every third change reassigns the item; the others move it one status along the cycle. */
function eventsOf(index: number): EventRecord[] {
  const key = keyOf(index);
  const createdAt = START + index * 60_000;
  const events: EventRecord[] = [
    { externalId: `${key}#created`, itemExternalId: key, occurredAt: new Date(createdAt), actor: null, type: "created", field: null, from: null, to: STATUS_CYCLE[0] },
  ];
  let status = 0;
  let assignee: string | null = null;
  for (let change = 1; change < eventCountOf(index); change += 1) {
    const base = { externalId: `${key}#${change}`, itemExternalId: key, occurredAt: new Date(createdAt + change * HOUR), actor: actorOf(index + change) };
    if (change % 3 === 0) {
      const next = actorOf(index * 3 + change);
      events.push({ ...base, type: "assigned", field: "assignee", from: assignee, to: next });
      assignee = next;
    } else {
      const next = (status + 1) % STATUS_CYCLE.length;
      events.push({ ...base, type: "status_changed", field: "status", from: STATUS_CYCLE[status]!, to: STATUS_CYCLE[next]! });
      status = next;
    }
  }
  return events;
}

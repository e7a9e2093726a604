import { describe, it, expect } from "vitest";
import type { EventLogBatch, EventRecord, WorkItemRecord } from "../types.js";
import { ENGINEERING_WORKFLOW, generateDemoLog, SUPPORT_WORKFLOW, type DemoLogOptions } from "./generate.js";

// Written out independently of the generator's tables, so a change there has to be made here too.
const ALLOWED_TRANSITIONS: Record<string, Record<string, string[]>> = {
  SUP: {
    New: ["Open"],
    Open: ["Pending", "On-hold", "Solved"],
    Pending: ["Open", "Solved"],
    "On-hold": ["Open"],
    Solved: ["Open", "Closed"],
    Closed: [],
  },
  ENG: {
    Backlog: ["To Do"],
    "To Do": ["In Progress"],
    "In Progress": ["In Review", "Blocked"],
    Blocked: ["In Progress"],
    "In Review": ["In Progress", "Done"],
    Done: [],
  },
};
const CLOSED_STATUSES: Record<string, string[]> = { SUP: ["Solved", "Closed"], ENG: ["Done"] };
const ITEM_TYPES: Record<string, string[]> = { SUP: ["ticket"], ENG: ["story", "bug", "task"] };
const STAFF_PREFIXES: Record<string, string> = { SUP: "demo-agent-", ENG: "demo-eng-" };
const DAY_MS = 24 * 60 * 60 * 1000;

const DEMO: DemoLogOptions = { seed: 42, start: new Date("2025-01-06T00:00:00Z"), days: 90 };
const demo = generateDemoLog(DEMO);
// A start that is neither midnight nor a weekday catches code that assumes windows begin on a day boundary.
const OFFSET: DemoLogOptions = { seed: 7, start: new Date("2025-03-01T13:37:42.500Z"), days: 30 };
const offset = generateDemoLog(OFFSET);

const logs: [string, DemoLogOptions, EventLogBatch][] = [
  ["seed 42, 90 days from a Monday midnight", DEMO, demo],
  ["seed 7, 30 days from a Saturday afternoon", OFFSET, offset],
];

function eventsByItem(batch: EventLogBatch): Map<string, EventRecord[]> {
  const byItem = new Map<string, EventRecord[]>();
  for (const event of batch.events) {
    const list = byItem.get(event.itemExternalId) ?? [];
    list.push(event);
    byItem.set(event.itemExternalId, list);
  }
  return byItem;
}

function isStaff(actor: string | null): boolean {
  return actor !== null && Object.values(STAFF_PREFIXES).some((prefix) => actor.startsWith(prefix));
}

function isBusinessHours(at: Date): boolean {
  const weekday = at.getUTCDay() !== 0 && at.getUTCDay() !== 6;
  const minutes = at.getUTCHours() * 60 + at.getUTCMinutes() + at.getUTCSeconds() / 60;
  return weekday && minutes >= 9 * 60 && minutes < 17 * 60 + 30;
}

interface ReplayedItem {
  status: string | null;
  assignee: string | null;
  priority: string | null;
  labels: string[];
  closedAt: Date | null;
  createdAt: Date | null;
}

function replay(events: EventRecord[]): ReplayedItem {
  const item: ReplayedItem = { status: null, assignee: null, priority: null, labels: [], closedAt: null, createdAt: null };
  for (const event of events) {
    if (event.type === "created") {
      item.createdAt = event.occurredAt;
      item.status = event.to;
    } else if (event.type === "status_changed") item.status = event.to;
    else if (event.type === "assigned") item.assignee = event.to;
    else if (event.type === "priority_changed") item.priority = event.to;
    else if (event.type === "labeled" && event.to !== null) item.labels.push(event.to);
    else if (event.type === "unlabeled") item.labels = item.labels.filter((label) => label !== event.to);
    else if (event.type === "closed") item.closedAt = event.occurredAt;
    else if (event.type === "reopened") item.closedAt = null;
  }
  return item;
}

function shareOf(items: WorkItemRecord[], matches: (item: WorkItemRecord) => boolean): number {
  return items.filter(matches).length / items.length;
}

function itemsIn(batch: EventLogBatch, container: string): WorkItemRecord[] {
  return batch.items.filter((item) => item.container === container);
}

describe("generateDemoLog", () => {
  it("returns the same log for the same options and a different one for another seed", () => {
    expect(generateDemoLog({ ...DEMO, start: new Date(DEMO.start) })).toEqual(demo);
    const other = generateDemoLog({ ...DEMO, seed: 43 });
    expect(other).not.toEqual(demo);
    expect(other.events.map((event) => event.occurredAt.getTime())).not.toEqual(demo.events.map((event) => event.occurredAt.getTime()));
  });

  it("rejects an empty window", () => {
    expect(() => generateDemoLog({ ...DEMO, days: 0 })).toThrow(RangeError);
  });

  it("exports the workflows the demo tenant documents", () => {
    expect(SUPPORT_WORKFLOW.transitions).toEqual(ALLOWED_TRANSITIONS.SUP);
    expect(ENGINEERING_WORKFLOW.transitions).toEqual(ALLOWED_TRANSITIONS.ENG);
  });

  it("produces demo-sized volumes for 90 days", () => {
    const tickets = itemsIn(demo, "SUP");
    const boardItems = itemsIn(demo, "ENG");
    expect(tickets.length).toBeGreaterThanOrEqual(1000);
    expect(tickets.length).toBeLessThanOrEqual(2000);
    expect(boardItems.length).toBeGreaterThanOrEqual(300);
    expect(boardItems.length).toBeLessThanOrEqual(600);
    const eventsPerItem = demo.events.length / demo.items.length;
    expect(eventsPerItem).toBeGreaterThanOrEqual(8);
    expect(eventsPerItem).toBeLessThanOrEqual(20);
  });

  it("has tickets arriving at weekends, but fewer per day than on weekdays", () => {
    const isWeekend = (at: Date) => at.getUTCDay() === 0 || at.getUTCDay() === 6;
    const days = Array.from({ length: DEMO.days }, (_, i) => new Date(DEMO.start.getTime() + i * DAY_MS));
    const weekendDays = days.filter(isWeekend).length;
    const weekendArrivals = itemsIn(demo, "SUP").filter((ticket) => isWeekend(ticket.createdAt)).length;
    const perWeekendDay = weekendArrivals / weekendDays;
    const perWeekday = (itemsIn(demo, "SUP").length - weekendArrivals) / (days.length - weekendDays);
    expect(perWeekendDay).toBeGreaterThan(0);
    expect(perWeekendDay).toBeLessThan(perWeekday * 0.6);
  });

  it("exercises every transition of both workflows", () => {
    const seen = new Set(demo.events.filter((e) => e.type === "status_changed").map((e) => `${e.itemExternalId.split("-")[0]}:${e.from}→${e.to}`));
    const expected = Object.entries(ALLOWED_TRANSITIONS).flatMap(([container, graph]) =>
      Object.entries(graph).flatMap(([from, targets]) => targets.map((to) => `${container}:${from}→${to}`)),
    );
    expect(expected.filter((transition) => !seen.has(transition))).toEqual([]);
  });

  it("has both rework and reassignment in a plausible share of items", () => {
    const byItem = eventsByItem(demo);
    const eventsOf = (item: WorkItemRecord) => byItem.get(item.externalId) ?? [];
    const reopenedShare = shareOf(itemsIn(demo, "SUP"), (item) => eventsOf(item).some((e) => e.type === "reopened"));
    const sentBackShare = shareOf(itemsIn(demo, "ENG"), (item) =>
      eventsOf(item).some((e) => e.type === "status_changed" && e.from === "In Review" && e.to === "In Progress"),
    );
    const reassignedShare = shareOf(demo.items, (item) => eventsOf(item).some((e) => e.type === "assigned" && e.from !== null));
    for (const share of [reopenedShare, sentBackShare, reassignedShare]) {
      expect(share).toBeGreaterThanOrEqual(0.03);
      expect(share).toBeLessThanOrEqual(0.3);
    }
    // Reopening is the requester's decision, not the agent's.
    const reopeners = demo.events.filter((e) => e.type === "reopened").map((e) => e.actor);
    expect(reopeners.filter((actor) => actor === null || !actor.startsWith("demo-customer-"))).toEqual([]);
  });

  it("leaves some recent items open in both containers", () => {
    for (const container of ["SUP", "ENG"]) {
      const open = itemsIn(demo, container).filter((item) => item.closedAt === null);
      expect(open.length).toBeGreaterThan(0);
      const closedStatuses = CLOSED_STATUSES[container] ?? [];
      expect(open.filter((item) => closedStatuses.includes(item.status))).toEqual([]);
    }
  });

  describe.each(logs)("%s", (_name, options, batch) => {
    const byItem = eventsByItem(batch);
    const windowStart = options.start.getTime();
    const windowEnd = windowStart + options.days * DAY_MS;

    it("only makes transitions the container's workflow allows", () => {
      const violations: string[] = [];
      for (const item of batch.items) {
        const graph = ALLOWED_TRANSITIONS[item.container] ?? {};
        let status: string | null = null;
        for (const event of byItem.get(item.externalId) ?? []) {
          if (event.type === "created") status = event.to;
          if (event.type !== "status_changed") continue;
          const allowed = event.from === status && event.from !== null && event.to !== null && (graph[event.from] ?? []).includes(event.to);
          if (!allowed) violations.push(`${event.externalId}: ${status} / ${event.from} → ${event.to}`);
          status = event.to;
        }
      }
      expect(violations).toEqual([]);
    });

    it("starts every item with 'created' and keeps its events strictly increasing inside the window", () => {
      for (const item of batch.items) {
        const events = byItem.get(item.externalId) ?? [];
        expect(events[0]?.type).toBe("created");
        expect(events.filter((e) => e.type === "created")).toHaveLength(1);
        const times = events.map((e) => e.occurredAt.getTime());
        expect(times.every((t, i) => i === 0 || t > (times[i - 1] ?? Infinity)), item.externalId).toBe(true);
        expect(times.every((t) => t >= windowStart && t <= windowEnd), item.externalId).toBe(true);
      }
    });

    it("keeps staff work to weekdays 09:00–17:30 UTC", () => {
      const staffEvents = batch.events.filter((e) => e.type !== "created" && isStaff(e.actor));
      expect(staffEvents.length).toBeGreaterThan(0);
      expect(staffEvents.filter((e) => !isBusinessHours(e.occurredAt)).map((e) => e.externalId)).toEqual([]);
      // Customers and automations are not bound to office hours, so the check above is not vacuous.
      expect(batch.events.some((e) => !isStaff(e.actor) && !isBusinessHours(e.occurredAt))).toBe(true);
    });

    it("has work items that agree with their replayed event log", () => {
      for (const item of batch.items) {
        const replayed = replay(byItem.get(item.externalId) ?? []);
        expect(
          {
            status: item.status,
            assignee: item.assignee,
            priority: item.priority,
            labels: item.labels,
            closedAt: item.closedAt,
            createdAt: item.createdAt,
          },
          item.externalId,
        ).toEqual(replayed);
        const closedStatuses = CLOSED_STATUSES[item.container] ?? [];
        expect(item.closedAt !== null, item.externalId).toBe(closedStatuses.includes(item.status));
      }
    });

    it("files items in their container with its item types and staff", () => {
      for (const item of batch.items) {
        expect(item.externalId.startsWith(`${item.container}-`)).toBe(true);
        expect(ITEM_TYPES[item.container]).toContain(item.itemType);
        if (item.assignee !== null) expect(item.assignee.startsWith(STAFF_PREFIXES[item.container] ?? "?")).toBe(true);
      }
    });

    it("resolves every actor and item reference and keeps external ids unique", () => {
      const actorIds = new Set(batch.actors.map((actor) => actor.externalId));
      const itemIds = new Set(batch.items.map((item) => item.externalId));
      expect(actorIds.size).toBe(batch.actors.length);
      expect(itemIds.size).toBe(batch.items.length);
      expect(new Set(batch.events.map((event) => event.externalId)).size).toBe(batch.events.length);
      expect(batch.actors.every((actor) => actor.displayName.trim().length > 0)).toBe(true);

      const referencedActors = [
        ...batch.events.map((event) => event.actor),
        ...batch.events.filter((event) => event.type === "assigned").flatMap((event) => [event.from, event.to]),
        ...batch.items.map((item) => item.assignee),
      ];
      expect(referencedActors.filter((actor) => actor !== null && !actorIds.has(actor))).toEqual([]);
      expect(batch.events.filter((event) => !itemIds.has(event.itemExternalId))).toEqual([]);
      expect(batch.items.filter((item) => !byItem.has(item.externalId))).toEqual([]);
      // Only automations act without an actor, and they never assign or file work.
      expect(batch.events.filter((event) => event.actor === null && event.type !== "status_changed")).toEqual([]);
    });
  });
});

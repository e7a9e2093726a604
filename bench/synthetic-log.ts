/**
 * A status log of a given size, built straight into the analysis input: items move
 * To Do → In Progress → In Review and back, some waiting on a customer, with reassignments
 * on the way, and all but a fifth end Done with their last event.
 */
import { Random } from "../app/src/connectors/demo/random.js";
import { DAY_MS, type EventLog, type LogEvent, type LogItem } from "../app/src/analysis/event-log.js";

const HOUR_MS = 3_600_000;
const PEOPLE = Array.from({ length: 40 }, (_, n) => `person-${n}`);
const NEXT: Readonly<Record<string, readonly string[]>> = {
  "To Do": ["In Progress"],
  "In Progress": ["In Review", "In Review", "In Review", "Waiting for customer"],
  "Waiting for customer": ["In Progress"],
  "In Review": ["In Progress", "Waiting for customer", "In Progress"],
};

export function syntheticStatusLog(items: number, eventsPerItem: number, seed = 2026): EventLog {
  const rng = new Random(seed);
  const start = Date.UTC(2025, 0, 6);
  const span = 300 * DAY_MS;
  const logItems: LogItem[] = [];
  const events: LogEvent[] = [];
  for (let n = 0; n < items; n += 1) {
    const key = `item-${n}`;
    const createdAt = start + Math.floor((n / items) * span);
    let at = createdAt;
    let status = "To Do";
    let assignee: string | null = null;
    const open = rng.next() < 0.2;
    for (let k = 0; k < eventsPerItem; k += 1) {
      at += Math.floor(rng.next() * 30 * HOUR_MS);
      // Every third event a (re)assignment; never the last, which finishes the item.
      if (k % 3 === 1) {
        const next = PEOPLE[Math.floor(rng.next() * PEOPLE.length)]!;
        events.push({ item: key, at, kind: "assigned", from: assignee, to: next, actor: next });
        assignee = next;
        continue;
      }
      const last = k === eventsPerItem - 1;
      const choices = NEXT[status]!.filter((choice) => choice !== "Done");
      const to = last && !open ? "Done" : choices[Math.floor(rng.next() * choices.length)]!;
      if (to === status) continue;
      events.push({ item: key, at, kind: "step", from: status, to, actor: assignee });
      status = to;
    }
    logItems.push({ key, createdAt, type: "Task", priority: "Medium", labels: [], currentStep: status, currentAssignee: assignee });
  }
  return { stepSource: "status", items: logItems, events, asOf: start + span + 30 * DAY_MS };
}

/**
 * A status log of a given size, built straight into the analysis input: items move
 * To Do → In Progress → In Review → Done, with review sending some back, a few waiting
 * on a customer, and reassignments on the way; a fifth are still open.
 */
import { Random } from "../app/src/connectors/demo/random.js";
import { DAY_MS, type EventLog, type LogEvent, type LogItem } from "../app/src/analysis/event-log.js";

const HOUR_MS = 3_600_000;
const PEOPLE = Array.from({ length: 40 }, (_, n) => `person-${n}`);
const NEXT: Readonly<Record<string, readonly string[]>> = {
  "To Do": ["In Progress"],
  "In Progress": ["In Review", "In Review", "In Review", "Waiting for customer"],
  "Waiting for customer": ["In Progress"],
  "In Review": ["Done", "Done", "In Progress"],
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
      if (k % 3 === 0) {
        const next = PEOPLE[Math.floor(rng.next() * PEOPLE.length)]!;
        events.push({ item: key, at, kind: "assigned", from: assignee, to: next, actor: next });
        assignee = next;
        continue;
      }
      const choices = NEXT[status];
      if (!choices) break;
      const last = k === eventsPerItem - 1;
      const to = last && !open ? "Done" : choices[Math.floor(rng.next() * choices.length)]!;
      if (to === status) continue;
      events.push({ item: key, at, kind: "step", from: status, to, actor: assignee });
      status = to;
    }
    logItems.push({ key, createdAt, type: "Task", priority: "Medium", labels: [], currentStep: status, currentAssignee: assignee });
  }
  return { stepSource: "status", items: logItems, events, asOf: start + span + 30 * DAY_MS };
}

import type { ActorRecord, EventLogBatch, EventRecord, WorkItemRecord } from "../types.js";
import { Random } from "./random.js";

export interface DemoLogOptions {
  seed: number;
  start: Date;
  days: number;
}

/** A container's status graph: which statuses may follow each status. */
export interface Workflow {
  container: string;
  initial: string;
  transitions: Readonly<Record<string, readonly string[]>>;
  /** Entering one of these emits "closed"; leaving one for another status emits "reopened". */
  closedStatuses: readonly string[];
}

export const SUPPORT_WORKFLOW: Workflow = {
  container: "SUP",
  initial: "New",
  transitions: {
    New: ["Open"],
    Open: ["Pending", "On-hold", "Solved"],
    // The customer replies, or the agent solves the ticket after the customer stays silent.
    Pending: ["Open", "Solved"],
    "On-hold": ["Open"],
    Solved: ["Open", "Closed"],
    Closed: [],
  },
  // Solved is the resolution support measures; the requester can still reopen it until it auto-closes.
  closedStatuses: ["Solved", "Closed"],
};

export const ENGINEERING_WORKFLOW: Workflow = {
  container: "ENG",
  initial: "Backlog",
  transitions: {
    Backlog: ["To Do"],
    "To Do": ["In Progress"],
    "In Progress": ["In Review", "Blocked"],
    Blocked: ["In Progress"],
    "In Review": ["In Progress", "Done"],
    Done: [],
  },
  closedStatuses: ["Done"],
};

/**
 * A seeded, deterministic event log for the demo tenant: a support queue (SUP) and an
 * engineering board (ENG), simulated item by item. Staff act only in working hours;
 * customers and automations act at any time. Items still in flight at the window's end
 * are cut there, so recent ones stay open.
 */
export function generateDemoLog({ seed, start, days }: DemoLogOptions): EventLogBatch {
  if (!(days > 0)) throw new RangeError(`days must be positive, got ${days}`);
  const rng = new Random(seed);
  const from = start.getTime();
  const to = from + days * DAY;
  const timelines = [...simulateSupportQueue(rng, from, to), ...simulateEngineeringBoard(rng, from, to)];

  const items: WorkItemRecord[] = [];
  const events: EventRecord[] = [];
  for (const timeline of timelines) {
    const records = timeline.toRecords(to);
    items.push(records.item);
    events.push(...records.events);
  }
  // Providers deliver audit logs in time order across items; the sort is stable, so ties keep item order.
  events.sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
  return { actors: ROSTER.map((actor) => ({ ...actor })), items, events };
}

// ---------------------------------------------------------------- time

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Staff work 09:00–17:30 UTC, Monday to Friday. */
const WORKDAY_START = 9 * HOUR;
const WORKDAY_END = 17.5 * HOUR;
const WORKDAY = WORKDAY_END - WORKDAY_START;

function timeOfDay(t: number): number {
  return ((t % DAY) + DAY) % DAY;
}

function isWeekday(t: number): boolean {
  // 1 January 1970 was a Thursday; 0 is Sunday, as in Date#getUTCDay.
  const dayOfWeek = (((Math.floor(t / DAY) + 4) % 7) + 7) % 7;
  return dayOfWeek !== 0 && dayOfWeek !== 6;
}

function isWorkingTime(t: number): boolean {
  const clock = timeOfDay(t);
  return isWeekday(t) && clock >= WORKDAY_START && clock < WORKDAY_END;
}

/** `t` itself if staff are working then, else the start of the next working day. */
function nextWorkingMoment(t: number): number {
  let dayStart = t - timeOfDay(t);
  if (isWeekday(dayStart) && timeOfDay(t) < WORKDAY_END) return Math.max(t, dayStart + WORKDAY_START);
  do dayStart += DAY;
  while (!isWeekday(dayStart));
  return dayStart + WORKDAY_START;
}

/** When `duration` of working time has passed after `from`; nights and weekends don't count. */
function addWorkingTime(from: number, duration: number): number {
  let t = nextWorkingMoment(from);
  let remaining = duration;
  for (;;) {
    const closing = t - timeOfDay(t) + WORKDAY_END;
    if (t + remaining < closing) return t + remaining;
    remaining -= closing - t;
    t = nextWorkingMoment(closing);
  }
}

function addCalendarTime(from: number, duration: number): number {
  return from + duration;
}

/** Whole seconds, at least one, so events of an item never share a timestamp. */
function wholeSeconds(duration: number): number {
  return Math.max(SECOND, Math.round(duration / SECOND) * SECOND);
}

/**
 * Arrival times of a Poisson process whose hourly rate varies over time, by thinning a
 * process that runs at the peak rate.
 */
function arrivalTimes(rng: Random, from: number, to: number, ratePerHour: (t: number) => number, peakPerHour: number): number[] {
  const meanGap = HOUR / peakPerHour;
  const times: number[] = [];
  for (let t = from + rng.exponential(meanGap); ; t += rng.exponential(meanGap)) {
    const at = Math.ceil(t / SECOND) * SECOND;
    if (at > to) return times;
    if (rng.chance(ratePerHour(at) / peakPerHour)) times.push(at);
  }
}

// ---------------------------------------------------------------- actors

const SUPPORT_AGENTS = numbered("demo-agent", [
  "Priya Raman",
  "Marcus Chen",
  "Sofia Alvarez",
  "Daniel Okafor",
  "Hannah Becker",
  "Tomás Silva",
  "Aisha Khan",
  "Liam O'Connor",
]);

const ENGINEERS = numbered("demo-eng", [
  "Elena Petrova",
  "Kenji Watanabe",
  "Grace Mensah",
  "Lucas Martin",
  "Nadia Haddad",
  "Oliver Brown",
  "Mei Lin",
  "Rafael Costa",
  "Zoe Fischer",
  "Arjun Mehta",
]);

const CUSTOMER_FIRST_NAMES = ["Emma", "Noah", "Olivia", "Mateo", "Ava", "Yusuf", "Chloe", "Ethan", "Isabella", "Kwame", "Mia", "Jonas"];
const CUSTOMER_LAST_NAMES = ["Novak", "Johansson", "Adeyemi", "Rossi", "Kowalski", "Dubois", "Nakamura", "Schmidt", "Garcia", "Lindqvist", "Murphy"];
const CUSTOMER_COUNT = 60;

// The name lists have coprime lengths, so pairing index i with i modulo each length gives distinct names.
const CUSTOMERS = numbered(
  "demo-customer",
  Array.from({ length: CUSTOMER_COUNT }, (_, i) =>
    [CUSTOMER_FIRST_NAMES[i % CUSTOMER_FIRST_NAMES.length], CUSTOMER_LAST_NAMES[i % CUSTOMER_LAST_NAMES.length]].join(" "),
  ),
);

const ROSTER: readonly ActorRecord[] = [...SUPPORT_AGENTS, ...ENGINEERS, ...CUSTOMERS];

function numbered(prefix: string, displayNames: readonly string[]): ActorRecord[] {
  return displayNames.map((displayName, i) => ({ externalId: `${prefix}-${i + 1}`, displayName }));
}

function pickOther(rng: Random, actors: readonly ActorRecord[], current: string): string {
  return rng.pick(actors.filter((actor) => actor.externalId !== current)).externalId;
}

// ---------------------------------------------------------------- item timelines

/** One change an actor makes; a single action may make several. */
type Change = { status: string } | { assignee: string } | { priority: string } | { label: string };

interface ItemState {
  status: string;
  assignee: string | null;
  priority: string | null;
  labels: string[];
  closedAt: number | null;
}

type EventDraft = Pick<EventRecord, "type" | "field" | "from" | "to">;

interface TimedEvent extends EventDraft {
  at: number;
  actor: string | null;
}

/** The events of one action are kept or cut together at the window's end, so the log never stops mid-action. */
interface Action {
  events: TimedEvent[];
  endsAt: number;
  stateAfter: ItemState;
}

/** The history of one item, checked against its workflow as it is written. */
class ItemTimeline {
  private readonly actions: Action[];
  private readonly state: ItemState;
  private clock: number;

  constructor(
    private readonly workflow: Workflow,
    private readonly externalId: string,
    private readonly itemType: string,
    private readonly createdAt: number,
    creator: string,
  ) {
    this.state = { status: workflow.initial, assignee: null, priority: null, labels: [], closedAt: null };
    this.clock = createdAt;
    const created: TimedEvent = { at: createdAt, actor: creator, type: "created", field: null, from: null, to: workflow.initial };
    this.actions = [{ events: [created], endsAt: createdAt, stateAfter: this.snapshot() }];
  }

  get status(): string {
    return this.state.status;
  }

  get lastEventAt(): number {
    return this.clock;
  }

  get isFinal(): boolean {
    return this.nextStatuses().length === 0;
  }

  /** A staff action once `workingDelay` of working time has passed since the last event. */
  actDuringWorkingHours(workingDelay: number, actor: string, changes: readonly Change[]): void {
    this.act(addWorkingTime, workingDelay, actor, changes);
  }

  /** A customer or automation action `delay` after the last event, whatever the day or hour. */
  actAnytime(delay: number, actor: string | null, changes: readonly Change[]): void {
    this.act(addCalendarTime, delay, actor, changes);
  }

  /** The item as it stood at `end`, and its events up to then. */
  toRecords(end: number): { item: WorkItemRecord; events: EventRecord[] } {
    const kept: Action[] = [];
    for (const action of this.actions) {
      if (action.endsAt > end) break;
      kept.push(action);
    }
    const state = kept.at(-1)?.stateAfter;
    if (state === undefined) throw new Error(`${this.externalId} was created after the window`);
    const item: WorkItemRecord = {
      externalId: this.externalId,
      container: this.workflow.container,
      itemType: this.itemType,
      createdAt: new Date(this.createdAt),
      closedAt: state.closedAt === null ? null : new Date(state.closedAt),
      status: state.status,
      priority: state.priority,
      assignee: state.assignee,
      labels: [...state.labels],
    };
    const events = kept
      .flatMap((action) => action.events)
      .map(({ at, ...event }, index) => ({
        externalId: `${this.externalId}#${index + 1}`,
        itemExternalId: this.externalId,
        occurredAt: new Date(at),
        ...event,
      }));
    return { item, events };
  }

  private act(advance: (from: number, duration: number) => number, delay: number, actor: string | null, changes: readonly Change[]): void {
    const events: TimedEvent[] = [];
    let at = advance(this.clock, wholeSeconds(delay));
    for (const change of changes) {
      for (const draft of this.draftsFor(change)) {
        if (events.length > 0) at = advance(at, SECOND);
        events.push({ ...draft, at, actor });
        if (draft.type === "closed") this.state.closedAt = at;
        if (draft.type === "reopened") this.state.closedAt = null;
      }
      this.apply(change);
    }
    this.clock = at;
    this.actions.push({ events, endsAt: at, stateAfter: this.snapshot() });
  }

  private draftsFor(change: Change): EventDraft[] {
    if ("status" in change) return this.statusDrafts(change.status);
    if ("assignee" in change) return [{ type: "assigned", field: "assignee", from: this.state.assignee, to: change.assignee }];
    if ("priority" in change) return [{ type: "priority_changed", field: "priority", from: this.state.priority, to: change.priority }];
    return [{ type: "labeled", field: "label", from: null, to: change.label }];
  }

  private statusDrafts(to: string): EventDraft[] {
    const from = this.state.status;
    if (!this.nextStatuses().includes(to)) throw new Error(`${this.workflow.container} does not allow ${from} → ${to}`);
    const statusChanged: EventDraft = { type: "status_changed", field: "status", from, to };
    const wasClosed = this.workflow.closedStatuses.includes(from);
    const isClosed = this.workflow.closedStatuses.includes(to);
    if (!wasClosed && isClosed) return [statusChanged, { type: "closed", field: null, from: null, to: null }];
    if (wasClosed && !isClosed) return [{ type: "reopened", field: null, from: null, to: null }, statusChanged];
    return [statusChanged];
  }

  private apply(change: Change): void {
    if ("status" in change) this.state.status = change.status;
    else if ("assignee" in change) this.state.assignee = change.assignee;
    else if ("priority" in change) this.state.priority = change.priority;
    else this.state.labels.push(change.label);
  }

  private nextStatuses(): readonly string[] {
    return this.workflow.transitions[this.state.status] ?? [];
  }

  private snapshot(): ItemState {
    return { ...this.state, labels: [...this.state.labels] };
  }
}

// ---------------------------------------------------------------- support queue

type TicketPriority = "low" | "normal" | "high" | "urgent";

const TICKET_PRIORITIES = [["low", 0.15], ["normal", 0.55], ["high", 0.22], ["urgent", 0.08]] as const;
const TICKET_TOPICS = [["billing", 0.25], ["account-access", 0.2], ["bug-report", 0.25], ["how-to", 0.2], ["integrations", 0.1]] as const;
/** Mean working time until an agent picks up a new ticket. */
const FIRST_RESPONSE: Record<TicketPriority, number> = { low: 6 * HOUR, normal: 3 * HOUR, high: HOUR, urgent: 15 * MINUTE };
const ESCALATION: Record<Exclude<TicketPriority, "urgent">, TicketPriority> = { low: "normal", normal: "high", high: "urgent" };
const ESCALATION_CHANCE = 0.04;
const WORK_ON_TICKET = 3 * HOUR;
const HANDOVER_CHANCE = 0.1;
const MAX_HANDOVERS = 2;
const CUSTOMER_REPLY_CHANCE = 0.85;
const CUSTOMER_REPLY = 20 * HOUR;
/** Working time after which a ticket whose customer went silent is solved. */
const PENDING_TIMEOUT = 3 * WORKDAY;
const ENGINEERING_TURNAROUND = 2.5 * WORKDAY;
const REOPEN_CHANCE = 0.08;
const MAX_REOPENS = 2;
const REOPEN_DELAY = 18 * HOUR;
/** Solved tickets close automatically after this long unless the requester reopens them first. */
const AUTO_CLOSE_AFTER = 4 * DAY;

const PEAK_TICKET_RATE = 1.4;

/** Tickets per hour: busiest in the daytime, a third of that at weekends. */
function ticketArrivalRate(t: number): number {
  const hour = Math.floor(timeOfDay(t) / HOUR);
  const hourly = hour >= 8 && hour < 18 ? PEAK_TICKET_RATE : hour >= 18 && hour < 23 ? 0.55 : 0.25;
  return isWeekday(t) ? hourly : hourly * 0.35;
}

interface Ticket {
  timeline: ItemTimeline;
  requester: string;
  agent: string;
  priority: TicketPriority;
  handovers: number;
  /** Times the ticket went to Pending or On-hold; each makes another one less likely. */
  waits: number;
  reopens: number;
}

function simulateSupportQueue(rng: Random, from: number, to: number): ItemTimeline[] {
  return arrivalTimes(rng, from, to, ticketArrivalRate, PEAK_TICKET_RATE).map((arrival, index) => {
    const requester = rng.pick(CUSTOMERS).externalId;
    const ticket: Ticket = {
      timeline: new ItemTimeline(SUPPORT_WORKFLOW, `SUP-${index + 1}`, "ticket", arrival, requester),
      requester,
      agent: rng.pick(SUPPORT_AGENTS).externalId,
      priority: rng.weighted(TICKET_PRIORITIES),
      handovers: 0,
      waits: 0,
      reopens: 0,
    };
    while (!ticket.timeline.isFinal && ticket.timeline.lastEventAt <= to) advanceTicket(rng, ticket);
    return ticket.timeline;
  });
}

function advanceTicket(rng: Random, ticket: Ticket): void {
  switch (ticket.timeline.status) {
    case "New":
      return triageTicket(rng, ticket);
    case "Open":
      return workOnTicket(rng, ticket);
    case "Pending":
      return awaitCustomerReply(rng, ticket);
    case "On-hold":
      return awaitEngineering(rng, ticket);
    case "Solved":
      return awaitRequester(rng, ticket);
    default:
      throw new Error(`no ticket behaviour for status ${ticket.timeline.status}`);
  }
}

function triageTicket(rng: Random, ticket: Ticket): void {
  ticket.timeline.actDuringWorkingHours(rng.exponential(FIRST_RESPONSE[ticket.priority]), ticket.agent, [
    { assignee: ticket.agent },
    { priority: ticket.priority },
    { label: rng.weighted(TICKET_TOPICS) },
    { status: "Open" },
  ]);
}

function workOnTicket(rng: Random, ticket: Ticket): void {
  if (ticket.handovers < MAX_HANDOVERS && rng.chance(HANDOVER_CHANCE)) handOverTicket(rng, ticket);
  const next = rng.weighted([
    ["Pending", 0.3 / (1 + ticket.waits)],
    ["On-hold", 0.1 / (1 + ticket.waits)],
    ["Solved", 0.6],
  ] as const);
  if (next !== "Solved") ticket.waits += 1;
  ticket.timeline.actDuringWorkingHours(rng.exponential(WORK_ON_TICKET), ticket.agent, [
    ...escalation(rng, ticket),
    { status: next },
  ]);
}

function handOverTicket(rng: Random, ticket: Ticket): void {
  const successor = pickOther(rng, SUPPORT_AGENTS, ticket.agent);
  ticket.timeline.actDuringWorkingHours(rng.exponential(2 * HOUR), ticket.agent, [{ assignee: successor }]);
  ticket.agent = successor;
  ticket.handovers += 1;
}

/** Customers who chase a ticket get it raised one priority level. */
function escalation(rng: Random, ticket: Ticket): Change[] {
  if (ticket.priority === "urgent" || !rng.chance(ESCALATION_CHANCE)) return [];
  ticket.priority = ESCALATION[ticket.priority];
  return [{ priority: ticket.priority }];
}

function awaitCustomerReply(rng: Random, ticket: Ticket): void {
  if (rng.chance(CUSTOMER_REPLY_CHANCE)) {
    ticket.timeline.actAnytime(rng.exponential(CUSTOMER_REPLY), ticket.requester, [{ status: "Open" }]);
  } else {
    ticket.timeline.actDuringWorkingHours(PENDING_TIMEOUT, ticket.agent, [{ status: "Solved" }]);
  }
}

function awaitEngineering(rng: Random, ticket: Ticket): void {
  ticket.timeline.actDuringWorkingHours(rng.exponential(ENGINEERING_TURNAROUND), ticket.agent, [{ status: "Open" }]);
}

function awaitRequester(rng: Random, ticket: Ticket): void {
  if (ticket.reopens < MAX_REOPENS && rng.chance(REOPEN_CHANCE)) {
    ticket.reopens += 1;
    const delay = Math.min(rng.exponential(REOPEN_DELAY), AUTO_CLOSE_AFTER - HOUR);
    ticket.timeline.actAnytime(delay, ticket.requester, [{ status: "Open" }]);
  } else {
    ticket.timeline.actAnytime(AUTO_CLOSE_AFTER, null, [{ status: "Closed" }]);
  }
}

// ---------------------------------------------------------------- engineering board

type BoardItemType = "story" | "bug" | "task";

const BOARD_ITEM_TYPES = [["story", 0.45], ["bug", 0.35], ["task", 0.2]] as const;
const BOARD_PRIORITIES = [["low", 0.2], ["medium", 0.5], ["high", 0.22], ["highest", 0.08]] as const;
const AREAS = [["frontend", 0.4], ["backend", 0.45], ["infra", 0.15]] as const;
/** Share of bugs that support escalates from customer tickets. */
const CUSTOMER_REPORTED_SHARE = 0.35;
/** Items filed per working hour. */
const BOARD_ARRIVAL_RATE = 0.75;
const BACKLOG_WAIT = 3 * WORKDAY;
/** Some items sit in the backlog far longer than the rest. */
const NEGLECTED_SHARE = 0.15;
const NEGLECTED_BACKLOG_WAIT = 20 * WORKDAY;
const TODO_WAIT = 1.5 * WORKDAY;
const HANDOVER_BEFORE_START_CHANCE = 0.08;
/** Mean working time from starting an item to asking for review, by item type. */
const WORK_ON_ITEM: Record<BoardItemType, number> = { story: 2.5 * WORKDAY, bug: WORKDAY, task: 0.6 * WORKDAY };
const BLOCK_CHANCE = 0.15;
const MAX_BLOCKS = 2;
const BLOCKED_FOR = 1.5 * WORKDAY;
const REVIEW_TIME = 4 * HOUR;
const CHANGES_REQUESTED_CHANCE = 0.22;
/** Reviews after rework pass more often. */
const CHANGES_REQUESTED_AGAIN_CHANCE = 0.08;

function boardArrivalRate(t: number): number {
  return isWorkingTime(t) ? BOARD_ARRIVAL_RATE : 0;
}

interface BoardItem {
  timeline: ItemTimeline;
  itemType: BoardItemType;
  assignee: string;
  handedOver: boolean;
  blocks: number;
  reworks: number;
}

function simulateEngineeringBoard(rng: Random, from: number, to: number): ItemTimeline[] {
  return arrivalTimes(rng, from, to, boardArrivalRate, BOARD_ARRIVAL_RATE).map((createdAt, index) => {
    const itemType = rng.weighted(BOARD_ITEM_TYPES);
    const customerReported = itemType === "bug" && rng.chance(CUSTOMER_REPORTED_SHARE);
    // Support files the customer-reported bugs; engineers file everything else.
    const reporter = rng.pick(customerReported ? SUPPORT_AGENTS : ENGINEERS).externalId;
    const timeline = new ItemTimeline(ENGINEERING_WORKFLOW, `ENG-${index + 1}`, itemType, createdAt, reporter);
    const labels = customerReported ? [rng.weighted(AREAS), "customer-reported"] : [rng.weighted(AREAS)];
    timeline.actDuringWorkingHours(SECOND, reporter, [
      { priority: rng.weighted(BOARD_PRIORITIES) },
      ...labels.map((label) => ({ label })),
    ]);
    const item: BoardItem = {
      timeline,
      itemType,
      assignee: rng.pick(ENGINEERS).externalId,
      handedOver: false,
      blocks: 0,
      reworks: 0,
    };
    while (!timeline.isFinal && timeline.lastEventAt <= to) advanceBoardItem(rng, item);
    return timeline;
  });
}

function advanceBoardItem(rng: Random, item: BoardItem): void {
  switch (item.timeline.status) {
    case "Backlog":
      return planItem(rng, item);
    case "To Do":
      return startItem(rng, item);
    case "In Progress":
      return workOnItem(rng, item);
    case "Blocked":
      return unblockItem(rng, item);
    case "In Review":
      return reviewItem(rng, item);
    default:
      throw new Error(`no board behaviour for status ${item.timeline.status}`);
  }
}

/** The engineer who will do the item pulls it into the sprint. */
function planItem(rng: Random, item: BoardItem): void {
  const wait = rng.exponential(rng.chance(NEGLECTED_SHARE) ? NEGLECTED_BACKLOG_WAIT : BACKLOG_WAIT);
  item.timeline.actDuringWorkingHours(wait, item.assignee, [{ status: "To Do" }, { assignee: item.assignee }]);
}

function startItem(rng: Random, item: BoardItem): void {
  if (!item.handedOver && rng.chance(HANDOVER_BEFORE_START_CHANCE)) {
    const successor = pickOther(rng, ENGINEERS, item.assignee);
    item.timeline.actDuringWorkingHours(rng.exponential(TODO_WAIT / 3), item.assignee, [{ assignee: successor }]);
    item.assignee = successor;
    item.handedOver = true;
  }
  item.timeline.actDuringWorkingHours(rng.exponential(TODO_WAIT), item.assignee, [{ status: "In Progress" }]);
}

function workOnItem(rng: Random, item: BoardItem): void {
  // Rework after review is a fraction of the original effort.
  const work = rng.exponential(WORK_ON_ITEM[item.itemType] / (1 + item.reworks));
  if (item.blocks < MAX_BLOCKS && rng.chance(BLOCK_CHANCE)) {
    item.blocks += 1;
    item.timeline.actDuringWorkingHours(work / 2, item.assignee, [{ status: "Blocked" }]);
  } else {
    item.timeline.actDuringWorkingHours(work, item.assignee, [{ status: "In Review" }]);
  }
}

function unblockItem(rng: Random, item: BoardItem): void {
  item.timeline.actDuringWorkingHours(rng.exponential(BLOCKED_FOR), item.assignee, [{ status: "In Progress" }]);
}

/** A colleague reviews; on approval the author merges and moves the item to Done. */
function reviewItem(rng: Random, item: BoardItem): void {
  const review = rng.exponential(REVIEW_TIME);
  const changesRequested = rng.chance(item.reworks === 0 ? CHANGES_REQUESTED_CHANCE : CHANGES_REQUESTED_AGAIN_CHANCE);
  if (changesRequested) {
    item.reworks += 1;
    item.timeline.actDuringWorkingHours(review, pickOther(rng, ENGINEERS, item.assignee), [{ status: "In Progress" }]);
  } else {
    item.timeline.actDuringWorkingHours(review, item.assignee, [{ status: "Done" }]);
  }
}

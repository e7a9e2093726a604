/**
 * GitHub issues and issue events → event-log records. Each payload is first projected onto
 * the field paths listed below (the manifest shows the same lists), so the mapping code
 * never sees a title, body, rename or comment: they are gone before it starts.
 */
import type { ActorRecord, EventLogBatch, EventRecord, WorkItemRecord } from "../types.js";

/**
 * Issue fields read, as paths into the issue object → why. `a.b` reads a nested field,
 * `a[].b` a field of each array element, `a?` only whether `a` is present.
 */
export const ISSUE_FIELDS_KEPT = {
  number: "identifies the item within its repository",
  "pull_request?": "presence only: tells a pull request from an issue",
  state: "status: open or closed",
  state_reason: "whether a closed issue was not planned or a duplicate (not finished work)",
  created_at: "when the item was created; its history starts there",
  closed_at: "when the item was closed",
  updated_at: "the issues stream's watermark; not stored",
  "user.id": "who opened the item",
  "user.login": "display name of that person",
  "assignees[].id": "who holds the item (the first assignee)",
  "assignees[].login": "display names of the assignees",
  "labels[].name": "labels on the item",
} as const satisfies Record<string, string>;

/** Event kinds kept, and how each becomes an event-log change. Every other kind is dropped. */
const EVENT_CHANGES = {
  labeled: (e) => (e.label === null ? null : { type: "labeled", field: "label", from: null, to: e.label }),
  unlabeled: (e) => (e.label === null ? null : { type: "unlabeled", field: "label", from: e.label, to: null }),
  assigned: (e) => (e.assignee === null ? null : { type: "assigned", field: "assignee", from: null, to: e.assignee.id }),
  unassigned: (e) => (e.assignee === null ? null : { type: "assigned", field: "assignee", from: e.assignee.id, to: null }),
  // A milestone name is a short, label-like release tag; its description is not read.
  milestoned: (e) => (e.milestone === null ? null : { type: "labeled", field: "milestone", from: null, to: e.milestone }),
  demilestoned: (e) => (e.milestone === null ? null : { type: "unlabeled", field: "milestone", from: e.milestone, to: null }),
  closed: (e) => ({ type: "closed", field: "status", from: "open", to: issueStatus("closed", e.stateReason) }),
  // The closed status it leaves (plain, not planned, duplicate) is not in the event.
  reopened: () => ({ type: "reopened", field: "status", from: null, to: "open" }),
} satisfies Record<string, (event: GitHubIssueEvent) => Change | null>;

/** Issue-event fields read (same path syntax as ISSUE_FIELDS_KEPT) → why. */
export const EVENT_FIELDS_KEPT = {
  id: "the event's identity; the events stream's cursor",
  event: `what happened; only ${Object.keys(EVENT_CHANGES).join(", ")} are kept`,
  created_at: "when it happened",
  "actor.id": "who did it",
  "actor.login": "display name of that person",
  "assigner.id": "who made an assignment (GitHub reports the assignee as the actor)",
  "assigner.login": "display name of the assigner",
  "assignee.id": "who was assigned or unassigned",
  "assignee.login": "display name of the assignee",
  "label.name": "the label added or removed",
  "milestone.title": "the milestone (a release name) set or removed",
  state_reason: "why a closed event closed the issue",
} as const satisfies Record<string, string>;

/** Every path read from an issue event: its own fields and those of the issue it embeds. */
const EVENT_PATHS = [...Object.keys(EVENT_FIELDS_KEPT), ...Object.keys(ISSUE_FIELDS_KEPT).map((path) => `issue.${path}`)];
const ISSUE_PATHS = Object.keys(ISSUE_FIELDS_KEPT);

/** Content GitHub sends in these payloads that the projection leaves behind. */
export const FIELDS_DROPPED = [
  "issue.title",
  "issue.body",
  "issue.milestone (title and description)",
  "issue.labels[].description",
  "issue.pull_request.url, html_url, diff_url, patch_url (links to the code)",
  "issue.comments, reactions, author_association, locked, active_lock_reason",
  "event.rename.from, event.rename.to (old and new titles)",
  "event.commit_id, event.commit_url (links to the code)",
  "event.issue.title, event.issue.body",
  "events of every other kind: renamed, referenced, cross-referenced, commented, head_ref_*, review_*, mentioned, subscribed, …",
] as const;

export interface GitHubUser {
  /** GitHub's numeric user id, as a string: logins can be renamed, ids cannot. */
  id: string;
  login: string;
}

export interface GitHubIssue {
  number: number;
  isPullRequest: boolean;
  state: string;
  stateReason: string | null;
  createdAt: Date;
  closedAt: Date | null;
  updatedAt: Date;
  user: GitHubUser | null;
  assignees: GitHubUser[];
  labels: string[];
}

export interface GitHubIssueEvent {
  id: number;
  kind: string;
  createdAt: Date;
  actor: GitHubUser | null;
  assigner: GitHubUser | null;
  assignee: GitHubUser | null;
  label: string | null;
  milestone: string | null;
  stateReason: string | null;
  issue: GitHubIssue | null;
}

type Change = Pick<EventRecord, "type" | "field" | "from" | "to">;
type Fields = Record<string, unknown>;

/** Reads an issue from the list-issues API (or embedded in an event) through ISSUE_FIELDS_KEPT. */
export function parseIssue(raw: unknown): GitHubIssue {
  return issueFrom(project(raw, ISSUE_PATHS));
}

/** Reads an event from the repository issue-events API through EVENT_FIELDS_KEPT. */
export function parseIssueEvent(raw: unknown): GitHubIssueEvent {
  const fields = project(raw, EVENT_PATHS);
  return {
    id: required(integer(fields.id), "event id"),
    kind: required(text(fields.event), "event kind"),
    createdAt: required(date(fields.created_at), "event created_at"),
    actor: user(fields.actor),
    assigner: user(fields.assigner),
    assignee: user(fields.assignee),
    label: text(record(fields.label)?.name),
    milestone: text(record(fields.milestone)?.title),
    stateReason: text(fields.state_reason),
    issue: fields.issue === undefined ? null : issueFrom(record(fields.issue) ?? {}),
  };
}

function issueFrom(fields: Fields): GitHubIssue {
  return {
    number: required(integer(fields.number), "issue number"),
    isPullRequest: fields.pull_request === true,
    state: required(text(fields.state), "issue state"),
    stateReason: text(fields.state_reason),
    createdAt: required(date(fields.created_at), "issue created_at"),
    closedAt: date(fields.closed_at),
    updatedAt: required(date(fields.updated_at), "issue updated_at"),
    user: user(fields.user),
    assignees: list(fields.assignees).flatMap((entry) => user(entry) ?? []),
    labels: list(fields.labels).flatMap((entry) => text(record(entry)?.name) ?? []),
  };
}

/** Items are keyed per connection, and one connection reads several repositories. */
export function itemExternalId(repository: string, number: number): string {
  return `${repository}#${number}`;
}

/**
 * A closed issue's status says when the work was not done ("closed:not_planned",
 * "closed:duplicate"); "completed" and no reason (pull requests, older issues) are "closed".
 */
export function issueStatus(state: string, stateReason: string | null): string {
  return state === "closed" && (stateReason === "not_planned" || stateReason === "duplicate") ? `closed:${stateReason}` : state;
}

/** Collects records for one batch; ingest upserts each actor and item once per statement. */
export class BatchBuilder {
  private readonly actors = new Map<string, ActorRecord>();
  private readonly items = new Map<string, WorkItemRecord>();
  private readonly events = new Map<string, EventRecord>();

  /** The item, its people, and a "created" event so its history starts at creation. */
  addIssue(repository: string, issue: GitHubIssue): void {
    const externalId = itemExternalId(repository, issue.number);
    this.addActors(issue.user, ...issue.assignees);
    this.items.set(externalId, {
      externalId,
      container: repository,
      itemType: issue.isPullRequest ? "pull_request" : "issue",
      createdAt: issue.createdAt,
      closedAt: issue.closedAt,
      status: issueStatus(issue.state, issue.stateReason),
      priority: null,
      assignee: issue.assignees[0]?.id ?? null,
      labels: issue.labels,
    });
    this.addEvent({
      externalId: `${externalId}#created`,
      itemExternalId: externalId,
      occurredAt: issue.createdAt,
      actor: issue.user?.id ?? null,
      type: "created",
      field: null,
      from: null,
      to: "open",
    });
  }

  /** An event of a kept kind, with the issue it embeds (so ingest finds the item); false when dropped. */
  addIssueEvent(repository: string, event: GitHubIssueEvent): boolean {
    const change = changeOf(event);
    if (!change || !event.issue) return false;
    this.addIssue(repository, event.issue);
    // For (un)assignments GitHub reports the assignee as the actor; the assigner did it.
    const doneBy = event.assigner ?? event.actor;
    this.addActors(doneBy, event.assignee);
    this.addEvent({
      externalId: String(event.id),
      itemExternalId: itemExternalId(repository, event.issue.number),
      occurredAt: event.createdAt,
      actor: doneBy?.id ?? null,
      ...change,
    });
    return true;
  }

  build(): EventLogBatch {
    return { actors: [...this.actors.values()], items: [...this.items.values()], events: [...this.events.values()] };
  }

  private addActors(...people: (GitHubUser | null)[]): void {
    for (const person of people) if (person) this.actors.set(person.id, { externalId: person.id, displayName: person.login });
  }

  private addEvent(event: EventRecord): void {
    if (!this.events.has(event.externalId)) this.events.set(event.externalId, event);
  }
}

function changeOf(event: GitHubIssueEvent): Change | null {
  if (!Object.hasOwn(EVENT_CHANGES, event.kind)) return null;
  return EVENT_CHANGES[event.kind as keyof typeof EVENT_CHANGES](event);
}

// ---------------------------------------------------------------- projection

/**
 * A copy of `source` with only the given paths. Leaves are copied only when they are
 * scalars, so a path can never carry a whole object (and the text inside it) through.
 */
export function project(source: unknown, paths: readonly string[]): Fields {
  const target: Fields = {};
  for (const path of paths) copyPath(source, path.split("."), target);
  return target;
}

function copyPath(source: unknown, [head, ...rest]: string[], target: Fields): void {
  const from = record(source);
  if (head === undefined || from === null) return;
  if (head.endsWith("?")) {
    const key = head.slice(0, -1);
    target[key] = from[key] !== undefined && from[key] !== null;
  } else if (head.endsWith("[]")) {
    const key = head.slice(0, -2);
    const elements = list(from[key]);
    const copies = (target[key] ??= elements.map(() => ({}))) as Fields[];
    elements.forEach((element, index) => copyPath(element, rest, copies[index]!));
  } else if (rest.length === 0) {
    if (isScalar(from[head])) target[head] = from[head];
  } else if (record(from[head])) {
    copyPath(from[head], rest, (target[head] ??= {}) as Fields);
  }
}

// ---------------------------------------------------------------- readers

function isScalar(value: unknown): value is string | number | boolean | null {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

function record(value: unknown): Fields | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Fields) : null;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function text(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function integer(value: unknown): number | null {
  return Number.isSafeInteger(value) ? (value as number) : null;
}

function date(value: unknown): Date | null {
  if (typeof value !== "string") return null;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? null : parsed;
}

function user(value: unknown): GitHubUser | null {
  const fields = record(value);
  const id = integer(fields?.id);
  const login = text(fields?.login);
  return id === null || login === null ? null : { id: String(id), login };
}

/** The message names the field only: the payload may hold content and is never quoted. */
function required<T>(value: T | null, what: string): T {
  if (value === null) throw new Error(`GitHub sent a record without a valid ${what}`);
  return value;
}

import type { ActorRecord, EventLogBatch, EventRecord, EventType, WorkItemRecord } from "../types.js";

/**
 * Issue fields the search asks for, each with why it is kept. The search names them one by
 * one, so content fields (summary, description, comments, attachments) never leave Jira.
 */
export const ISSUE_FIELDS = {
  project: "the project (container) the issue lives in",
  issuetype: "kind of work: story, bug, task",
  status: "current workflow state",
  priority: "urgency",
  assignee: "who holds the issue: account id and display name",
  labels: "area of work",
  created: "when the issue was created",
  updated: "where the next incremental scan starts",
  resolutiondate: "when the issue was closed",
} as const;

/**
 * Changelog fields kept as events. Every other changelog item is dropped without reading
 * its values: `fromString`/`toString` of a description change hold the description text.
 * An issue type change is dropped too: there is no event type for it, and the work item
 * carries the current type.
 */
export const CHANGELOG_FIELDS = {
  status: "status_changed: status names before and after",
  assignee: "assigned: account ids before and after",
  priority: "priority_changed: priority names before and after",
  labels: "labeled / unlabeled: each label added or removed",
  resolution: "closed when a resolution is set, reopened when it is cleared",
} as const;

type ChangelogField = keyof typeof CHANGELOG_FIELDS;

export const SEARCH_FIELDS = Object.keys(ISSUE_FIELDS) as (keyof typeof ISSUE_FIELDS)[];
export const CHANGELOG_FIELD_IDS = Object.keys(CHANGELOG_FIELDS) as ChangelogField[];

export interface JiraUser {
  accountId: string;
  displayName?: string;
}

/** An issue as the search returns it for SEARCH_FIELDS. */
export interface JiraIssue {
  id: string;
  key: string;
  fields: {
    project: { key: string };
    issuetype: { name: string };
    status: { name: string };
    priority?: { name: string } | null;
    assignee?: JiraUser | null;
    labels?: string[];
    created: string;
    updated: string;
    resolutiondate?: string | null;
  };
}

export interface JiraChangeItem {
  field: string;
  /** Absent for pseudo-fields such as Link, RemoteIssueLink and Workflow. */
  fieldId?: string;
  from: string | null;
  fromString: string | null;
  to: string | null;
  toString: string | null;
}

export interface JiraHistory {
  id: string;
  created: string;
  author?: JiraUser | null;
  items: JiraChangeItem[];
}

/** Jira writes offsets without a colon (`+0800`), which Date.parse does not promise to read. */
export function parseJiraTime(text: string): Date {
  const date = new Date(text.replace(/([+-]\d{2})(\d{2})$/, "$1:$2"));
  if (Number.isNaN(date.getTime())) throw new Error(`Jira sent a timestamp that is not a date: ${JSON.stringify(text)}`);
  return date;
}

/** Maps one search page and its changelogs (by issue id) into an event log batch. */
export function mapIssues(issues: readonly JiraIssue[], historiesByIssueId: ReadonlyMap<string, readonly JiraHistory[]>): EventLogBatch {
  const actors = new ActorDirectory();
  const items: WorkItemRecord[] = [];
  const events: EventRecord[] = [];
  for (const issue of issues) {
    const histories = inTimeOrder(historiesByIssueId.get(issue.id) ?? []);
    items.push(workItemOf(issue, actors));
    events.push(createdEvent(issue, histories));
    for (const history of histories) events.push(...historyEvents(issue.key, history, actors));
  }
  return { actors: actors.list(), items, events };
}

function workItemOf(issue: JiraIssue, actors: ActorDirectory): WorkItemRecord {
  const { fields } = issue;
  if (fields.assignee) actors.note(fields.assignee.accountId, fields.assignee.displayName);
  return {
    externalId: issue.key,
    container: fields.project.key,
    itemType: fields.issuetype.name,
    createdAt: parseJiraTime(fields.created),
    closedAt: fields.resolutiondate ? parseJiraTime(fields.resolutiondate) : null,
    status: fields.status.name,
    priority: fields.priority?.name ?? null,
    assignee: fields.assignee?.accountId ?? null,
    labels: fields.labels ?? [],
  };
}

/** The status an issue was created in is the `from` of its first status change, if it ever changed. */
function createdEvent(issue: JiraIssue, histories: readonly JiraHistory[]): EventRecord {
  const firstStatusChange = histories.flatMap((history) => history.items).find((item) => item.fieldId === "status");
  return {
    externalId: `${issue.key}#created`,
    itemExternalId: issue.key,
    occurredAt: parseJiraTime(issue.fields.created),
    actor: null,
    type: "created",
    field: null,
    from: null,
    to: firstStatusChange?.fromString ?? issue.fields.status.name,
  };
}

function historyEvents(itemKey: string, history: JiraHistory, actors: ActorDirectory): EventRecord[] {
  const actor = history.author?.accountId || null;
  if (actor) actors.note(actor, history.author?.displayName);
  const base = { itemExternalId: itemKey, occurredAt: parseJiraTime(history.created), actor };
  return history.items.filter(isKeptItem).flatMap((item) =>
    changesOf(item, actors).map((change) => ({
      ...base,
      externalId: `${history.id}:${item.fieldId}${change.idSuffix ?? ""}`,
      type: change.type,
      field: item.fieldId,
      from: change.from,
      to: change.to,
    })),
  );
}

type KeptItem = JiraChangeItem & { fieldId: ChangelogField };

/** Only Jira's own fields by id: a custom field may be named "status", never id'd so. */
function isKeptItem(item: JiraChangeItem): item is KeptItem {
  return item.fieldId !== undefined && Object.hasOwn(CHANGELOG_FIELDS, item.fieldId);
}

interface Change {
  type: EventType;
  from: string | null;
  to: string | null;
  /** Tells apart several events from one item (labels). */
  idSuffix?: string;
}

function changesOf(item: KeptItem, actors: ActorDirectory): Change[] {
  switch (item.fieldId) {
    case "status":
      return [{ type: "status_changed", from: item.fromString, to: item.toString }];
    case "priority":
      return [{ type: "priority_changed", from: item.fromString, to: item.toString }];
    case "assignee":
      if (item.from) actors.note(item.from, item.fromString ?? undefined);
      if (item.to) actors.note(item.to, item.toString ?? undefined);
      return [{ type: "assigned", from: item.from, to: item.to }];
    case "resolution":
      return item.to === null
        ? [{ type: "reopened", from: item.fromString, to: null }]
        : [{ type: "closed", from: item.fromString, to: item.toString }];
    case "labels":
      return labelChanges(item.fromString, item.toString);
  }
}

/** Jira records labels as the whole space-separated list before and after; events name each label. */
function labelChanges(before: string | null, after: string | null): Change[] {
  const was = labelSet(before);
  const is = labelSet(after);
  return [
    ...[...is].filter((label) => !was.has(label)).map((label): Change => ({ type: "labeled", from: null, to: label, idSuffix: `:+${label}` })),
    ...[...was].filter((label) => !is.has(label)).map((label): Change => ({ type: "unlabeled", from: label, to: null, idSuffix: `:-${label}` })),
  ];
}

const labelSet = (list: string | null) => new Set((list ?? "").split(/\s+/).filter(Boolean));

/** Oldest first; ties (one bulk edit) by history id, which Jira assigns in order. */
function inTimeOrder(histories: readonly JiraHistory[]): JiraHistory[] {
  return histories
    .map((history) => ({ history, at: parseJiraTime(history.created).getTime() }))
    .sort((a, b) => a.at - b.at || Number(a.history.id) - Number(b.history.id))
    .map(({ history }) => history);
}

/** Everyone a page mentions, once each; a known display name is never replaced by an id. */
class ActorDirectory {
  private readonly names = new Map<string, string>();

  note(accountId: string, displayName: string | undefined): void {
    if (displayName) this.names.set(accountId, displayName);
    else if (!this.names.has(accountId)) this.names.set(accountId, accountId);
  }

  list(): ActorRecord[] {
    return [...this.names].map(([externalId, displayName]) => ({ externalId, displayName }));
  }
}

/**
 * The event-log shapes every connector maps provider payloads into. Only workflow
 * metadata fits here: there is no field for a title, body, comment or description.
 */
export interface ActorRecord {
  /** The provider's stable id for the person. */
  externalId: string;
  displayName: string;
}

export interface WorkItemRecord {
  externalId: string;
  /** Project, repository, queue or mailbox the item lives in. */
  container: string;
  itemType: string;
  createdAt: Date;
  closedAt: Date | null;
  status: string;
  priority: string | null;
  /** Actor external id of the current assignee. */
  assignee: string | null;
  labels: string[];
}

export type EventType =
  | "created"
  | "status_changed"
  | "assigned"
  | "priority_changed"
  | "labeled"
  | "unlabeled"
  | "closed"
  | "reopened";

export interface EventRecord {
  /** Unique per connection; re-ingesting the same event is a no-op. */
  externalId: string;
  itemExternalId: string;
  occurredAt: Date;
  /** Actor external id of who did it, when the provider says. */
  actor: string | null;
  type: EventType;
  field: string | null;
  from: string | null;
  to: string | null;
}

export interface EventLogBatch {
  actors: ActorRecord[];
  items: WorkItemRecord[];
  events: EventRecord[];
}

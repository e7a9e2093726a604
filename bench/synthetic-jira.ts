import type { Random } from "../app/src/connectors/demo/random.js";
import type { JiraChangeItem, JiraHistory, JiraUser } from "../app/src/connectors/jira/map.js";
import type { RecordedIssue } from "../test/fakes/jira.js";

export interface SyntheticJira {
  issues: RecordedIssue[];
  /** Change histories by issue id, as the fake serves them. */
  changelogs: Map<string, JiraHistory[]>;
}

/** An issue's current state, as its histories leave it. */
interface Board {
  status: string;
  assignee: JiraUser | null;
  resolvedAt: string | null;
}

const HOUR = 3_600_000;
const STATUS_IDS: Readonly<Record<string, string>> = { "To Do": "10000", "In Progress": "3", "In Review": "10001", Done: "10002" };
/** The board's workflow: which statuses may follow each status (repeats weigh the choice). */
const TRANSITIONS: Readonly<Record<string, readonly string[]>> = {
  "To Do": ["In Progress"],
  "In Progress": ["In Review", "In Review", "To Do"],
  "In Review": ["Done", "Done", "In Progress"],
  Done: ["In Progress"],
};
const PEOPLE: readonly Required<JiraUser>[] = Array.from({ length: 25 }, (_, n) => ({ accountId: `5f00000000000000000bench${String(n).padStart(2, "0")}`, displayName: `Engineer ${n + 1}` }));

/**
 * A Jira project of `count` issues, each with 5 to 15 changes to its status or assignee,
 * one history each, as a team's board accumulates them; resolving or reopening an issue
 * sets or clears the resolution in the same history. Times are Jira's (`+0000` offsets).
 */
export function syntheticJira(project: string, count: number, start: Date, rng: Random): SyntheticJira {
  const issues: RecordedIssue[] = [];
  const changelogs = new Map<string, JiraHistory[]>();
  let historyId = 100_000;
  for (let n = 1; n <= count; n += 1) {
    const createdAt = start.getTime() + n * HOUR;
    const board: Board = { status: "To Do", assignee: null, resolvedAt: null };
    const histories: JiraHistory[] = [];
    const changes = 5 + Math.floor(rng.next() * 11);
    for (let change = 1; change <= changes; change += 1) {
      historyId += 1;
      histories.push(historyOf(rng, board, String(historyId), jiraTime(createdAt + change * 4 * HOUR), rng.chance(0.6)));
    }
    const issue = issueOf(project, n, jiraTime(createdAt));
    Object.assign(issue.fields, boardFields(board), { updated: histories.at(-1)!.created });
    issues.push(issue);
    changelogs.set(issue.id, histories);
  }
  return { issues, changelogs };
}

/** One more status change of `issue` at `at`: what an incremental scan picks up. */
export function changeIssue(jira: SyntheticJira, issue: RecordedIssue, historyId: string, at: Date, rng: Random): void {
  const board: Board = { status: issue.fields.status.name, assignee: issue.fields.assignee ?? null, resolvedAt: issue.fields.resolutiondate ?? null };
  const created = jiraTime(at.getTime());
  jira.changelogs.get(issue.id)!.push(historyOf(rng, board, historyId, created, true));
  Object.assign(issue.fields, boardFields(board), { updated: created });
}

function historyOf(rng: Random, board: Board, id: string, created: string, moves: boolean): JiraHistory {
  const items = moves ? statusChange(rng, board, created) : assigneeChange(rng, board);
  return { id, created, author: rng.pick(PEOPLE), items };
}

function statusChange(rng: Random, board: Board, at: string): JiraChangeItem[] {
  const from = board.status;
  const to = rng.pick(TRANSITIONS[from]!);
  board.status = to;
  const items: JiraChangeItem[] = [{ field: "status", fieldId: "status", from: STATUS_IDS[from]!, fromString: from, to: STATUS_IDS[to]!, toString: to }];
  if (to === "Done") {
    board.resolvedAt = at;
    items.push({ field: "resolution", fieldId: "resolution", from: null, fromString: null, to: "10000", toString: "Done" });
  }
  if (from === "Done") {
    board.resolvedAt = null;
    items.push({ field: "resolution", fieldId: "resolution", from: "10000", fromString: "Done", to: null, toString: null });
  }
  return items;
}

function assigneeChange(rng: Random, board: Board): JiraChangeItem[] {
  const from = board.assignee;
  const to = rng.pick(PEOPLE.filter((person) => person !== from));
  board.assignee = to;
  return [{ field: "assignee", fieldId: "assignee", from: from?.accountId ?? null, fromString: from?.displayName ?? null, to: to.accountId, toString: to.displayName }];
}

function issueOf(project: string, n: number, created: string): RecordedIssue {
  return {
    id: String(10_000 + n),
    key: `${project}-${n}`,
    fields: {
      project: { key: project },
      issuetype: { name: n % 5 === 0 ? "Bug" : "Story" },
      status: { name: "To Do" },
      priority: { name: n % 7 === 0 ? "High" : "Medium" },
      labels: n % 3 === 0 ? ["backend"] : [],
      created,
      updated: created,
      // Recorded issues carry content too; the search must not ask for it.
      summary: `Synthetic issue ${n}`,
    },
  };
}

function boardFields(board: Board) {
  return { status: { name: board.status }, assignee: board.assignee, resolutiondate: board.resolvedAt };
}

/** Jira's timestamp format: milliseconds and an offset without a colon. */
const jiraTime = (ms: number) => new Date(ms).toISOString().replace("Z", "+0000");

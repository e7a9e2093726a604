/**
 * Jira requests per 1,000 issues with their full status history: the Jira connector's scan
 * against the fake Jira, through the real connector HTTP client, counting what the fake saw.
 */
import { pino } from "pino";
import type { JsonValue, ScanContext } from "../app/src/connectors/connector.js";
import { Random } from "../app/src/connectors/demo/random.js";
import { createConnectorHttp } from "../app/src/connectors/http/client.js";
import { jiraConnector } from "../app/src/connectors/jira/connector.js";
import { mapIssues } from "../app/src/connectors/jira/map.js";
import type { EventRecord } from "../app/src/connectors/types.js";
import { startFakeJira, type FakeJira, type RecordedRequest } from "../test/fakes/jira.js";
import type { Benchmark } from "./run.js";
import { changeIssue, syntheticJira, type SyntheticJira } from "./synthetic-jira.js";

const PROJECT = "BEN";
const ISSUES = 1_000;
const CHANGED_ISSUES = 50;
const START = new Date("2026-01-05T09:00:00Z");
const CREDENTIALS = { kind: "api_token", email: "bench@example.com", token: "bench-token", site: "bench" };
/**
 * Issues a search page holds, as Jira decides: it returns fewer than asked when more fields
 * are named, and does not publish the number, so the scan is measured at both ends.
 */
const SEARCH_PAGES = [100, 1_000];
/** Histories a bulk changelog page holds: the most the scan may ask for, as Jira's API schema sets it. */
const CHANGELOG_PAGE = 10_000;
const SEARCH_PATH = "/rest/api/3/search/jql";
const CHANGELOG_PATH = "/rest/api/3/changelog/bulkfetch";

interface ScanOutcome {
  issues: number;
  events: EventRecord[];
  cursor: JsonValue | null;
  requests: RecordedRequest[];
}

const bench: Benchmark = async () => {
  const rng = new Random(2026);
  const jira = syntheticJira(PROJECT, ISSUES, START, rng);
  const histories = [...jira.changelogs.values()].reduce((sum, list) => sum + list.length, 0);
  const fakes: FakeJira[] = [];
  const startFake = async (searchPage: number) => {
    const fake = await startFakeJira({
      issues: jira.issues,
      changelogs: jira.changelogs,
      statuses: [],
      pageSize: { search: searchPage, changelog: CHANGELOG_PAGE },
      auth: { email: CREDENTIALS.email, token: CREDENTIALS.token },
    });
    fakes.push(fake);
    return fake;
  };
  try {
    const fullRows: (string | number)[][] = [];
    let full: ScanOutcome | undefined;
    let fake: FakeJira | undefined;
    for (const searchPage of SEARCH_PAGES) {
      fake = await startFake(searchPage);
      full = await scan(fake, null);
      assertComplete(jira, full);
      fullRows.push(row(`full, ${searchPage.toLocaleString("en")} issues a search page`, full, perThousand(full.requests.length, full.issues)));
    }
    const unchanged = await scan(fake!, full!.cursor);
    changeSomeIssues(jira, full!.cursor, rng);
    const changed = await scan(fake!, unchanged.cursor);
    return {
      title: "Jira: requests per 1,000 issues with full status history",
      description:
        `A full scan of one project of ${ISSUES.toLocaleString("en")} issues (5–15 status or assignee changes each, ${histories.toLocaleString("en")} histories in all) ` +
        `from the fake Jira, which pages as Jira Cloud does (${CHANGELOG_PAGE.toLocaleString("en")} histories a bulk changelog page; ` +
        `the scan asks for 1,000 issues a search page and Jira returns as many as it chooses, measured here at ${SEARCH_PAGES.join(" and ")}), ` +
        "then incremental scans from the saved cursor. Target: at most 15 requests per 1,000 issues.",
      columns: ["scan", "issues read", "events", "search requests", "changelog requests", "requests", "requests per 1,000 issues"],
      rows: [
        ...fullRows,
        perIssueChangelogs(full!),
        row("incremental, nothing changed", unchanged, "—"),
        row(`incremental, ${CHANGED_ISSUES} issues changed`, changed, "—"),
      ],
      notes:
        "Search pages are gathered until 1,000 issues (the most a bulk changelog request may name), and the scan asks for the largest changelog page the API allows, " +
        `so the changelog requests are as few as the histories allow: ceil(histories of each 1,000 issues / ${CHANGELOG_PAGE.toLocaleString("en")}). ` +
        "With 100 issues a search page, the searches set the count: ten per 1,000 issues. The computed row is not run: the same searches plus GET /rest/api/3/issue/{id}/changelog for each issue " +
        "(one page each, as no issue here has more than 100 histories). An incremental scan re-reads the issues updated in the " +
        "two minutes before the cursor, so it reads at least one issue even when nothing changed.",
    };
  } finally {
    await Promise.all(fakes.map((fake) => fake.close()));
  }
};

export default bench;

/** Every stream of the connection from `cursor`, as the scan runner drives it; the requests are the fake's record. */
async function scan(fake: FakeJira, cursor: JsonValue | null): Promise<ScanOutcome> {
  fake.requests.length = 0;
  const context = scanContext(fake.url);
  let issues = 0;
  const events: EventRecord[] = [];
  let last = cursor;
  for (const stream of jiraConnector.streams(context.settings)) {
    for await (const page of jiraConnector.scan(stream, last, context)) {
      issues += page.batch.items.length;
      events.push(...page.batch.events);
      last = page.cursor;
    }
  }
  return { issues, events, cursor: last, requests: [...fake.requests] };
}

function scanContext(apiBaseUrl: string): ScanContext {
  const log = pino({ level: "silent" });
  const settings = jiraConnector.parseSettings({ projects: [PROJECT], apiBaseUrl });
  return {
    settings,
    credentials: CREDENTIALS,
    saveCredentials: async () => {},
    http: createConnectorHttp({
      baseUrl: jiraConnector.baseUrl(settings, CREDENTIALS),
      allowlist: jiraConnector.manifest.requests,
      authHeaders: async () => jiraConnector.authHeaders(CREDENTIALS),
      log,
    }),
    backfillFrom: START,
    now: new Date(),
    log,
    signal: new AbortController().signal,
  };
}

/** A count that missed issues or history would flatter the connector. */
function assertComplete(jira: SyntheticJira, full: ScanOutcome): void {
  const expected = mapIssues(jira.issues, jira.changelogs).events.length;
  if (full.issues !== jira.issues.length || full.events.length !== expected) {
    throw new Error(`the full scan read ${full.issues} issues and ${full.events.length} events, not ${jira.issues.length} and ${expected}`);
  }
}

/** Every 20th issue moves on, a few minutes after the last scan's cursor. */
function changeSomeIssues(jira: SyntheticJira, cursor: JsonValue | null, rng: Random): void {
  const since = Date.parse((cursor as { updatedSince: string }).updatedSince);
  const step = Math.floor(ISSUES / CHANGED_ISSUES);
  for (let n = 0; n < CHANGED_ISSUES; n += 1) {
    changeIssue(jira, jira.issues[n * step]!, String(900_000 + n), new Date(since + (5 + n) * 60_000), rng);
  }
}

function row(scanName: string, outcome: ScanOutcome, requestsPerThousand: string | number): (string | number)[] {
  const count = (path: string) => outcome.requests.filter((request) => request.path === path).length;
  return [scanName, outcome.issues, outcome.events.length, count(SEARCH_PATH), count(CHANGELOG_PATH), outcome.requests.length, requestsPerThousand];
}

function perIssueChangelogs(full: ScanOutcome): (string | number)[] {
  const searches = full.requests.filter((request) => request.path === SEARCH_PATH).length;
  const requests = searches + full.issues;
  return ["full, one changelog request per issue (computed)", full.issues, full.events.length, searches, full.issues, requests, perThousand(requests, full.issues)];
}

const perThousand = (requests: number, issues: number) => Math.round((requests * 1000) / issues);

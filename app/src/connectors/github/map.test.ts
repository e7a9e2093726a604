import { describe, expect, it } from "vitest";
import { fixtureEvents, fixtureIssues, withCanaries, type GitHubJson } from "../../../../test/fakes/github.js";
import { parseCsv } from "../../../../test/fakes/fixtures.js";
import { githubManifest } from "./manifest.js";
import { BatchBuilder, parseIssue, parseIssueEvent, project } from "./map.js";

const REPO = "panjf2000/ants";
const CANARY = "CANARY-7f3a";

function mapIssues(issues: GitHubJson[]) {
  const batch = new BatchBuilder();
  for (const issue of issues) batch.addIssue(REPO, parseIssue(issue));
  return batch.build();
}

function mapEvents(events: GitHubJson[]) {
  const batch = new BatchBuilder();
  const kept = events.filter((event) => batch.addIssueEvent(REPO, parseIssueEvent(event)));
  return { batch: batch.build(), kept };
}

/** Every title, body and rename text in the records, as it would appear inside JSON. */
function contentStrings(records: GitHubJson[]): string[] {
  const texts = records.flatMap((record) => {
    const issue = (record.issue ?? record) as GitHubJson;
    const rename = record.rename as { from?: string; to?: string } | undefined;
    return [issue.title, issue.body, rename?.from, rename?.to];
  });
  // Very short bodies ("#", "ok") would match ordinary ids; they cannot be told apart by text.
  return texts.filter((t): t is string => typeof t === "string" && t.trim().length >= 5).map((t) => JSON.stringify(t.trim()).slice(1, -1));
}

describe("DevLake CSV reader", () => {
  it("reads quoted fields with doubled quotes, commas and line breaks", () => {
    expect(parseCsv('a,b\r\n"x, ""y""","line1\nline2"\n1,\n')).toEqual([["a", "b"], ['x, "y"', "line1\nline2"], ["1", ""]]);
  });

  it("reads every fixture row", () => {
    expect(fixtureIssues()).toHaveLength(41);
    expect(fixtureEvents()).toHaveLength(49);
  });
});

describe("GitHub issue mapping", () => {
  const issues = fixtureIssues();
  const batch = mapIssues(issues);

  it("maps every fixture issue, with a created event each", () => {
    expect(batch.items).toHaveLength(41);
    expect(batch.events.filter((event) => event.type === "created")).toHaveLength(41);
    expect(new Set(batch.items.map((item) => item.container))).toEqual(new Set([REPO]));
  });

  it("tells pull requests from issues", () => {
    const types = (kind: string) => batch.items.filter((item) => item.itemType === kind).length;
    expect(types("pull_request")).toBe(15);
    expect(types("issue")).toBe(26);
    expect(batch.items.find((item) => item.externalId === `${REPO}#4`)?.itemType).toBe("pull_request");
  });

  it("keeps state, dates, labels and the opener as an actor", () => {
    const item = batch.items.find((i) => i.externalId === `${REPO}#4`);
    expect(item).toEqual({
      externalId: `${REPO}#4`,
      container: REPO,
      itemType: "pull_request",
      createdAt: new Date("2018-07-25T08:19:30Z"),
      closedAt: new Date("2018-07-26T02:32:41Z"),
      status: "closed",
      priority: null,
      assignee: null,
      labels: ["enhancement"],
    });
    expect(batch.events).toContainEqual(
      expect.objectContaining({ externalId: `${REPO}#4#created`, actor: "16658738", type: "created", to: "open" }),
    );
    expect(batch.actors).toContainEqual({ externalId: "16658738", displayName: "barryz" });
  });

  it("puts a not-planned or duplicate close into the status, and a completed one not", () => {
    const [issue] = issues;
    const statusOf = (state_reason: string | null) => mapIssues([{ ...issue, state: "closed", state_reason }]).items[0]?.status;
    expect(statusOf("completed")).toBe("closed");
    expect(statusOf(null)).toBe("closed");
    expect(statusOf("not_planned")).toBe("closed:not_planned");
    expect(statusOf("duplicate")).toBe("closed:duplicate");
  });

  it("takes the first assignee as the item's assignee", () => {
    const [issue] = issues;
    const people = [
      { login: "first", id: 1, avatar_url: "https://example.com/a" },
      { login: "second", id: 2 },
    ];
    const mapped = mapIssues([{ ...issue, assignee: people[0], assignees: people }]);
    expect(mapped.items[0]?.assignee).toBe("1");
    expect(mapped.actors).toEqual(expect.arrayContaining([{ externalId: "1", displayName: "first" }, { externalId: "2", displayName: "second" }]));
  });
});

describe("GitHub issue event mapping", () => {
  const events = fixtureEvents();
  const { batch, kept } = mapEvents(events);

  it("keeps labeled, assigned and closed events and drops every other kind", () => {
    const kinds = (list: GitHubJson[]) => [...new Set(list.map((event) => event.event))].sort();
    expect(kinds(kept)).toEqual(["assigned", "closed", "labeled"]);
    expect(kept).toHaveLength(39);
    expect(kinds(events.filter((event) => !kept.includes(event)))).toEqual(["head_ref_force_pushed", "mentioned", "ready_for_review", "renamed", "subscribed"]);
    expect(batch.events.filter((event) => event.type !== "created").map((event) => event.externalId).sort()).toEqual(
      kept.map((event) => String(event.id)).sort(),
    );
  });

  it("drops renamed events, which carry titles", () => {
    const renamed = events.filter((event) => event.event === "renamed");
    expect(renamed).toHaveLength(1);
    expect(mapEvents(renamed).batch).toEqual({ actors: [], items: [], events: [] });
  });

  it("maps an assignment to the assignee, done by the assigner", () => {
    expect(batch.events.find((event) => event.externalId === "6766052007")).toEqual({
      externalId: "6766052007",
      itemExternalId: `${REPO}#230`,
      occurredAt: new Date("2022-06-08T02:35:14Z"),
      actor: "14806824",
      type: "assigned",
      field: "assignee",
      from: null,
      to: "7496278",
    });
    expect(batch.actors).toEqual(
      expect.arrayContaining([
        { externalId: "14806824", displayName: "iGen1us" },
        { externalId: "7496278", displayName: "panjf2000" },
      ]),
    );
  });

  it("maps a label to its name and a not-planned close to its status", () => {
    expect(batch.events.find((event) => event.externalId === "6766051996")).toMatchObject({ type: "labeled", field: "label", from: null, to: "question" });
    expect(batch.events.find((event) => event.externalId === "6655982786")).toMatchObject({ type: "closed", field: "status", to: "closed:not_planned" });
  });

  it("emits the embedded issue as an item, so each event has its item", () => {
    const itemIds = new Set(batch.items.map((item) => item.externalId));
    expect(batch.events.every((event) => itemIds.has(event.itemExternalId))).toBe(true);
    expect(batch.items.find((item) => item.externalId === `${REPO}#206`)?.itemType).toBe("pull_request");
  });

  it("maps unlabeled, unassigned, milestone and reopened events", () => {
    const [template] = events.filter((event) => event.event === "assigned");
    const variant = (id: number, fields: GitHubJson): GitHubJson => ({ ...template, id, ...fields });
    const { batch: mapped } = mapEvents([
      variant(1, { event: "unlabeled", label: { name: "bug", color: "d73a4a" } }),
      variant(2, { event: "unassigned" }),
      variant(3, { event: "milestoned", milestone: { title: "v2.5.0", description: CANARY } }),
      variant(4, { event: "demilestoned", milestone: { title: "v2.5.0" } }),
      variant(5, { event: "reopened" }),
    ]);
    const changes = mapped.events.filter((event) => event.type !== "created").map(({ type, field, from, to }) => ({ type, field, from, to }));
    expect(changes).toEqual([
      { type: "unlabeled", field: "label", from: "bug", to: null },
      { type: "assigned", field: "assignee", from: "7496278", to: null },
      { type: "labeled", field: "milestone", from: null, to: "v2.5.0" },
      { type: "unlabeled", field: "milestone", from: "v2.5.0", to: null },
      { type: "reopened", field: "status", from: null, to: "open" },
    ]);
    expect(JSON.stringify(mapped)).not.toContain(CANARY);
  });
});

describe("GitHub content never reaches a record", () => {
  it("keeps no fixture title, body or rename text", () => {
    const issues = fixtureIssues();
    const events = fixtureEvents();
    const output = JSON.stringify([mapIssues(issues), mapEvents(events).batch]);
    const leaked = contentStrings([...issues, ...events]).filter((text) => output.includes(text));
    expect(leaked).toEqual([]);
  });

  it("keeps none of the canaries written into every content field", () => {
    const output = JSON.stringify([mapIssues(withCanaries(fixtureIssues(), CANARY)), mapEvents(withCanaries(fixtureEvents(), CANARY)).batch]);
    expect(output).not.toContain(CANARY);
  });

  it("projects a payload onto scalar leaves only", () => {
    const [issue] = withCanaries(fixtureIssues(), CANARY);
    expect(JSON.stringify(project(issue, ["number", "labels[].name", "pull_request?"]))).toBe('{"number":4,"labels":[{"name":"enhancement"}],"pull_request":true}');
    expect(project(issue, ["milestone", "user"])).toEqual({});
  });

  it("names the missing field, not the payload, when a record is malformed", () => {
    expect(() => parseIssue({ title: CANARY, body: CANARY })).toThrow(/^GitHub sent a record without a valid issue number$/);
  });

  it("lists no content field as kept", () => {
    const kept = Object.keys(githubManifest.fieldsKept);
    expect(kept.filter((path) => /title|body|rename|comment|description|diff|patch/.test(path))).toEqual(["event.milestone.title"]);
    expect(githubManifest.requests.every((request) => request.method === "GET" && !request.write)).toBe(true);
  });
});

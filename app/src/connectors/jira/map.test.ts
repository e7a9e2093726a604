import { describe, expect, it } from "vitest";
import { injectCanaries, loadJiraFixtures, type JiraFixtures, type RecordedIssue } from "../../../../test/fakes/jira.js";
import type { EventRecord } from "../types.js";
import { CHANGELOG_FIELDS, mapIssues, parseJiraTime, type JiraChangeItem, type JiraHistory } from "./map.js";

/** The 3 issues whose histories were recorded alone (no issue record): metadata stand-ins so they can be mapped. */
function standInIssue(id: string): RecordedIssue {
  return {
    id,
    key: `CL-${id}`,
    fields: {
      project: { key: "CL" },
      issuetype: { name: "Task" },
      status: { name: "Done" },
      created: "2021-01-01T00:00:00.000+0800",
      updated: "2021-03-28T16:00:00.000+0800",
    },
  };
}

function withStandIns(fixtures: JiraFixtures): RecordedIssue[] {
  const recorded = new Set(fixtures.issues.map((issue) => issue.id));
  const historyOnly = [...fixtures.changelogs.keys()].filter((id) => !recorded.has(id));
  return [...fixtures.issues, ...historyOnly.map(standInIssue)];
}

const allItems = (fixtures: JiraFixtures) => [...fixtures.changelogs.values()].flat().flatMap((history) => history.items);
const isKept = (item: JiraChangeItem) => item.fieldId !== undefined && item.fieldId in CHANGELOG_FIELDS;

/** Every text of a content field: summaries, descriptions, comments, and changelog texts of content fields. */
function contentTexts(fixtures: JiraFixtures): string[] {
  const texts: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === "string") texts.push(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === "object") for (const [name, inner] of Object.entries(value)) if (name === "text" || name === "body" || name === "content" || name === "comments") collect(inner);
  };
  for (const issue of fixtures.issues) ["summary", "description", "environment", "comment"].forEach((name) => collect(issue.fields[name]));
  for (const item of allItems(fixtures)) if (!isKept(item) && item.fieldId !== "issuetype") texts.push(item.fromString ?? "", item.toString ?? "");
  // Short fragments ("a", "OK") may occur in metadata by chance; whole sentences may not.
  return [...new Set(texts.map((text) => text.trim()).filter((text) => text.length >= 8))];
}

const inJson = (text: string) => JSON.stringify(text).slice(1, -1);

describe("mapping the recorded Jira issues", () => {
  const fixtures = loadJiraFixtures();
  const batch = mapIssues(withStandIns(fixtures), fixtures.changelogs);

  it("maps all 33 recorded issues and the 3 history-only ones", () => {
    expect(fixtures.issues).toHaveLength(33);
    expect([...fixtures.changelogs.values()].flat()).toHaveLength(522 + 279);
    expect(batch.items).toHaveLength(36);
    expect(batch.items.find((item) => item.externalId === "EE-1")).toEqual({
      externalId: "EE-1",
      container: "EE",
      itemType: "故事",
      createdAt: new Date("2020-06-12T00:13:13.360Z"),
      closedAt: new Date("2020-06-19T06:31:18.495Z"),
      status: "已完成",
      priority: "Medium",
      assignee: "5ecfbd0c730ec90c1999cadf",
      labels: ["frontEnd", "Saas"],
    });
    expect(batch.items.find((item) => item.externalId === "K5-2")).toMatchObject({ container: "K5", itemType: "Story", closedAt: null, assignee: null, labels: [] });
  });

  it("turns every kept change item into one event and drops all others", () => {
    const kept = allItems(fixtures).filter(isKept);
    // 165 + 10 status, 41 assignee, 30 + 2 resolution, 0 + 1 priority items; no label changes were recorded.
    expect(kept).toHaveLength(249);
    const historyEvents = batch.events.filter((event) => event.type !== "created");
    expect(historyEvents).toHaveLength(249);
    expect(new Set(batch.events.map((event) => event.externalId)).size).toBe(batch.events.length);
    expect(new Set(historyEvents.map((event) => event.field))).toEqual(new Set(["status", "assignee", "resolution", "priority"]));
    expect(batch.events.filter((event) => event.type === "closed")).toHaveLength(32);
  });

  it("records who changed what, with account ids for assignees", () => {
    // EE-20, history 142717 at 2021-08-06T14:14:54.654+0800: assignee None -> lin.hao.
    expect(batch.events.find((event) => event.externalId === "142717:assignee")).toEqual({
      externalId: "142717:assignee",
      itemExternalId: "EE-20",
      occurredAt: new Date("2021-08-06T06:14:54.654Z"),
      actor: expect.any(String),
      type: "assigned",
      field: "assignee",
      from: null,
      to: "5ecfbd0984083c0c12e5af8f",
    });
    expect(batch.actors).toContainEqual({ externalId: "5ecfbd0984083c0c12e5af8f", displayName: "lin.hao" });
    const actorIds = new Set(batch.actors.map((actor) => actor.externalId));
    for (const event of batch.events) if (event.actor) expect(actorIds).toContain(event.actor);
  });

  it("leaves the actor empty when the history's author has no account id", () => {
    // History 57278 of issue 13383 was recorded with accountId "".
    const histories = fixtures.changelogs.get("13383") ?? [];
    expect(histories.find((history) => history.id === "57278")?.author?.accountId).toBe("");
    expect(batch.actors.map((actor) => actor.externalId)).not.toContain("");
  });

  it("starts each issue in the status its first status change left, or its current one", () => {
    const created = (key: string) => batch.events.find((event) => event.externalId === `${key}#created`);
    expect(created("EE-24")).toMatchObject({ type: "created", to: "Inbox", occurredAt: new Date("2020-06-12T00:35:15.489Z") });
    expect(created("EE-33")?.to).toBe("To Do");
    expect(created("K5-2")?.to).toBe("To Do");
  });

  it("keeps no summary, description, comment or content-change text", () => {
    const texts = contentTexts(fixtures);
    // 33 summaries, the comments, and the link and description changes (history 57278 rewrote a description).
    expect(texts.length).toBeGreaterThan(80);
    expect(texts.some((text) => text.startsWith("平均域的显示需要配合"))).toBe(true);
    const json = JSON.stringify(batch);
    expect(texts.filter((text) => json.includes(inJson(text)))).toEqual([]);
  });

  it("drops injected canaries in every content field and changes nothing else", () => {
    const canary = "CANARY-5d1f0b";
    const withCanaries = injectCanaries(loadJiraFixtures(), canary);
    const mapped = mapIssues(withStandIns(withCanaries), withCanaries.changelogs);
    expect(JSON.stringify(withCanaries.issues)).toContain(canary);
    expect(JSON.stringify(mapped)).not.toContain(canary);
    expect(mapped).toEqual(batch);
  });
});

describe("mapping change items", () => {
  const issue: RecordedIssue = {
    id: "1",
    key: "PROJ-1",
    fields: {
      project: { key: "PROJ" },
      issuetype: { name: "Bug" },
      status: { name: "Open" },
      labels: ["b", "c", "d", "e"],
      created: "2024-05-01T09:00:00.000+0000",
      updated: "2024-05-02T09:00:00.000+0000",
    },
  };
  const item = (fieldId: string | undefined, from: string | null, to: string | null, field = fieldId ?? "Link"): JiraChangeItem => ({
    field,
    ...(fieldId !== undefined && { fieldId }),
    from,
    fromString: from,
    to,
    toString: to,
  });
  const history = (id: string, items: JiraChangeItem[]): JiraHistory => ({
    id,
    created: "2024-05-01T10:00:00.000+0000",
    author: { accountId: "acc-1", displayName: "Ada" },
    items,
  });
  const eventsOf = (...histories: JiraHistory[]) => mapIssues([issue], new Map([["1", histories]])).events.filter((event) => event.type !== "created");

  it("diffs the space-separated label lists into one event per label", () => {
    const events = eventsOf(history("10", [item("labels", "a b c", "b c d e")]));
    expect(events.map(({ externalId, type, from, to }) => ({ externalId, type, from, to }))).toEqual([
      { externalId: "10:labels:+d", type: "labeled", from: null, to: "d" },
      { externalId: "10:labels:+e", type: "labeled", from: null, to: "e" },
      { externalId: "10:labels:-a", type: "unlabeled", from: "a", to: null },
    ]);
    expect(eventsOf(history("11", [item("labels", null, "x")]))).toMatchObject([{ type: "labeled", to: "x" }]);
    expect(eventsOf(history("12", [item("labels", "x", null)]))).toMatchObject([{ type: "unlabeled", from: "x" }]);
  });

  it("closes on a resolution being set and reopens on it being cleared", () => {
    const events = eventsOf(history("20", [item("resolution", null, "Done")]), history("21", [item("resolution", "Done", null)]));
    expect(events.map(({ type, field, from, to }) => ({ type, field, from, to }))).toEqual([
      { type: "closed", field: "resolution", from: null, to: "Done" },
      { type: "reopened", field: "resolution", from: "Done", to: null },
    ]);
  });

  it("maps status and priority by name", () => {
    const events = eventsOf(history("30", [item("status", "Open", "In Progress"), item("priority", "Low", "High")]));
    expect(events).toMatchObject([
      { externalId: "30:status", type: "status_changed", from: "Open", to: "In Progress", actor: "acc-1" },
      { externalId: "30:priority", type: "priority_changed", from: "Low", to: "High" },
    ]);
  });

  it("drops content, pseudo-fields, issue type and custom fields, whatever their names", () => {
    const events = eventsOf(
      history("40", [
        item("description", "old text", "new text"),
        item("summary", "old title", "new title"),
        item("comment", null, "a comment"),
        item("environment", null, "an environment"),
        item(undefined, null, "This issue relates to PROJ-2", "Link"),
        item(undefined, null, "a remote link", "RemoteIssueLink"),
        item(undefined, null, "screenshot.png", "Attachment"),
        item("issuetype", "Bug", "Story"),
        item("customfield_10020", null, "Sprint 3", "Sprint"),
        item("customfield_10999", "Open", "Done", "status"),
      ]),
    );
    expect(events).toEqual([]);
  });

  it("reads Jira's timestamps with offsets written without a colon", () => {
    expect(parseJiraTime("2020-06-12T08:13:13.360+0800")).toEqual(new Date("2020-06-12T00:13:13.360Z"));
    expect(parseJiraTime("2024-05-01T10:00:00.000-0530")).toEqual(new Date("2024-05-01T15:30:00.000Z"));
    expect(() => parseJiraTime("yesterday")).toThrow(/not a date/);
  });
});

/** Milliseconds spent in each status an issue left (the current status is still running). */
function timeInStatus(events: readonly EventRecord[], itemKey: string): Record<string, number> {
  const entries = events
    .filter((event) => event.itemExternalId === itemKey && (event.type === "created" || event.type === "status_changed"))
    .sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
  const spent: Record<string, number> = {};
  entries.slice(0, -1).forEach((entry, index) => {
    const left = entries[index + 1]!.occurredAt.getTime();
    spent[entry.to!] = (spent[entry.to!] ?? 0) + left - entry.occurredAt.getTime();
  });
  return spent;
}

describe("time in status from the mapped events", () => {
  const fixtures = loadJiraFixtures();
  const { events } = mapIssues(fixtures.issues, fixtures.changelogs);

  // Differences of the raw timestamps in _raw_jira_api_issues.csv, all +0800.
  it("EE-24: Inbox, Closed, To Do, Open, Closed again", () => {
    expect(timeInStatus(events, "EE-24")).toEqual({
      Inbox: 3_088_951, // created 2020-06-12 08:35:15.489 → 09:26:44.440 (history 10895) = 51 m 28.951 s
      // 09:26:44.440 → 12:58:47.129 (10927) = 3 h 32 m 2.689 s = 12 722 689
      // + 2020-06-12 15:17:28.723 (11076) → 2021-03-28 16:05:55.821 (86152) = 289 d 48 m 27.098 s = 24 972 507 098
      Closed: 24_985_229_787,
      "To Do": 153_610, // 12:58:47.129 → 13:01:20.739 (11001) = 2 m 33.610 s
      Open: 8_167_984, // 13:01:20.739 → 15:17:28.723 (11076) = 2 h 16 m 7.984 s
    });
  });

  it("EE-30: To Do twice, Resolved, Open, Closed", () => {
    expect(timeInStatus(events, "EE-30")).toEqual({
      // created 2020-06-12 08:48:39.803 → 08:49:51.061 (10742) = 1 m 11.258 s = 71 258
      // + 12:58:47.569 (10943) → 13:01:20.793 (11008) = 2 m 33.224 s = 153 224
      "To Do": 224_482,
      Resolved: 14_936_508, // 08:49:51.061 → 12:58:47.569 = 4 h 8 m 56.508 s
      Open: 273_919_438, // 2020-06-12 13:01:20.793 → 2020-06-15 17:06:40.231 (11447) = 3 d 4 h 5 m 19.438 s
      Closed: 24_706_754_931, // 2020-06-15 17:06:40.231 → 2021-03-28 16:05:55.162 (86138) = 286 d − 1 h 0 m 45.069 s
    });
  });

  it("EE-33: To Do, Open, Closed", () => {
    expect(timeInStatus(events, "EE-33")).toEqual({
      "To Do": 15_035_152, // created 2020-06-12 08:50:45.674 → 13:01:20.826 (11012) = 4 h 10 m 35.152 s
      Open: 610_258_572, // 2020-06-12 13:01:20.826 → 2020-06-19 14:32:19.398 (12027) = 7 d 1 h 30 m 58.572 s
      Closed: 24_370_415_857, // 2020-06-19 14:32:19.398 → 2021-03-28 16:05:55.255 (86140) = 282 d 1 h 33 m 35.857 s
    });
  });
});

import { describe, expect, it } from "vitest";
import { createClassifier } from "./classify.js";

describe("classifying steps", () => {
  const classifier = createClassifier({
    providerCategories: { 开发中: "in_progress", "Blocked / On Hold": "in_progress", Resolved: "done", Pending: "in_progress", Open: "done" },
    overrides: { Open: { category: "todo", waitClass: "team_queue" } },
  });

  it("takes the provider's category for a status whose name says nothing", () => {
    expect(classifier.classify("开发中")).toEqual({ category: "in_progress", waitClass: "active_work", source: "provider" });
  });

  it("lets a name that says who is waited on win over the provider's coarser category", () => {
    expect(classifier.classify("Pending")).toEqual({ category: "waiting", waitClass: "external_wait", source: "name" });
    expect(classifier.classify("Resolved")).toEqual({ category: "done", waitClass: "automation_wait", source: "name" });
  });

  it("lets the team's own class win over everything", () => {
    expect(classifier.classify("Open")).toEqual({ category: "todo", waitClass: "team_queue", source: "override" });
  });

  it("matches names whole, ignoring case and separators", () => {
    const plain = createClassifier();
    expect(plain.classify("IN_PROGRESS")?.waitClass).toBe("active_work");
    expect(plain.classify("waiting-for-customer")?.waitClass).toBe("external_wait");
    expect(plain.classify("Won't Do")?.waitClass).toBe("finished");
    expect(plain.classify("In Progress Soon")).toBeNull();
  });

  it("leaves a status nothing classifies unclassified rather than guessing", () => {
    expect(createClassifier().classify("Inbox")).toBeNull();
  });

  it("reads a status named like an object's own properties as a name, not as a setting", () => {
    for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
      expect(classifier.classify(name)).toBeNull();
    }
  });
});

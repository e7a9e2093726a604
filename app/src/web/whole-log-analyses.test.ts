import { describe, expect, it } from "vitest";
import type { ScanOutput } from "../analysis/scan-output.js";
import { WholeLogAnalyses } from "./whole-log-analyses.js";

const outputNamed = (name: string) => ({ computedAt: name.length }) as unknown as ScanOutput;

/** A computation that finishes when told, and records when it started. */
function deferred(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    finish: () => finish(),
    run: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
      return outputNamed(name);
    },
  };
}

describe("whole-log analyses in the web process", () => {
  it("runs one at a time: the next starts only when the one before has finished", async () => {
    const analyses = new WholeLogAnalyses();
    const log: string[] = [];
    const first = deferred(log, "filtered");
    const second = deferred(log, "settings");
    const results = [analyses.filtered("a", first.run), analyses.exclusive(second.run)];
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(log).toEqual(["start filtered"]);
    first.finish();
    await results[0];
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(log).toEqual(["start filtered", "end filtered", "start settings"]);
    second.finish();
    await Promise.all(results);
  });

  it("shares one computation among requests for the same view, and keeps it for the next", async () => {
    const analyses = new WholeLogAnalyses();
    let runs = 0;
    const compute = async () => {
      runs += 1;
      return outputNamed("view");
    };
    const [a, b] = await Promise.all([analyses.filtered("view", compute), analyses.filtered("view", compute)]);
    expect(a).toBe(b);
    expect(await analyses.filtered("view", compute)).toBe(a);
    expect(runs).toBe(1);
  });

  it("keeps a failure for no one: the next request computes again, and later work still runs", async () => {
    const analyses = new WholeLogAnalyses();
    await expect(analyses.filtered("view", () => Promise.reject(new Error("database gone")))).rejects.toThrow("database gone");
    await expect(analyses.filtered("view", async () => outputNamed("again"))).resolves.toEqual(outputNamed("again"));
  });

  it("lets the least recently used views go once sixteen are kept", async () => {
    const analyses = new WholeLogAnalyses();
    const runs = new Map<string, number>();
    const compute = (key: string) => async () => {
      runs.set(key, (runs.get(key) ?? 0) + 1);
      return outputNamed(key);
    };
    for (let view = 0; view < 16; view += 1) await analyses.filtered(`v${view}`, compute(`v${view}`));
    await analyses.filtered("v0", compute("v0"));
    await analyses.filtered("v16", compute("v16"));
    // v1 was the least recently used: it is computed again; v0, used again, is still kept.
    await analyses.filtered("v1", compute("v1"));
    await analyses.filtered("v0", compute("v0"));
    expect([runs.get("v0"), runs.get("v1")]).toEqual([1, 2]);
  });
});

import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES, ConfigError, loadConfig } from "../../app/src/config.js";

/** Read by bootstrap-db, demo and compose rather than by config.ts. */
const EXTRA_VARIABLES = ["DATABASE_ADMIN_URL", "DEMO_PASSWORD", "POSTGRES_PASSWORD", "POSTGRES_APP_PASSWORD", "REDIS_PASSWORD"];
/** Optional in config.ts but needed by every deployment (migrate), so shown uncommented. */
const SHOWN_UNCOMMENTED = ["DATABASE_OWNER_URL"];

interface Entry {
  name: string;
  commented: boolean;
  line: number;
}

async function exampleEntries(): Promise<{ entries: Entry[]; lines: string[] }> {
  const text = await readFile(new URL("../../.env.example", import.meta.url), "utf8");
  const lines = text.split("\n");
  const entries: Entry[] = [];
  lines.forEach((line, index) => {
    const match = /^(#\s*)?([A-Z][A-Z0-9_]*)=/.exec(line);
    if (match) entries.push({ name: match[2]!, commented: match[1] !== undefined, line: index });
  });
  return { entries, lines };
}

function requiredByConfig(): Set<string> {
  try {
    loadConfig({});
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return new Set(error.problems.map((problem) => /^(\w+) is missing/.exec(problem)?.[1]).filter((name): name is string => !!name));
  }
  throw new Error("loadConfig({}) was expected to report missing variables");
}

describe(".env.example", () => {
  it("names every variable config.ts reads, in its order", async () => {
    const { entries } = await exampleEntries();
    const names = entries.map((entry) => entry.name);
    for (const name of CONFIG_VARIABLES) expect(names, name).toContain(name);
    const order = CONFIG_VARIABLES.map((name) => names.indexOf(name));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it("names no variable that nothing reads", async () => {
    const { entries } = await exampleEntries();
    const known = new Set([...CONFIG_VARIABLES, ...EXTRA_VARIABLES]);
    expect(entries.map((entry) => entry.name).filter((name) => !known.has(name))).toEqual([]);
    for (const name of EXTRA_VARIABLES) expect(entries.map((entry) => entry.name), name).toContain(name);
  });

  it("names each variable once, after a one-line comment", async () => {
    const { entries, lines } = await exampleEntries();
    const names = entries.map((entry) => entry.name);
    expect(new Set(names).size).toBe(names.length);
    for (const entry of entries) {
      const previous = lines[entry.line - 1] ?? "";
      expect(previous, `comment above ${entry.name}`).toMatch(/^# /);
      expect(previous, `comment above ${entry.name}`).not.toMatch(/^#\s*[A-Z][A-Z0-9_]*=/);
    }
  });

  it("leaves required variables uncommented and optional ones commented out", async () => {
    const { entries } = await exampleEntries();
    const required = requiredByConfig();
    expect(required.size).toBeGreaterThan(0);
    for (const entry of entries.filter((e) => CONFIG_VARIABLES.includes(e.name))) {
      const shouldBeSet = required.has(entry.name) || SHOWN_UNCOMMENTED.includes(entry.name);
      expect(entry.commented, entry.name).toBe(!shouldBeSet);
    }
  });
});

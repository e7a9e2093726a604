/**
 * The assistant's promise is structural: nothing in app/src/ai can reach a work item, an
 * event, an external id or a person's identity, because it imports nothing that holds them
 * and queries no table but its own.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const AI = fileURLToPath(new URL(".", import.meta.url));
const sources = readdirSync(AI)
  .filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts"))
  .map((name) => ({ name, text: readFileSync(`${AI}/${name}`, "utf8") }));

/** Aggregate types and pure helpers of the analysis; never the event log's records or the traces built from them. */
const ANALYSIS = new Set(["scan-output", "bottlenecks", "classify", "cycle-time", "stats"]);
const PLATFORM = new Set(["db/pool", "db/tenant", "errors", "redis"]);
const PACKAGES = new Set(["@anthropic-ai/sdk", "pino"]);

function importsOf(text: string): string[] {
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/g)].map((match) => match[1] ?? match[2]!);
}

function allowed(specifier: string): boolean {
  if (specifier.startsWith("./")) return !specifier.includes("/", 2);
  if (specifier === "../config.js") return true;
  const analysis = /^\.\.\/analysis\/([a-z-]+)\.js$/.exec(specifier);
  if (analysis) return ANALYSIS.has(analysis[1]!);
  const platform = /^\.\.\/platform\/([a-z/-]+)\.js$/.exec(specifier);
  if (platform) return PLATFORM.has(platform[1]!);
  return PACKAGES.has(specifier);
}

describe("the assistant's boundaries", () => {
  it("has sources to check", () => {
    expect(sources.map((source) => source.name)).toEqual(expect.arrayContaining(["context.ts", "assistant.ts", "claude-client.ts"]));
  });

  it("imports only scan-output types, the platform and Claude's SDK", () => {
    const imports = sources.flatMap(({ name, text }) => importsOf(text).map((specifier) => `${name}: ${specifier}`));
    expect(imports.length).toBeGreaterThan(10);
    expect(imports.filter((line) => !allowed(line.split(": ")[1]!))).toEqual([]);
  });

  it("refuses what it must: connectors, scans, web, events and traces", () => {
    for (const specifier of ["../connectors/jira/map.js", "../scans/scan-output-store.js", "../web/deps.js", "../analysis/event-log.js", "../analysis/traces.js", "./sub/x.js", "undici"]) {
      expect(allowed(specifier), specifier).toBe(false);
    }
  });

  it("queries only its own tables", () => {
    const tables = sources.flatMap(({ text }) => [...text.matchAll(/\b(?:FROM|JOIN|INTO|UPDATE)\s+([a-z_]+)\b(?!\s*\()/g)].map((match) => match[1]!));
    expect(tables.length).toBeGreaterThan(5);
    expect(tables.filter((table) => !table.startsWith("ai_"))).toEqual([]);
  });
});

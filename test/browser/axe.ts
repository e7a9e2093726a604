import axe from "axe-core";
import type { Page } from "playwright-core";

/** Violations of these impacts fail a page; "minor" and "moderate" ones are left to review. */
const FAILING_IMPACTS: ReadonlySet<string> = new Set(["serious", "critical"]);

/**
 * Runs axe-core in the page and describes each serious or critical violation: rule, help
 * text, and every element it found, with axe's summary of what to fix there.
 * The axe source goes in through the DevTools protocol (page.evaluate), which the page's
 * CSP does not govern, so the page is checked under its real policy.
 */
export async function seriousAccessibilityViolations(page: Page): Promise<string[]> {
  await page.evaluate(axe.source);
  const violations = await page.evaluate(async () => {
    const { axe: inPage } = globalThis as unknown as { axe: typeof axe };
    const results = await inPage.run({ resultTypes: ["violations"] });
    return results.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact ?? "",
      help: violation.help,
      nodes: violation.nodes.map((node) => `${node.target.join(" ")}: ${node.failureSummary ?? ""}`),
    }));
  });
  return violations
    .filter((violation) => FAILING_IMPACTS.has(violation.impact))
    .map((violation) => [`axe ${violation.impact} ${violation.id}: ${violation.help}`, ...violation.nodes.map((node) => `  - ${node.replace(/\s+/g, " ")}`)].join("\n"));
}

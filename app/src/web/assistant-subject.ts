import type { Subject } from "../ai/assistant.js";
import { peopleIn } from "../ai/context.js";
import { pseudonymsOf } from "../ai/pseudonyms.js";
import type { Principal } from "../auth/principal.js";
import { withTenant } from "../platform/db/tenant.js";
import type { PoolClient } from "../platform/db/pool.js";
import { isUuid } from "../platform/ids.js";
import type { AnalyticsView } from "./analytics-view.js";
import type { WebDeps } from "./deps.js";
import { assistantShowsNames } from "./tenant-settings.js";

/**
 * What the assistant answers from: the view's aggregates, named for Claude. People become
 * stable pseudonyms unless the owner turned names on; then the names the tools gave them.
 */
export async function assistantSubject(deps: WebDeps, principal: Principal, view: AnalyticsView, focusFinding?: string): Promise<Subject> {
  const keys = peopleIn(view.output);
  const labels = await withTenant(deps.pool, principal.tenantId, async (client) => {
    const pseudonyms = await pseudonymsOf(client, principal.tenantId, keys);
    if (!(await assistantShowsNames(client))) return pseudonyms;
    // Someone no stored person stands for keeps their pseudonym: a key is never shown.
    const names = await namesOf(client, keys);
    return new Map(keys.map((key) => [key, names.get(key) ?? pseudonyms.get(key)!]));
  });
  return {
    output: view.output,
    scopeLabel: scopeLabelOf(view),
    personLabel: (key) => labels.get(key) ?? "a person",
    timeZone: view.timeZone,
    focusFinding,
  };
}

/** People by the names their tools (or an imported log) gave them, by actor row id. */
async function namesOf(client: PoolClient, keys: readonly string[]): Promise<Map<string, string>> {
  const { rows } = await client.query<{ id: string; display_name: string }>("SELECT id, display_name FROM actors WHERE id = ANY($1::uuid[])", [keys.filter((key) => isUuid(key))]);
  return new Map(rows.map((row) => [row.id, row.display_name]));
}

function scopeLabelOf(view: AnalyticsView): string {
  const parts = [`${view.provider} connection "${view.label}"`];
  if (view.container !== null) parts.push(`project "${view.container}"`);
  const filters = view.filters;
  if (filters) {
    const named = [
      filters.types?.length ? `type ${filters.types.join(" or ")}` : null,
      filters.priorities?.length ? `priority ${filters.priorities.join(" or ")}` : null,
      filters.labels?.length ? `label ${filters.labels.join(" or ")}` : null,
    ].filter(Boolean);
    if (named.length > 0) parts.push(`only items with ${named.join(", ")}`);
  }
  return parts.join(", ");
}

import type { PoolClient } from "../platform/db/pool.js";

/**
 * Stable pseudonyms ("Person 3") for the people an output names: a person keeps their number
 * across scans and conversations, and the number says nothing of who they are.
 */
export async function pseudonymsOf(client: PoolClient, tenantId: string, personKeys: readonly string[]): Promise<Map<string, string>> {
  const keys = [...new Set(personKeys)];
  if (keys.length === 0) return new Map();
  // Numbers are handed out one organization at a time, so two requests never give out the same one.
  await client.query("SELECT pg_advisory_xact_lock(hashtext('ai_pseudonyms'), hashtext($1))", [tenantId]);
  await client.query(
    `INSERT INTO ai_pseudonyms (tenant_id, person_key, number)
     SELECT $1, key, (SELECT coalesce(max(number), 0) FROM ai_pseudonyms WHERE tenant_id = $1) + row_number() OVER (ORDER BY key)
     FROM unnest($2::text[]) AS key
     WHERE NOT EXISTS (SELECT 1 FROM ai_pseudonyms p WHERE p.tenant_id = $1 AND p.person_key = key)`,
    [tenantId, keys],
  );
  const { rows } = await client.query<{ person_key: string; number: number }>("SELECT person_key, number FROM ai_pseudonyms WHERE tenant_id = $1 AND person_key = ANY($2)", [
    tenantId,
    keys,
  ]);
  return new Map(rows.map((row) => [row.person_key, `Person ${row.number}`]));
}

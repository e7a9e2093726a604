import type { PoolClient } from "../platform/db/pool.js";

export type RequestPurpose = "chat" | "ticket_draft";

export interface RequestStart {
  tenantId: string;
  userId: string;
  purpose: RequestPurpose;
  model: string;
  /** Exactly the bytes sent. */
  body: string;
}

export type RequestOutcome =
  | { status: "succeeded"; attempts: number; inputTokens: number; outputTokens: number }
  | { status: "failed"; errorCode: string; errorMessage: string };

/** Records a request to Claude before it is sent: its body is kept as it left. */
export async function recordRequest(client: PoolClient, start: RequestStart): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    "INSERT INTO ai_requests (tenant_id, user_id, purpose, model, request_body) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    [start.tenantId, start.userId, start.purpose, start.model, start.body],
  );
  return rows[0]!.id;
}

export async function finishRequest(client: PoolClient, id: string, outcome: RequestOutcome): Promise<void> {
  if (outcome.status === "succeeded") {
    await client.query(
      "UPDATE ai_requests SET status = 'succeeded', attempts = $2, input_tokens = $3, output_tokens = $4, finished_at = now() WHERE id = $1",
      [id, outcome.attempts, outcome.inputTokens, outcome.outputTokens],
    );
  } else {
    await client.query("UPDATE ai_requests SET status = 'failed', error_code = $2, error_message = $3, finished_at = now() WHERE id = $1", [
      id,
      outcome.errorCode,
      outcome.errorMessage.slice(0, 500),
    ]);
  }
}

/** The bodies of the person's own requests, exactly as they were sent, by request id. */
export async function sentBodiesOf(client: PoolClient, ids: readonly string[], userId: string): Promise<Map<string, string>> {
  const { rows } = await client.query<{ id: string; request_body: string }>("SELECT id, request_body FROM ai_requests WHERE id = ANY($1::uuid[]) AND user_id = $2", [
    [...new Set(ids)],
    userId,
  ]);
  return new Map(rows.map((row) => [row.id, row.request_body]));
}

export async function sentBodyOf(client: PoolClient, id: string, userId: string): Promise<string | null> {
  return (await sentBodiesOf(client, [id], userId)).get(id) ?? null;
}

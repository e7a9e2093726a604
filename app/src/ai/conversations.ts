import type { PoolClient } from "../platform/db/pool.js";
import { notFound } from "../platform/errors.js";

/** What a conversation is about: a connection, and one of its projects or '' for all of it. */
export interface ConversationScope {
  connectionId: string;
  scope: string;
}

export interface Conversation extends ConversationScope {
  id: string;
  title: string;
  updatedAt: Date;
}

export interface StoredMessage {
  id: string;
  role: "user" | "assistant";
  content: string;
  createdAt: Date;
  request: { id: string; status: "pending" | "succeeded" | "failed"; errorMessage: string | null };
}

const TITLE_LENGTH = 80;

/**
 * A request still pending this long was cut short by its process stopping: it outlasts the
 * longest timeout an answer may have (AI_TIMEOUT_SECONDS is at most 600).
 */
const ABANDONED_AFTER = "15 minutes";
const ABANDONED_MESSAGE = "The server stopped before the answer was finished. Ask again.";

/**
 * Conversations and their messages. Every query runs as one person of one tenant
 * (withMember): row-level security shows a person only their own.
 */
export async function startConversation(client: PoolClient, owner: { tenantId: string; userId: string }, about: ConversationScope, firstQuestion: string): Promise<Conversation> {
  const title = firstQuestion.replace(/\s+/g, " ").trim().slice(0, TITLE_LENGTH) || "Conversation";
  const { rows } = await client.query<{ id: string; updated_at: Date }>(
    "INSERT INTO ai_conversations (tenant_id, user_id, connection_id, scope, title) VALUES ($1, $2, $3, $4, $5) RETURNING id, updated_at",
    [owner.tenantId, owner.userId, about.connectionId, about.scope, title],
  );
  return { id: rows[0]!.id, ...about, title, updatedAt: rows[0]!.updated_at };
}

/** The person's conversation about this scope; 404 for any other (someone else's, another scope's, or none). */
export async function conversationIn(client: PoolClient, about: ConversationScope, id: string): Promise<Conversation> {
  const { rows } = await client.query<{ id: string; title: string; updated_at: Date }>(
    "SELECT id, title, updated_at FROM ai_conversations WHERE id = $1 AND connection_id = $2 AND scope = $3",
    [id, about.connectionId, about.scope],
  );
  if (!rows[0]) throw notFound("There is no such conversation about this scope. Start a new one.");
  return { id: rows[0].id, ...about, title: rows[0].title, updatedAt: rows[0].updated_at };
}

export async function conversationsAbout(client: PoolClient, about: ConversationScope, limit = 30): Promise<Conversation[]> {
  const { rows } = await client.query<{ id: string; title: string; updated_at: Date }>(
    "SELECT id, title, updated_at FROM ai_conversations WHERE connection_id = $1 AND scope = $2 ORDER BY updated_at DESC LIMIT $3",
    [about.connectionId, about.scope, limit],
  );
  return rows.map((row) => ({ id: row.id, ...about, title: row.title, updatedAt: row.updated_at }));
}

export async function messagesOf(client: PoolClient, conversationId: string): Promise<StoredMessage[]> {
  const { rows } = await client.query<{ id: string; role: "user" | "assistant"; content: string; created_at: Date; request_id: string; status: StoredMessage["request"]["status"]; error_message: string | null }>(
    `SELECT m.id, m.role, m.content, m.created_at, r.id AS request_id,
            CASE WHEN r.status = 'pending' AND r.started_at < now() - $2::interval THEN 'failed' ELSE r.status END AS status,
            CASE WHEN r.status = 'pending' AND r.started_at < now() - $2::interval THEN $3 ELSE r.error_message END AS error_message
     FROM ai_messages m JOIN ai_requests r ON r.id = m.request_id
     WHERE m.conversation_id = $1 ORDER BY m.created_at, m.role DESC`,
    [conversationId, ABANDONED_AFTER, ABANDONED_MESSAGE],
  );
  return rows.map((row) => ({
    id: row.id,
    role: row.role,
    content: row.content,
    createdAt: row.created_at,
    request: { id: row.request_id, status: row.status, errorMessage: row.error_message },
  }));
}

export async function addMessage(
  client: PoolClient,
  owner: { tenantId: string; userId: string },
  message: { conversationId: string; role: "user" | "assistant"; content: string; requestId: string },
): Promise<string> {
  const { rows } = await client.query<{ id: string }>(
    "INSERT INTO ai_messages (tenant_id, user_id, conversation_id, role, content, request_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    [owner.tenantId, owner.userId, message.conversationId, message.role, message.content, message.requestId],
  );
  await client.query("UPDATE ai_conversations SET updated_at = now() WHERE id = $1", [message.conversationId]);
  return rows[0]!.id;
}

/**
 * Deletes one of the person's conversations with what was sent for it: its messages and the
 * requests that carried them. The organization's token count for the month keeps their use.
 */
export async function deleteConversation(client: PoolClient, about: ConversationScope, id: string): Promise<void> {
  await conversationIn(client, about, id);
  const { rows } = await client.query<{ request_id: string }>("SELECT DISTINCT request_id FROM ai_messages WHERE conversation_id = $1", [id]);
  await client.query("DELETE FROM ai_conversations WHERE id = $1", [id]);
  await client.query("DELETE FROM ai_requests WHERE id = ANY($1::uuid[])", [rows.map((row) => row.request_id)]);
}

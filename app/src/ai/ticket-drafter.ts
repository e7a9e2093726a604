import { AppError } from "../platform/errors.js";
import { contextOf, sendToClaude, type Asker, type AssistantDeps, type Subject } from "./assistant.js";
import { systemPromptWith } from "./prompt.js";

export interface TicketDraft {
  summary: string;
  description: string;
  /** The request it came back on: what was sent for it. */
  requestId: string;
}

/** Jira's limit on a summary. */
const SUMMARY_LENGTH = 255;
const DESCRIPTION_LENGTH = 20_000;

const TASK = `Draft one Jira ticket that asks the team to act on the bottleneck finding marked as the one the user asked about.
Reply with only a JSON object, no other text: {"summary": "…", "description": "…"}.
- summary: at most 120 characters, naming the step and the effect.
- description: plain text, at most 15 lines: what the aggregates show (figures with units and sample sizes), why it matters, two or three concrete next steps, and last the line "Drafted from TwinFlow aggregates; no item-level data was used."`;

/**
 * A ticket drafted by Claude from the same aggregates as the chat, for the user to edit in the
 * Create Jira ticket form. Drafting never creates the ticket: only the user's submit does.
 */
export async function draftTicket(deps: AssistantDeps, asker: Asker, subject: Subject & { focusFinding: string }): Promise<TicketDraft> {
  const sent = await sendToClaude(deps, asker, "ticket_draft", {
    system: systemPromptWith(contextOf(deps, subject), TASK),
    messages: [{ role: "user", content: "Draft the ticket for the finding marked as the one I asked about." }],
  });
  const draft = parseDraft(sent.text);
  if (!draft) {
    throw new AppError("ai_draft_unreadable", 502, "Claude's draft came back in a form TwinFlow could not read. Draft again, or write the ticket yourself below.");
  }
  return { ...draft, requestId: sent.requestId };
}

/** The first JSON object in the reply with a summary and a description, trimmed to Jira's limits. */
export function parseDraft(reply: string): { summary: string; description: string } | null {
  const start = reply.indexOf("{");
  const end = reply.lastIndexOf("}");
  if (start < 0 || end < start) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(reply.slice(start, end + 1));
  } catch {
    return null;
  }
  const { summary, description } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof summary !== "string" || typeof description !== "string" || summary.trim() === "") return null;
  return { summary: summary.replace(/\s+/g, " ").trim().slice(0, SUMMARY_LENGTH), description: description.trim().slice(0, DESCRIPTION_LENGTH) };
}

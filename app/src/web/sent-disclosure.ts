/** What "What was sent" shows of one request to Claude: its body as sent, and the same read as text. */
export interface SentDisclosure {
  /** The body exactly as it left the server. */
  sent: string;
  sentBytes: number;
  /** The body served as a file. */
  sentHref: string;
  /** The system prompt (rules and aggregates) and the messages with their line breaks; null when the body is not a Messages request. */
  readable: { system: string; messages: { role: string; content: string }[] } | null;
}

export function sentDisclosure(body: string, connectionId: string, requestId: string): SentDisclosure {
  return { sent: body, sentBytes: Buffer.byteLength(body), sentHref: `/connections/${connectionId}/assistant/sent/${requestId}`, readable: readableOf(body) };
}

function readableOf(body: string): SentDisclosure["readable"] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  const { system, messages } = (parsed ?? {}) as { system?: unknown; messages?: unknown };
  if (typeof system !== "string" || !Array.isArray(messages)) return null;
  return {
    system,
    messages: messages.map((message: { role?: unknown; content?: unknown }) => ({
      role: message.role === "assistant" ? "Claude" : "You",
      content: typeof message.content === "string" ? message.content : JSON.stringify(message.content),
    })),
  };
}

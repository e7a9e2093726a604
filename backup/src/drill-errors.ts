import { serializeError, type SerializedError } from "../../app/src/platform/log.js";

/**
 * One log-safe line for anything thrown, with its causes: the logger's serializer already
 * scrubs credentials and rebuilds Postgres messages without values or SQL.
 */
export function describeError(err: unknown): string {
  const messages: string[] = [];
  for (let link: SerializedError | undefined = serializeError(err); link; link = link.cause as SerializedError | undefined) {
    messages.push(link.message);
  }
  return messages.join(": ");
}

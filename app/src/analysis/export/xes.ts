import type { EventLog } from "../event-log.js";
import { EXPORT_CHUNK_CHARS, stepsByItem } from "./steps.js";

const HEADER = `<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xes.features="" xmlns="http://www.xes-standard.org/">
\t<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
\t<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
\t<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
\t<classifier name="Activity" keys="concept:name"/>
`;

/**
 * Writes a log's step events as an XES 1.0 document: one trace per item, one event per step
 * with its activity (`concept:name`), time (`time:timestamp`, UTC) and resource (`org:resource`, when known).
 */
export async function* exportXesLog(log: EventLog): AsyncGenerator<string> {
  let chunk = HEADER;
  for (const [item, steps] of stepsByItem(log)) {
    chunk += `\t<trace>\n\t\t<string key="concept:name" value="${xmlAttribute(item)}"/>\n`;
    for (const step of steps) {
      chunk += `\t\t<event>\n\t\t\t<string key="concept:name" value="${xmlAttribute(step.to)}"/>\n`;
      if (step.actor !== null) chunk += `\t\t\t<string key="org:resource" value="${xmlAttribute(step.actor)}"/>\n`;
      chunk += `\t\t\t<date key="time:timestamp" value="${new Date(step.at).toISOString()}"/>\n\t\t</event>\n`;
      if (chunk.length >= EXPORT_CHUNK_CHARS) {
        yield chunk;
        chunk = "";
      }
    }
    chunk += "\t</trace>\n";
  }
  yield `${chunk}</log>\n`;
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;" };
// Markup characters, whitespace a parser would turn into spaces, and characters XML 1.0 cannot hold at all.
const NEEDS_ESCAPE = /[&<>"\t\n\r]|[^\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** An attribute value; characters XML 1.0 cannot represent become U+FFFD. */
function xmlAttribute(value: string): string {
  return value.replace(NEEDS_ESCAPE, (character) => ESCAPES[character] ?? "\uFFFD");
}

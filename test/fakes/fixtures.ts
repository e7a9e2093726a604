import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The recorded provider responses every fake serves (sources in test/fixtures/README.md). */
export const FIXTURES_DIR = fileURLToPath(new URL("../fixtures/", import.meta.url));

/** One row of a DevLake raw table: the JSON of one API record and the request that returned it. */
export interface DevLakeRow {
  data: unknown;
  url: string;
}

/** Reads a DevLake raw-table CSV (`id,params,data,url,input,created_at`). */
export function readDevLakeCsv(path: string): DevLakeRow[] {
  const [header, ...rows] = parseCsv(readFileSync(path, "utf8"));
  const dataColumn = header?.indexOf("data") ?? -1;
  const urlColumn = header?.indexOf("url") ?? -1;
  if (dataColumn < 0 || urlColumn < 0) throw new Error(`${path} has no data and url columns`);
  return rows.map((row, index) => {
    const data = row[dataColumn];
    if (data === undefined) throw new Error(`${path} row ${index + 2} has no data field`);
    return { data: JSON.parse(data) as unknown, url: row[urlColumn] ?? "" };
  });
}

/**
 * RFC 4180: fields separated by commas, records by CRLF or LF; a quoted field may hold
 * commas, line breaks and quotes written twice. A final line break does not start a record.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  const endField = () => {
    record.push(field);
    field = "";
  };
  const endRecord = () => {
    endField();
    records.push(record);
    record = [];
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted && char === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (char === '"' && (quoted || field === "")) {
      quoted = !quoted;
    } else if (quoted || (char !== "," && char !== "\n" && char !== "\r")) {
      field += char;
    } else if (char === ",") {
      endField();
    } else {
      if (char === "\r" && text[i + 1] === "\n") i++;
      endRecord();
    }
  }
  if (quoted) throw new Error("CSV ends inside a quoted field");
  if (field !== "" || record.length > 0) endRecord();
  return records;
}

import { describe, expect, it } from "vitest";
import { CsvRecordParser } from "./csv-records.js";
import { ImportError } from "./result.js";

interface ParsedRecord {
  fields: string[];
  line: number;
}

/** Parses `text` written in pieces of `chunkSize` characters, selecting `columns` after the first record. */
function parse(text: string, chunkSize = text.length, columns?: number[]): ParsedRecord[] {
  const records: ParsedRecord[] = [];
  const parser = new CsvRecordParser((fields, line) => {
    if (records.length === 0 && columns !== undefined) parser.selectColumns(columns, fields.length);
    records.push({ fields, line });
  });
  for (let start = 0; start < text.length; start += Math.max(chunkSize, 1)) parser.write(text.slice(start, start + chunkSize));
  parser.end();
  return records;
}

const QUOTED = 'id,note,who\r\n"a,1","He said ""hi""\r\nthen left",x\r\nb,plain,"y"\r\n';

describe("CsvRecordParser", () => {
  it("reads quoted fields with commas, doubled quotes and line breaks, numbering records by their first line", () => {
    expect(parse(QUOTED)).toEqual([
      { fields: ["id", "note", "who"], line: 1 },
      { fields: ["a,1", 'He said "hi"\r\nthen left', "x"], line: 2 },
      { fields: ["b", "plain", "y"], line: 4 },
    ]);
  });

  it("gives the same records however the text is split into chunks", () => {
    const whole = parse(QUOTED);
    for (const chunkSize of [1, 2, 3, 5, 7]) expect(parse(QUOTED, chunkSize)).toEqual(whole);
  });

  it("skips blank lines, keeps empty fields, and reads a last line without a line break", () => {
    expect(parse("a,b\n\n1,\r\n\r\n,2\n3,4")).toEqual([
      { fields: ["a", "b"], line: 1 },
      { fields: ["1", ""], line: 3 },
      { fields: ["", "2"], line: 5 },
      { fields: ["3", "4"], line: 6 },
    ]);
  });

  it("keeps a carriage return inside a quoted field that a comma ends", () => {
    expect(parse('"a\r",b\r\n')).toEqual([{ fields: ["a\r", "b"], line: 1 }]);
  });

  it("after selecting columns, returns only those, in the order asked, and fills absent ones", () => {
    expect(parse('a,b,c,d\n1,"2,2",3,4\n5,6\n', 4, [3, 0])).toEqual([
      { fields: ["a", "b", "c", "d"], line: 1 },
      { fields: ["4", "1"], line: 2 },
      { fields: ["", "5"], line: 3 },
    ]);
  });

  it("rejects a quoted field left open at the end of the file, naming its line", () => {
    expect(() => parse('a,b\n1,2\n3,"open\nstill open\n')).toThrow(ImportError);
    expect(() => parse('a,b\n1,2\n3,"open\nstill open\n')).toThrow(/line 3/);
  });
});

import { ImportError } from "./result.js";

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote inside a quoted field: the field's end, or the first of a doubled quote. */
  QuoteInQuoted,
}

/**
 * Splits RFC 4180 CSV text, written in chunks of any size, into records: fields separated by
 * commas, records by LF or CRLF, quoted fields may hold commas, doubled quotes and line breaks.
 * Blank lines are skipped. Lenient where the RFC is strict: a quote inside an unquoted field,
 * or text after a closing quote, is kept as it is.
 *
 * Once `selectColumns` is called, a record holds only the selected columns: the others are
 * never even cut out of the text.
 */
export class CsvRecordParser {
  private state = State.FieldStart;
  private field = "";
  private fields: string[] = [];
  private column = 0;
  /** The file line the current record starts on (1-based). */
  private recordLine = 1;
  private line = 1;
  /** For each column, its place in the record, or -1 to drop it; null keeps every column. */
  private slots: Int32Array | null = null;
  private selectedCount = 0;
  private keepField = true;
  /** False while the record is only a line break: blank lines are not records. */
  private recordHasContent = false;

  /** `fields` belongs to the callee; `line` is where the record starts. */
  constructor(private readonly onRecord: (fields: string[], line: number) => void) {}

  /** From the next record on, keep only these columns (by index), in this order; absent ones read as "". */
  selectColumns(columns: readonly number[], columnCount: number): void {
    const slots = new Int32Array(Math.max(columnCount, ...columns.map((column) => column + 1))).fill(-1);
    columns.forEach((column, slot) => (slots[column] = slot));
    this.slots = slots;
    this.selectedCount = columns.length;
  }

  write(chunk: string): void {
    let start = 0;
    for (let index = 0; index < chunk.length; index++) {
      const code = chunk.charCodeAt(index);
      if (this.state === State.FieldStart) {
        if (code !== LF && code !== CR) this.recordHasContent = true;
        this.keepField = this.slots === null || (this.slots[this.column] ?? -1) >= 0;
        if (code === QUOTE) {
          this.state = State.Quoted;
          start = index + 1;
          continue;
        }
        // The character is the unquoted field's first: handled below.
        this.state = State.Unquoted;
        start = index;
      }
      switch (this.state) {
        case State.Quoted:
          if (code === QUOTE) {
            if (this.keepField) this.field += chunk.slice(start, index);
            this.state = State.QuoteInQuoted;
          } else if (code === LF) {
            this.line++;
          }
          break;
        case State.QuoteInQuoted:
          // A doubled quote is one literal quote: restart the span on the second one.
          start = index;
          if (code === QUOTE) {
            this.state = State.Quoted;
          } else {
            this.state = State.Unquoted;
            index--;
          }
          break;
        case State.Unquoted:
          if (code === COMMA) {
            this.endField(chunk, start, index, false);
          } else if (code === LF) {
            this.endField(chunk, start, index, true);
            this.endRecord();
            this.line++;
            this.recordLine = this.line;
          }
          break;
      }
    }
    if ((this.state === State.Quoted || this.state === State.Unquoted) && this.keepField) {
      this.field += chunk.slice(start);
    }
  }

  /** Emits the last record; throws if the text ends inside a quoted field. */
  end(): void {
    if (this.state === State.Quoted) {
      throw new ImportError(`The quoted field on line ${this.recordLine} is not closed before the end of the file.`);
    }
    if (this.recordHasContent) {
      this.endField("", 0, 0, false);
      this.endRecord();
    }
  }

  /** Ends the field with `chunk` from `start` to `end`, cut out only when the column is kept. */
  private endField(chunk: string, start: number, end: number, atLineBreak: boolean): void {
    if (this.keepField) {
      let value = this.field + chunk.slice(start, end);
      // A CRLF line break's CR is the field's last character, possibly from the previous chunk.
      if (atLineBreak && value.charCodeAt(value.length - 1) === CR) value = value.slice(0, -1);
      const slot = this.slots === null ? this.column : (this.slots[this.column] ?? -1);
      this.fields[slot] = value;
    }
    this.field = "";
    this.column++;
    this.state = State.FieldStart;
  }

  private endRecord(): void {
    const fields = this.fields;
    this.fields = [];
    this.column = 0;
    if (!this.recordHasContent) return;
    this.recordHasContent = false;
    for (let slot = 0; slot < this.selectedCount; slot++) fields[slot] ??= "";
    this.onRecord(fields, this.recordLine);
  }
}

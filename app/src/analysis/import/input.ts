import { Readable, pipeline } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { createGunzip } from "node:zlib";
import { ImportError } from "./result.js";

export type ImportInput = AsyncIterable<Buffer | string> | Readable;

const BYTE_ORDER_MARK = "\uFEFF";
const GZIP_MAGIC = [0x1f, 0x8b] as const;
// Far larger than zlib's 16 KiB default: each chunk is a round trip to the thread pool.
const GUNZIP_CHUNK_BYTES = 512 * 1024;
// V8 allocates strings over about 64 KB in its large-object space, which costs more than
// parsing them: a 74 MB log decoded in 512 KB pieces took 25% longer to import than in 16 KB ones.
const TEXT_PIECE_BYTES = 16 * 1024;

/**
 * Passes the input's UTF-8 text to `write` in pieces of at most TEXT_PIECE_BYTES, without a
 * leading byte order mark; multi-byte characters split across chunks are joined. A callback
 * rather than an async iterator: thousands of pieces would each cost a round of promises.
 */
export async function readText(input: AsyncIterable<Buffer | string>, write: (text: string) => void): Promise<void> {
  const decoder = new StringDecoder("utf8");
  let atStart = true;
  const emit = (piece: string): void => {
    let text = piece;
    if (atStart && text.length > 0) {
      atStart = false;
      if (text.startsWith(BYTE_ORDER_MARK)) text = text.slice(1);
    }
    if (text.length > 0) write(text);
  };
  for await (const chunk of input) {
    for (let start = 0; start < chunk.length; start += TEXT_PIECE_BYTES) {
      const end = start + TEXT_PIECE_BYTES;
      emit(typeof chunk === "string" ? chunk.slice(start, end) : decoder.write(chunk.subarray(start, end)));
    }
  }
  emit(decoder.end());
}

/**
 * The input's bytes, gunzipped on the fly when they start with the gzip magic bytes.
 * Decompression runs on libuv's thread pool, beside the parsing on the main thread.
 */
export async function* gunzipIfCompressed(input: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  const chunks = input[Symbol.asyncIterator]();
  try {
    let head = Buffer.alloc(0);
    let ended = false;
    while (head.length < GZIP_MAGIC.length && !ended) {
      const next = await chunks.next();
      if (next.done === true) ended = true;
      else head = Buffer.concat([head, toBuffer(next.value)]);
    }
    const bytes = (async function* () {
      yield head;
      if (ended) return;
      for (let next = await chunks.next(); next.done !== true; next = await chunks.next()) yield toBuffer(next.value);
    })();
    if (head[0] !== GZIP_MAGIC[0] || head[1] !== GZIP_MAGIC[1]) {
      yield* bytes;
      return;
    }
    const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
    // pipeline forwards a failure of the input to gunzip, so the loop below rethrows it.
    pipeline(Readable.from(bytes), gunzip, () => {});
    try {
      for await (const chunk of gunzip) yield chunk as Buffer;
    } catch (error) {
      if (isZlibError(error)) throw new ImportError(`The gzip data is truncated or corrupt (${error.message}).`);
      throw error;
    }
  } finally {
    // Releases the input (a file stream closes) when reading stops early, on an error.
    await chunks.return?.();
  }
}

function toBuffer(chunk: Buffer | string): Buffer {
  return typeof chunk === "string" ? Buffer.from(chunk) : chunk;
}

function isZlibError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && String((error as NodeJS.ErrnoException).code).startsWith("Z_");
}

import { randomBytes } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { DecryptionFailed, ENCRYPTION_FORMAT, createDecryptStream, createEncryptStream } from "./encryption.js";

const KEY = randomBytes(32);
const HEADER_BYTES = 17;
const SEALED_CHUNK_BYTES = ENCRYPTION_FORMAT.chunkBytes + 16;

/** Streams `input` through `transform` in pieces of `pieceBytes`, so chunk boundaries fall anywhere. */
async function through(transform: NodeJS.ReadWriteStream, input: Buffer, pieceBytes = 10_007): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < input.length; offset += pieceBytes) pieces.push(input.subarray(offset, offset + pieceBytes));
  const output: Buffer[] = [];
  const collect = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      output.push(chunk);
      callback();
    },
  });
  await pipeline(Readable.from(pieces), transform, collect);
  return Buffer.concat(output);
}

const encrypt = (plaintext: Buffer, key: Uint8Array = KEY) => through(createEncryptStream(key), plaintext);
const decrypt = (ciphertext: Buffer, key: Uint8Array = KEY) => through(createDecryptStream(key), ciphertext);

/** The ciphertext with its sealed chunks rearranged, header kept. */
function rechunk(ciphertext: Buffer, rearrange: (chunks: Buffer[]) => Buffer[]): Buffer {
  const chunks: Buffer[] = [];
  for (let offset = HEADER_BYTES; offset < ciphertext.length; offset += SEALED_CHUNK_BYTES) chunks.push(ciphertext.subarray(offset, offset + SEALED_CHUNK_BYTES));
  return Buffer.concat([ciphertext.subarray(0, HEADER_BYTES), ...rearrange(chunks)]);
}

describe("chunked AES-256-GCM", () => {
  it.each([
    ["empty", 0],
    ["shorter than a chunk", 1000],
    ["exactly one chunk", ENCRYPTION_FORMAT.chunkBytes],
    ["exactly three chunks", 3 * ENCRYPTION_FORMAT.chunkBytes],
    ["several chunks and a bit", 3 * ENCRYPTION_FORMAT.chunkBytes + 123],
  ])("round-trips %s", async (_name, size) => {
    const plaintext = randomBytes(size);
    const ciphertext = await encrypt(plaintext);
    expect(ciphertext.length).toBe(HEADER_BYTES + Math.max(1, Math.ceil(size / ENCRYPTION_FORMAT.chunkBytes)) * 16 + size);
    expect((await decrypt(ciphertext)).equals(plaintext)).toBe(true);
  });

  it("gives different ciphertexts for the same plaintext (fresh nonce prefix per file)", async () => {
    const plaintext = randomBytes(100_000);
    const [first, second] = await Promise.all([encrypt(plaintext), encrypt(plaintext)]);
    expect(first.subarray(9, HEADER_BYTES).equals(second.subarray(9, HEADER_BYTES))).toBe(false);
    expect(first.subarray(HEADER_BYTES).equals(second.subarray(HEADER_BYTES))).toBe(false);
  });

  it("refuses a wrong key", async () => {
    const ciphertext = await encrypt(randomBytes(5000));
    await expect(decrypt(ciphertext, randomBytes(32))).rejects.toBeInstanceOf(DecryptionFailed);
  });

  it("refuses a key that is not 32 bytes", () => {
    expect(() => createEncryptStream(randomBytes(16))).toThrow(/32 bytes/);
  });

  describe("refuses altered ciphertext", () => {
    const plaintext = randomBytes(3 * ENCRYPTION_FORMAT.chunkBytes + 500);
    const alterations: [string, (ciphertext: Buffer) => Buffer][] = [
      ["the final chunk dropped (cut at a chunk boundary)", (c) => rechunk(c, (chunks) => chunks.slice(0, -1))],
      ["cut inside a chunk", (c) => c.subarray(0, HEADER_BYTES + SEALED_CHUNK_BYTES + 100)],
      ["cut to the header", (c) => c.subarray(0, HEADER_BYTES)],
      ["cut inside the header", (c) => c.subarray(0, 10)],
      ["two chunks swapped", (c) => rechunk(c, ([first, second, ...rest]) => [second!, first!, ...rest])],
      ["a chunk repeated", (c) => rechunk(c, (chunks) => [chunks[0]!, ...chunks])],
      ["a byte flipped in a chunk", (c) => flipByte(c, HEADER_BYTES + SEALED_CHUNK_BYTES + 7)],
      ["a byte flipped in a tag", (c) => flipByte(c, c.length - 1)],
      ["a byte flipped in the nonce prefix", (c) => flipByte(c, HEADER_BYTES - 1)],
      ["the chunk size in the header changed", (c) => flipByte(c, 7)],
      ["trailing bytes appended", (c) => Buffer.concat([c, randomBytes(40)])],
    ];

    it.each(alterations)("%s", async (_name, alter) => {
      const ciphertext = await encrypt(plaintext);
      await expect(decrypt(alter(ciphertext))).rejects.toBeInstanceOf(DecryptionFailed);
    });
  });

  it("releases no plaintext of a chunk that fails", async () => {
    const plaintext = randomBytes(2 * ENCRYPTION_FORMAT.chunkBytes + 10);
    const ciphertext = flipByte(await encrypt(plaintext), HEADER_BYTES + 5);
    const released: Buffer[] = [];
    const decryptor = createDecryptStream(KEY);
    decryptor.on("data", (chunk: Buffer) => released.push(chunk));
    await expect(pipeline(Readable.from([ciphertext]), decryptor)).rejects.toBeInstanceOf(DecryptionFailed);
    expect(Buffer.concat(released).length).toBe(0);
  });
});

function flipByte(data: Buffer, index: number): Buffer {
  const copy = Buffer.from(data);
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}

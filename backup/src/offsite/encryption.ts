/**
 * Client-side encryption of the off-site copy: AES-256-GCM over independently authenticated
 * chunks, so a dump of any size streams through in constant memory, and truncation,
 * reordering or a changed byte fails decryption before any altered plaintext is released.
 *
 * Format, version 1:
 *   header  = "TFBK" | version (1 byte) | plaintext chunk size (uint32 BE) | nonce prefix (8 random bytes)
 *   chunk i = AES-256-GCM ciphertext of plaintext chunk i | its 16-byte tag
 *   nonce i = nonce prefix | i (uint32 BE)
 *   AAD i   = header | 1 on the final chunk, else 0 (one byte)
 * Every chunk holds exactly `chunk size` plaintext bytes except the final one (0 to chunk size).
 * The final chunk is always there, so a file cut at a chunk boundary fails too.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

const MAGIC = Buffer.from("TFBK", "ascii");
const VERSION = 1;
const NONCE_PREFIX_BYTES = 8;
const HEADER_BYTES = MAGIC.length + 1 + 4 + NONCE_PREFIX_BYTES;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const CHUNK_BYTES = 64 * 1024;
/** A header asking for bigger chunks is refused, so a forged one cannot make decryption buffer much. */
const MAX_CHUNK_BYTES = 1024 * 1024;
/** The counter is 32 bits wide. */
const MAX_CHUNKS = 2 ** 32;

/** What the off-site manifest records about an encrypted object. */
export const ENCRYPTION_FORMAT = { algorithm: "AES-256-GCM", format: "twinflow-chunked", version: VERSION, chunkBytes: CHUNK_BYTES } as const;
export type EncryptionFormat = typeof ENCRYPTION_FORMAT;

export class DecryptionFailed extends Error {
  override name = "DecryptionFailed";
  constructor(reason: string) {
    super(`the encrypted backup does not decrypt (${reason}): wrong BACKUP_ENCRYPTION_KEY, or the object was altered or truncated`);
  }
}

/** Plaintext in, header and sealed chunks out; a fresh random nonce prefix per stream. */
export function createEncryptStream(key: Uint8Array): Transform {
  const header = encodeHeader(randomBytes(NONCE_PREFIX_BYTES));
  const chunks = new ChunkCipher(key, header);
  let pending: Buffer = Buffer.alloc(0);
  const stream = new Transform({
    transform(data: Buffer, _encoding, callback: TransformCallback) {
      settle(callback, () => {
        pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
        // A chunk is sealed only once more data follows it: the final one must carry the flag.
        while (pending.length > CHUNK_BYTES) {
          this.push(chunks.seal(pending.subarray(0, CHUNK_BYTES), false));
          pending = pending.subarray(CHUNK_BYTES);
        }
      });
    },
    flush(callback: TransformCallback) {
      settle(callback, () => this.push(chunks.seal(pending, true)));
    },
  });
  stream.push(header);
  return stream;
}

/** Header and sealed chunks in, plaintext out; each chunk is released only once its tag checks. */
export function createDecryptStream(key: Uint8Array): Transform {
  let chunks: ChunkCipher | undefined;
  let sealedBytes = 0;
  let pending: Buffer = Buffer.alloc(0);
  return new Transform({
    transform(data: Buffer, _encoding, callback: TransformCallback) {
      settle(callback, () => {
        pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
        if (!chunks) {
          if (pending.length < HEADER_BYTES) return;
          const header = pending.subarray(0, HEADER_BYTES);
          sealedBytes = decodeHeader(header).chunkBytes + TAG_BYTES;
          chunks = new ChunkCipher(key, header);
          pending = pending.subarray(HEADER_BYTES);
        }
        while (pending.length > sealedBytes) {
          this.push(chunks.open(pending.subarray(0, sealedBytes), false));
          pending = pending.subarray(sealedBytes);
        }
      });
    },
    flush(callback: TransformCallback) {
      settle(callback, () => {
        if (!chunks) throw new DecryptionFailed("shorter than its header");
        if (pending.length < TAG_BYTES) throw new DecryptionFailed("the final chunk is missing");
        this.push(chunks.open(pending, true));
      });
    },
  });
}

/** Seals or opens the chunks of one file in order; the chunk index is the nonce counter. */
class ChunkCipher {
  private index = 0;
  private readonly key: Uint8Array;

  constructor(
    key: Uint8Array,
    private readonly header: Buffer,
  ) {
    if (key.length !== KEY_BYTES) throw new Error(`the backup encryption key must be ${KEY_BYTES} bytes (AES-256), not ${key.length}`);
    this.key = key;
  }

  seal(plaintext: Buffer, last: boolean): Buffer {
    const cipher = createCipheriv("aes-256-gcm", this.key, this.nextNonce());
    cipher.setAAD(this.aad(last));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([ciphertext, cipher.getAuthTag()]);
  }

  open(sealed: Buffer, last: boolean): Buffer {
    const chunk = this.index;
    const decipher = createDecipheriv("aes-256-gcm", this.key, this.nextNonce());
    decipher.setAAD(this.aad(last));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
    try {
      decipher.final();
    } catch {
      throw new DecryptionFailed(`chunk ${chunk}${last ? ", the final one," : ""} fails authentication`);
    }
    return plaintext;
  }

  private nextNonce(): Buffer {
    if (this.index >= MAX_CHUNKS) throw new Error("the backup is too large for one encrypted stream (2^32 chunks)");
    const nonce = Buffer.alloc(NONCE_PREFIX_BYTES + 4);
    this.header.copy(nonce, 0, HEADER_BYTES - NONCE_PREFIX_BYTES);
    nonce.writeUInt32BE(this.index, NONCE_PREFIX_BYTES);
    this.index += 1;
    return nonce;
  }

  private aad(last: boolean): Buffer {
    return Buffer.concat([this.header, Buffer.from([last ? 1 : 0])]);
  }
}

function encodeHeader(noncePrefix: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt8(VERSION, MAGIC.length);
  header.writeUInt32BE(CHUNK_BYTES, MAGIC.length + 1);
  noncePrefix.copy(header, MAGIC.length + 5);
  return header;
}

function decodeHeader(header: Buffer): { chunkBytes: number } {
  if (!header.subarray(0, MAGIC.length).equals(MAGIC)) throw new DecryptionFailed("not a TwinFlow encrypted backup");
  const version = header.readUInt8(MAGIC.length);
  if (version !== VERSION) throw new DecryptionFailed(`format version ${version} is not supported`);
  const chunkBytes = header.readUInt32BE(MAGIC.length + 1);
  if (chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) throw new DecryptionFailed(`chunk size ${chunkBytes} is out of range`);
  return { chunkBytes };
}

/** Runs a transform step, handing what it throws to the stream instead of the event loop. */
function settle(callback: TransformCallback, step: () => void): void {
  try {
    step();
  } catch (error) {
    callback(error as Error);
    return;
  }
  callback();
}

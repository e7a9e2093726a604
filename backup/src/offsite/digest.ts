/**
 * Digests of bytes as they stream past: sha256 is what manifests and object metadata record,
 * MD5 is what S3's Content-MD5 header carries (and what B2 demands under Object Lock).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { Transform } from "node:stream";

export interface Digest {
  /** Hex. */
  sha256: string;
  /** Base64, as Content-MD5 wants it. */
  md5: string;
  sizeBytes: number;
}

export class Digester {
  private readonly sha256 = createHash("sha256");
  private readonly md5 = createHash("md5");
  private sizeBytes = 0;

  update(chunk: Buffer): void {
    this.sha256.update(chunk);
    this.md5.update(chunk);
    this.sizeBytes += chunk.length;
  }

  /** Once only: the hashes cannot be read twice. */
  result(): Digest {
    return { sha256: this.sha256.digest("hex"), md5: this.md5.digest("base64"), sizeBytes: this.sizeBytes };
  }
}

/** Passes bytes through unchanged, feeding them to `digester` on the way. */
export function digestTap(digester: Digester): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      digester.update(chunk);
      callback(null, chunk);
    },
  });
}

export async function digestFile(path: string): Promise<Digest> {
  const digester = new Digester();
  for await (const chunk of createReadStream(path)) digester.update(chunk as Buffer);
  return digester.result();
}

export function digestOf(data: Buffer): Digest {
  const digester = new Digester();
  digester.update(data);
  return digester.result();
}

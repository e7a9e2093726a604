/**
 * The bytes that go off-site, as a file on disk with its digest. Content-MD5 and the sha256
 * metadata are sent before the body, so the digest must be known first: for a plain copy the
 * dump is read once to hash it; for an encrypted one the dump is encrypted into a temporary
 * file next to it (same volume, room for a dump), hashed on the way.
 */
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { GoodBackup } from "../manifest.js";
import { Digester, digestFile, digestTap, type Digest } from "./digest.js";
import { createEncryptStream } from "./encryption.js";

export interface UploadBody {
  path: string;
  digest: Digest;
  /** Removes what was made for the upload; the dump itself stays. */
  dispose(): Promise<void>;
}

export async function prepareUploadBody(backup: GoodBackup, encryptionKey: Uint8Array | undefined): Promise<UploadBody> {
  if (!encryptionKey) {
    const digest = await digestFile(backup.path);
    assertStillTheBackup(backup, digest);
    return { path: backup.path, digest, dispose: async () => {} };
  }
  // Not a good name, so nothing treats it as a backup if the process dies before removing it.
  const encryptedPath = path.join(path.dirname(backup.path), `.${backup.file}.${randomBytes(6).toString("hex")}.offsite-tmp`);
  const dispose = () => rm(encryptedPath, { force: true });
  const plain = new Digester();
  const encrypted = new Digester();
  try {
    await pipeline(
      createReadStream(backup.path),
      digestTap(plain),
      createEncryptStream(encryptionKey),
      digestTap(encrypted),
      createWriteStream(encryptedPath, { flags: "wx", mode: 0o600 }),
    );
    assertStillTheBackup(backup, plain.result());
  } catch (error) {
    await dispose();
    throw error;
  }
  return { path: encryptedPath, digest: encrypted.result(), dispose };
}

/** A dump that changed on disk since its gates passed is not what its manifest vouches for. */
function assertStillTheBackup(backup: GoodBackup, digest: Digest): void {
  if (digest.sha256 !== backup.manifest.sha256 || digest.sizeBytes !== backup.manifest.sizeBytes) {
    throw new Error(`${backup.file} no longer matches its manifest (size or sha256 differ); it is not copied off-site`);
  }
}

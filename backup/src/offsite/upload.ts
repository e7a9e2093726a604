/**
 * Copies one good backup to the bucket under keys no other backup has: the dump (encrypted
 * when a key is set), then its manifest, each checked with HEAD once written. Existing keys
 * are never written again, so the copy only ever adds to the off-site history.
 */
import { createReadStream } from "node:fs";
import type { OffsiteConfig } from "../../../app/src/config.js";
import type { Logger } from "../../../app/src/platform/log.js";
import type { GoodBackup } from "../manifest.js";
import { digestOf } from "./digest.js";
import { ENCRYPTION_FORMAT } from "./encryption.js";
import { offsiteKeys } from "./layout.js";
import { putObjectMultipart } from "./multipart.js";
import { OffsiteObjectExists, objectExists, putObject, verifyStoredObject, type ObjectTarget } from "./objects.js";
import { serializeOffsiteManifest, type OffsiteObject } from "./offsite-manifest.js";
import type { OffsiteS3 } from "./s3-client.js";
import { prepareUploadBody } from "./upload-body.js";

export interface MultipartOptions {
  /** Objects larger than this go up in parts. */
  thresholdBytes: number;
  /** At least 5 MiB (multipart.ts MIN_PART_BYTES). */
  partBytes: number;
}

export const DEFAULT_MULTIPART: MultipartOptions = { thresholdBytes: 64 * 1024 * 1024, partBytes: 16 * 1024 * 1024 };

export interface UploadDeps {
  client: OffsiteS3;
  config: OffsiteConfig;
  /** 32 bytes; the object is encrypted with it (encryption.ts) when set. */
  encryptionKey?: Uint8Array;
  log: Logger;
  now?: () => Date;
  multipart?: Partial<MultipartOptions>;
}

export interface UploadResult {
  dumpKey: string;
  manifestKey: string;
  /** Of the dump object as stored (encrypted or not). */
  sizeBytes: number;
  /** Hex sha256 of the dump object as stored. */
  sha256: string;
  encrypted: boolean;
}

export async function uploadBackup(backup: GoodBackup, deps: UploadDeps): Promise<UploadResult> {
  const { client, config, encryptionKey, log } = deps;
  const multipart = { ...DEFAULT_MULTIPART, ...deps.multipart };
  if (backup.manifest.file !== backup.file) throw new Error(`${backup.file}: its manifest names ${backup.manifest.file}`);
  const encrypted = encryptionKey !== undefined;
  const { dumpKey, manifestKey } = offsiteKeys(config.prefix, backup.file, encrypted);
  for (const key of [dumpKey, manifestKey]) {
    if (await objectExists(client, config.bucket, key)) throw new OffsiteObjectExists(key);
  }

  const body = await prepareUploadBody(backup, encryptionKey);
  try {
    const dumpTarget: ObjectTarget = { bucket: config.bucket, key: dumpKey, contentType: "application/octet-stream" };
    if (body.digest.sizeBytes > multipart.thresholdBytes) {
      await putObjectMultipart(client, dumpTarget, body.path, body.digest, multipart.partBytes, log);
    } else {
      await putObject(client, dumpTarget, createReadStream(body.path), body.digest);
    }
    await verifyStoredObject(client, dumpTarget, body.digest);

    // Last, so a manifest always names a complete, checked object.
    const offsite: OffsiteObject = {
      key: dumpKey,
      encryption: encrypted ? ENCRYPTION_FORMAT : null,
      sizeBytes: body.digest.sizeBytes,
      sha256: body.digest.sha256,
      uploadedAt: (deps.now?.() ?? new Date()).toISOString(),
    };
    const manifestTarget: ObjectTarget = { bucket: config.bucket, key: manifestKey, contentType: "application/json" };
    const manifestBody = serializeOffsiteManifest(backup.manifest, offsite);
    const manifestDigest = digestOf(manifestBody);
    await putObject(client, manifestTarget, manifestBody, manifestDigest);
    await verifyStoredObject(client, manifestTarget, manifestDigest);
  } finally {
    await body.dispose();
  }

  log.info({ dumpKey, manifestKey, sizeBytes: body.digest.sizeBytes, encrypted }, "backup copied off-site");
  return { dumpKey, manifestKey, sizeBytes: body.digest.sizeBytes, sha256: body.digest.sha256, encrypted };
}

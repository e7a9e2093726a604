/**
 * Fetches the newest off-site backup for a restore: its manifest (listing.ts), then the
 * object it names, streamed to disk (decrypted when the manifest says so).
 * The file gets its final name only once its bytes match the manifest.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import type { OffsiteConfig } from "../../../app/src/config.js";
import type { Logger } from "../../../app/src/platform/log.js";
import { Digester, digestTap } from "./digest.js";
import { createDecryptStream } from "./encryption.js";
import { offsiteKeys } from "./layout.js";
import { newestManifestKey } from "./listing.js";
import { OffsiteMismatch } from "./objects.js";
import { parseOffsiteManifest, type OffsiteManifest } from "./offsite-manifest.js";
import type { OffsiteS3 } from "./s3-client.js";

export interface DownloadDeps {
  client: OffsiteS3;
  config: OffsiteConfig;
  /** Needed when the newest backup is encrypted. */
  encryptionKey?: Uint8Array;
  /** Local scratch directory; the dump is written here under its good name. */
  dir: string;
  log: Logger;
}

export interface DownloadedBackup {
  /** The dump, decrypted, its sha256 checked against the manifest. */
  path: string;
  manifest: OffsiteManifest;
  /** The dump object's key. */
  key: string;
}

export async function downloadNewest(deps: DownloadDeps): Promise<DownloadedBackup> {
  const { client, config, log } = deps;
  const manifestKey = await newestManifestKey(client, config);
  const manifest = parseOffsiteManifest(await readObjectText(client, config.bucket, manifestKey), manifestKey);
  const encrypted = manifest.offsite.encryption !== null;
  const expected = offsiteKeys(config.prefix, manifest.file, encrypted);
  if (expected.manifestKey !== manifestKey || expected.dumpKey !== manifest.offsite.key) {
    throw new Error(`${manifestKey} names ${manifest.offsite.key}, not the object its own key implies (${expected.dumpKey}); it is not restored`);
  }
  if (encrypted && !deps.encryptionKey) {
    throw new Error(`${manifest.offsite.key} is encrypted: set BACKUP_ENCRYPTION_KEY to the key it was uploaded with to restore it`);
  }
  const target = path.join(deps.dir, manifest.file);
  await downloadVerified(client, config.bucket, manifest, encrypted ? deps.encryptionKey : undefined, target);
  log.info({ key: manifest.offsite.key, sizeBytes: manifest.sizeBytes, encrypted }, "off-site backup downloaded and verified");
  return { path: target, manifest, key: manifest.offsite.key };
}

async function readObjectText(client: OffsiteS3, bucket: string, key: string): Promise<string> {
  const { Body: body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!body) throw new Error(`${key} came back without a body`);
  return body.transformToString("utf8");
}

/** Object bytes → decrypted with `decryptionKey` when given → file; the object checked against `offsite`, the dump against the manifest. */
async function downloadVerified(client: OffsiteS3, bucket: string, manifest: OffsiteManifest, decryptionKey: Uint8Array | undefined, target: string): Promise<void> {
  const { key } = manifest.offsite;
  const partial = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString("hex")}.partial`);
  const stored = new Digester();
  const dump = new Digester();
  try {
    const { Body: body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!(body instanceof Readable)) throw new Error(`${key} came back without a readable body`);
    await pipeline(
      body,
      digestTap(stored),
      decryptionKey ? createDecryptStream(decryptionKey) : new PassThrough(),
      digestTap(dump),
      createWriteStream(partial, { flags: "wx", mode: 0o600 }),
    );
    const storedDigest = stored.result();
    if (storedDigest.sha256 !== manifest.offsite.sha256 || storedDigest.sizeBytes !== manifest.offsite.sizeBytes) {
      throw new OffsiteMismatch(`downloaded object ${key}`, manifest.offsite, storedDigest);
    }
    const dumpDigest = dump.result();
    if (dumpDigest.sha256 !== manifest.sha256 || dumpDigest.sizeBytes !== manifest.sizeBytes) {
      throw new OffsiteMismatch(`dump ${manifest.file} from ${key}`, manifest, dumpDigest);
    }
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

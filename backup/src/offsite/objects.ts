/**
 * Single-object steps on the allowlisted client: does a key exist, write one object with its
 * Content-MD5 and sha256 metadata, and check what the bucket holds afterwards.
 */
import type { Readable } from "node:stream";
import { HeadObjectCommand, PutObjectCommand, S3ServiceException } from "@aws-sdk/client-s3";
import type { Digest } from "./digest.js";
import type { OffsiteS3 } from "./s3-client.js";

export interface ObjectTarget {
  bucket: string;
  key: string;
  contentType: string;
}

/** Object metadata (x-amz-meta-sha256): the hex sha256 of the object's bytes. */
export const SHA256_METADATA = "sha256";

export class OffsiteObjectExists extends Error {
  override name = "OffsiteObjectExists";
  constructor(readonly key: string) {
    super(`${key} already exists off-site and objects are never overwritten; a run that stopped before its manifest leaves this, and the next backup gets new keys`);
  }
}

export class OffsiteMismatch extends Error {
  override name = "OffsiteMismatch";
  constructor(what: string, expected: Pick<Digest, "sha256" | "sizeBytes">, actual: { sha256?: string; sizeBytes?: number }) {
    super(`${what} does not match: expected ${expected.sizeBytes} bytes with sha256 ${expected.sha256}, found ${actual.sizeBytes ?? "no size"} with ${actual.sha256 ?? "no sha256"}`);
  }
}

export async function objectExists(client: OffsiteS3, bucket: string, key: string): Promise<boolean> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404) return false;
    throw error;
  }
}

/** One PutObject; `digest` must be of exactly the bytes in `body`. */
export async function putObject(client: OffsiteS3, target: ObjectTarget, body: Readable | Buffer, digest: Digest): Promise<void> {
  await client.send(
    new PutObjectCommand({
      Bucket: target.bucket,
      Key: target.key,
      Body: body,
      ContentLength: digest.sizeBytes,
      ContentType: target.contentType,
      // B2 requires it under Object Lock, and it makes the server refuse a body damaged in transit.
      ContentMD5: digest.md5,
      Metadata: { [SHA256_METADATA]: digest.sha256 },
    }),
  );
}

/** What the bucket now holds under the key has the expected size and sha256 metadata. */
export async function verifyStoredObject(client: OffsiteS3, target: ObjectTarget, expected: Digest): Promise<void> {
  const head = await client.send(new HeadObjectCommand({ Bucket: target.bucket, Key: target.key }));
  const stored = { sizeBytes: head.ContentLength, sha256: head.Metadata?.[SHA256_METADATA] };
  if (stored.sizeBytes !== expected.sizeBytes || stored.sha256 !== expected.sha256) throw new OffsiteMismatch(`stored object ${target.key}`, expected, stored);
}

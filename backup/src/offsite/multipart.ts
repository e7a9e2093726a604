/**
 * Large objects go up in parts. Each part is read from disk on its own (never the whole
 * file) and sent with its own Content-MD5; a failed upload is aborted, so no unfinished
 * upload keeps its parts in the bucket.
 */
import { open, type FileHandle } from "node:fs/promises";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type CompletedPart,
} from "@aws-sdk/client-s3";
import type { Logger } from "../../../app/src/platform/log.js";
import { Digester, digestOf, type Digest } from "./digest.js";
import { OffsiteMismatch, SHA256_METADATA, type ObjectTarget } from "./objects.js";
import type { OffsiteS3 } from "./s3-client.js";

/** S3's (and B2's) smallest part but the last. */
const MIN_PART_BYTES = 5 * 1024 * 1024;
const MAX_PARTS = 10_000;

/** Uploads the file at `path`, whose digest is `digest`, in parts of at least `partBytes`. */
export async function putObjectMultipart(client: OffsiteS3, target: ObjectTarget, path: string, digest: Digest, partBytes: number, log: Logger): Promise<void> {
  if (partBytes < MIN_PART_BYTES) throw new Error(`multipart parts must be at least ${MIN_PART_BYTES} bytes, not ${partBytes}`);
  // At most 10,000 parts: a bigger file gets bigger parts.
  const partSize = Math.max(partBytes, Math.ceil(digest.sizeBytes / MAX_PARTS));
  const { UploadId: uploadId } = await client.send(
    new CreateMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, ContentType: target.contentType, Metadata: { [SHA256_METADATA]: digest.sha256 } }),
  );
  if (!uploadId) throw new Error(`CreateMultipartUpload of ${target.key} returned no upload id`);
  try {
    const parts = await uploadParts(client, target, uploadId, path, digest, partSize);
    await client.send(new CompleteMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
  } catch (error) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: target.bucket, Key: target.key, UploadId: uploadId })).catch((abortError: unknown) => {
      log.error({ err: abortError, key: target.key }, "aborting the failed multipart upload failed too; its parts stay until B2 cancels the upload");
    });
    throw error;
  }
}

async function uploadParts(client: OffsiteS3, target: ObjectTarget, uploadId: string, path: string, digest: Digest, partSize: number): Promise<CompletedPart[]> {
  // The metadata promises this sha256: the bytes actually sent must have it before the upload completes.
  const sent = new Digester();
  const parts: CompletedPart[] = [];
  const file = await open(path, "r");
  try {
    for (let offset = 0; offset < digest.sizeBytes; offset += partSize) {
      const partNumber = parts.length + 1;
      const data = await readRange(file, path, offset, Math.min(partSize, digest.sizeBytes - offset));
      sent.update(data);
      const { ETag } = await client.send(
        new UploadPartCommand({ Bucket: target.bucket, Key: target.key, UploadId: uploadId, PartNumber: partNumber, Body: data, ContentLength: data.length, ContentMD5: digestOf(data).md5 }),
      );
      if (!ETag) throw new Error(`UploadPart ${partNumber} of ${target.key} returned no ETag`);
      parts.push({ ETag, PartNumber: partNumber });
    }
  } finally {
    await file.close();
  }
  const sentDigest = sent.result();
  if (sentDigest.sha256 !== digest.sha256) throw new OffsiteMismatch(`the parts read from ${path}`, digest, sentDigest);
  return parts;
}

async function readRange(file: FileHandle, path: string, position: number, length: number): Promise<Buffer> {
  const data = Buffer.alloc(length);
  for (let filled = 0; filled < length; ) {
    const { bytesRead } = await file.read(data, filled, length - filled, position + filled);
    if (bytesRead === 0) throw new Error(`${path} ended at ${position + filled} bytes, before the ${position + length} its digest covers`);
    filled += bytesRead;
  }
  return data;
}

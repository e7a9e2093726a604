import * as s3 from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import type { OffsiteConfig } from "../../../app/src/config.js";
import { ALLOWED_OPERATIONS, OperationNotAllowed, createGuardedS3Client, createOffsiteS3 } from "./s3-client.js";

/** Nothing listens on port 1: a request that got out would fail with a connection error, not OperationNotAllowed. */
const CONFIG: OffsiteConfig = {
  bucket: "twinflow-offsite",
  prefix: "twinflow",
  endpoint: "http://127.0.0.1:1",
  region: "us-west-004",
  keyId: "key-id",
  applicationKey: "application-key",
  apiUrl: "http://127.0.0.1:1",
};

type AnyCommand = new (input: object) => object;

/** Every command class the SDK exports, by operation name. */
const ALL_COMMANDS = Object.entries(s3)
  .filter(([name, value]) => /^[A-Z]\w*Command$/.test(name) && typeof value === "function")
  .map(([name, value]) => [name.replace(/Command$/, ""), value as AnyCommand] as const);

const REFUSED = ALL_COMMANDS.filter(([operation]) => !ALLOWED_OPERATIONS.includes(operation));

describe("the off-site S3 client", () => {
  it("allows exactly the operations that add objects or read them", () => {
    expect([...ALLOWED_OPERATIONS].sort()).toEqual(
      ["AbortMultipartUpload", "CompleteMultipartUpload", "CreateMultipartUpload", "GetObject", "HeadObject", "ListObjectsV2", "PutObject", "UploadPart"].sort(),
    );
    expect(REFUSED.map(([operation]) => operation)).toEqual(expect.arrayContaining(["DeleteObject", "DeleteObjects", "PutObjectRetention", "PutObjectLegalHold", "PutBucketLifecycleConfiguration", "CopyObject"]));
  });

  it.each(REFUSED)("refuses %s before sending it", async (operation, Command) => {
    const client = createOffsiteS3(CONFIG);
    await expect(client.send(new Command({ Bucket: CONFIG.bucket, Key: "k" }) as never)).rejects.toThrow(new OperationNotAllowed(operation));
    client.destroy();
  });

  it("refuses a subclass of an allowed command", async () => {
    class RebuiltPutObjectCommand extends s3.PutObjectCommand {}
    const client = createOffsiteS3(CONFIG);
    await expect(client.send(new RebuiltPutObjectCommand({ Bucket: CONFIG.bucket, Key: "k" }))).rejects.toThrow(new OperationNotAllowed("RebuiltPutObject"));
    client.destroy();
  });

  it.each(REFUSED)("refuses %s sent straight to the SDK client", async (operation, Command) => {
    const raw = createGuardedS3Client(CONFIG);
    await expect(raw.send(new Command({ Bucket: CONFIG.bucket, Key: "k" }) as never)).rejects.toThrow(new OperationNotAllowed(operation));
    raw.destroy();
  });
});

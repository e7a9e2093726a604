/**
 * The off-site copy against s3rver (behind a proxy that records every request) and a fake
 * b2_authorize_account: what is sent, what is refused, and what comes back for a restore.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, PutObjectRetentionCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OffsiteConfig } from "../../app/src/config.js";
import { createLogger } from "../../app/src/platform/log.js";
import { CORE_TABLES, listGoodBackups, type BackupManifest, type GoodBackup } from "../../backup/src/manifest.js";
import { copyOffsite } from "../../backup/src/offsite/copy.js";
import { downloadNewest } from "../../backup/src/offsite/download.js";
import { DecryptionFailed } from "../../backup/src/offsite/encryption.js";
import { OffsiteMismatch, OffsiteObjectExists } from "../../backup/src/offsite/objects.js";
import { parseOffsiteManifest } from "../../backup/src/offsite/offsite-manifest.js";
import { OffsiteKeyRefused, checkOffsiteKey } from "../../backup/src/offsite/preflight.js";
import { OperationNotAllowed, createGuardedS3Client, createOffsiteS3, type OffsiteS3 } from "../../backup/src/offsite/s3-client.js";
import { writeBackupFiles } from "./fake-backups.js";
import { DOCUMENTED_CAPABILITIES, startFakeB2, type FakeB2 } from "../fakes/b2.js";
import { startFakeS3, type FakeS3, type RecordedS3Request } from "../fakes/s3.js";

const BUCKET = "twinflow-offsite";
const KEY_ID = "004a1b2c3d4e5f60000000042";
const APPLICATION_KEY = "K004SecretApplicationKeyNeverLogged";
const NOW = new Date("2026-03-01T12:00:00.000Z");
const MULTIPART = { thresholdBytes: 1024 * 1024, partBytes: 5 * 1024 * 1024 };
/** Headers the SDK adds for its default checksums, which B2 rejects. */
const SDK_CHECKSUM_HEADER = /^x-amz-(checksum-|sdk-checksum-algorithm$|trailer$|decoded-content-length$)/;

let root: string;
let s3: FakeS3;
let b2: FakeB2;
let client: OffsiteS3;
const logLines: string[] = [];
const log = createLogger({ level: "debug", destination: { write: (line: string) => logLines.push(line) } });

/** Each test writes under its own prefix, so newest-backup lookups never see another test's backups. */
const configFor = (prefix: string): OffsiteConfig => ({
  bucket: BUCKET,
  prefix,
  endpoint: s3.url,
  region: "us-west-004",
  keyId: KEY_ID,
  applicationKey: APPLICATION_KEY,
  apiUrl: b2.url,
});

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "twinflow-offsite-"));
  await mkdir(path.join(root, "s3rver"));
  s3 = await startFakeS3({ bucket: BUCKET, directory: path.join(root, "s3rver"), accessKeyId: KEY_ID, secretAccessKey: APPLICATION_KEY });
  b2 = await startFakeB2({ keyId: KEY_ID, applicationKey: APPLICATION_KEY });
  client = createOffsiteS3(configFor("unused"), { forcePathStyle: true });
});

afterAll(async () => {
  client?.destroy();
  await s3?.close();
  await b2?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

let backupCount = 0;

/** A good backup on disk, as the backup pipeline leaves it: random bytes as the dump, its sidecar and manifest. */
async function writeGoodBackup(sizeBytes: number, createdAt: Date): Promise<GoodBackup> {
  backupCount += 1;
  const dir = path.join(root, `backups-${backupCount}`);
  await mkdir(dir);
  await writeBackupFiles(dir, randomBytes(sizeBytes), createdAt, {
    schemaVersion: 42,
    rowCounts: Object.fromEntries(CORE_TABLES.map((table) => [table, 3])) as BackupManifest["rowCounts"],
    canary: `canary-${backupCount}`,
  });
  const [backup] = await listGoodBackups(dir);
  if (!backup) throw new Error("the fake backup is not a good backup");
  return backup;
}

async function scratchDir(): Promise<string> {
  return mkdtemp(path.join(root, "scratch-"));
}

/** Runs `action` and returns the S3 requests it made. */
async function requestsOf(action: () => Promise<unknown>): Promise<RecordedS3Request[]> {
  const before = s3.requests.length;
  await action();
  return s3.requests.slice(before);
}

async function objectBytes(key: string): Promise<Buffer> {
  const { Body: body } = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await body!.transformToByteArray());
}

const md5Base64 = (data: Buffer) => createHash("md5").update(data).digest("base64");
const sha12 = (backup: GoodBackup) => backup.manifest.sha256.slice(0, 12);
const summary = (requests: RecordedS3Request[]) => requests.map((request) => `${request.method} ${request.path}${request.query.uploads === "" ? "?uploads" : ""}`);

/** Every PutObject and UploadPart carried Content-MD5, equal to the MD5 of the body that arrived. */
function expectContentMd5OnEveryUpload(requests: RecordedS3Request[]): void {
  const uploads = requests.filter((request) => request.method === "PUT");
  expect(uploads.length).toBeGreaterThan(0);
  for (const upload of uploads) expect(upload.headers["content-md5"], `${upload.method} ${upload.path}`).toBe(upload.bodyMd5);
}

function expectNoSdkChecksumHeaders(requests: RecordedS3Request[]): void {
  for (const request of requests) expect(Object.keys(request.headers).filter((name) => SDK_CHECKSUM_HEADER.test(name))).toEqual([]);
}

describe("copyOffsite", () => {
  it("uploads the dump and then its manifest with Content-MD5, and checks both with HEAD", async () => {
    const backup = await writeGoodBackup(300_000, new Date("2026-01-02T03:04:05Z"));
    const config = configFor("plain");
    let outcome: Awaited<ReturnType<typeof copyOffsite>> | undefined;
    const requests = await requestsOf(async () => {
      outcome = await copyOffsite(backup, { config, client, log, now: () => NOW });
    });

    const base = `plain/2026/01/02/20260102T030405Z-${sha12(backup)}`;
    expect(outcome).toMatchObject({ target: `b2://${BUCKET}/${base}.dump`, sizeBytes: 300_000, details: { dumpKey: `${base}.dump`, manifestKey: `${base}.manifest.json`, encrypted: false } });
    const dumpPath = `/${BUCKET}/${base}.dump`;
    const manifestPath = `/${BUCKET}/${base}.manifest.json`;
    expect(summary(requests)).toEqual([`HEAD ${dumpPath}`, `HEAD ${manifestPath}`, `PUT ${dumpPath}`, `HEAD ${dumpPath}`, `PUT ${manifestPath}`, `HEAD ${manifestPath}`]);
    const content = await readFile(backup.path);
    expect(requests[2]!.headers["content-md5"]).toBe(md5Base64(content));
    expect(requests[2]!.headers["x-amz-meta-sha256"]).toBe(backup.manifest.sha256);
    expectContentMd5OnEveryUpload(requests);
    expectNoSdkChecksumHeaders(requests);

    expect((await objectBytes(`${base}.dump`)).equals(content)).toBe(true);
    const stored = parseOffsiteManifest((await objectBytes(`${base}.manifest.json`)).toString("utf8"), "manifest");
    expect(stored).toEqual({
      ...backup.manifest,
      offsite: { key: `${base}.dump`, encryption: null, sizeBytes: 300_000, sha256: backup.manifest.sha256, uploadedAt: NOW.toISOString() },
    });
  });

  it("uploads a dump above the threshold in parts, each with its own Content-MD5", async () => {
    const backup = await writeGoodBackup(12 * 1024 * 1024 + 321, new Date("2026-01-03T00:00:00Z"));
    const requests = await requestsOf(() => copyOffsite(backup, { config: configFor("parts"), client, log, multipart: MULTIPART }));

    const base = `/${BUCKET}/parts/2026/01/03/20260103T000000Z-${sha12(backup)}`;
    expect(summary(requests)).toEqual([
      `HEAD ${base}.dump`,
      `HEAD ${base}.manifest.json`,
      `POST ${base}.dump?uploads`,
      `PUT ${base}.dump`,
      `PUT ${base}.dump`,
      `PUT ${base}.dump`,
      `POST ${base}.dump`,
      `HEAD ${base}.dump`,
      `PUT ${base}.manifest.json`,
      `HEAD ${base}.manifest.json`,
    ]);
    const parts = requests.filter((request) => request.query.partNumber !== undefined);
    expect(parts.map((part) => [part.query.partNumber, part.bodyBytes])).toEqual([
      ["1", 5 * 1024 * 1024],
      ["2", 5 * 1024 * 1024],
      ["3", 2 * 1024 * 1024 + 321],
    ]);
    expectContentMd5OnEveryUpload(requests);
    expectNoSdkChecksumHeaders(requests);
    expect((await objectBytes(`parts/2026/01/03/20260103T000000Z-${sha12(backup)}.dump`)).equals(await readFile(backup.path))).toBe(true);
  });

  it("refuses to copy the same backup twice, without writing anything", async () => {
    const backup = await writeGoodBackup(10_000, new Date("2026-01-04T00:00:00Z"));
    const config = configFor("twice");
    await copyOffsite(backup, { config, client, log });
    const requests = await requestsOf(() => expect(copyOffsite(backup, { config, client, log })).rejects.toBeInstanceOf(OffsiteObjectExists));
    expect(requests.map((request) => request.method)).toEqual(["HEAD"]);
  });

  it("refuses a key that could destroy the history, or one for another bucket, before any S3 request", async () => {
    const backup = await writeGoodBackup(10_000, new Date("2026-01-05T00:00:00Z"));
    const config = configFor("refused");
    const refusals: [Parameters<FakeB2["setKey"]>[0], RegExp][] = [
      [{ capabilities: [...DOCUMENTED_CAPABILITIES, "deleteFiles"] }, /^B2 key \S+ holds deleteFiles, .*; see docs\/backups\.md$/],
      [{ capabilities: [...DOCUMENTED_CAPABILITIES, "writeKeys"] }, /holds writeKeys, /],
      [{ capabilities: [...DOCUMENTED_CAPABILITIES, "bypassGovernance"] }, /holds bypassGovernance, /],
      [{ bucketName: "someone-elses-bucket" }, /is restricted to bucket someone-elses-bucket, not B2_BUCKET=twinflow-offsite; see docs\/backups\.md$/],
    ];
    try {
      for (const [key, message] of refusals) {
        b2.setKey({ capabilities: DOCUMENTED_CAPABILITIES, bucketName: null, ...key });
        const requests = await requestsOf(async () => {
          const refusal = copyOffsite(backup, { config, client, log });
          await expect(refusal).rejects.toBeInstanceOf(OffsiteKeyRefused);
          await expect(refusal).rejects.toThrow(message);
        });
        expect(requests).toEqual([]);
      }
    } finally {
      b2.setKey({ capabilities: DOCUMENTED_CAPABILITIES, bucketName: null });
    }
  });

  it("accepts the documented key, restricted to the bucket, asking with HTTP Basic", async () => {
    b2.setKey({ bucketName: BUCKET });
    try {
      const before = b2.requests.length;
      const scope = await checkOffsiteKey(configFor("any"), { log });
      expect(scope).toEqual({ capabilities: DOCUMENTED_CAPABILITIES, bucketId: `bucket-id-of-${BUCKET}`, bucketName: BUCKET, namePrefix: null });
      expect(b2.requests.slice(before)).toMatchObject([
        { method: "GET", path: "/b2api/v3/b2_authorize_account", headers: { authorization: `Basic ${Buffer.from(`${KEY_ID}:${APPLICATION_KEY}`).toString("base64")}` } },
      ]);
    } finally {
      b2.setKey({ bucketName: null });
    }
  });

  it("reports a wrong application key as B2's refusal", async () => {
    await expect(checkOffsiteKey({ ...configFor("any"), applicationKey: "K004wrong" }, { log })).rejects.toThrow(/refused B2 key \S+: HTTP 401 unauthorized; check B2_KEY_ID and B2_APPLICATION_KEY/);
  });
});

describe("the allowlisted client", () => {
  it("refuses deletes and retention changes, through the narrow client or the SDK client, without a request", async () => {
    const backup = await writeGoodBackup(10_000, new Date("2026-01-06T00:00:00Z"));
    const config = configFor("forced");
    const { details } = await copyOffsite(backup, { config, client, log });
    const raw = createGuardedS3Client(config, { forcePathStyle: true });
    try {
      const requests = await requestsOf(async () => {
        await expect(client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: details.dumpKey }) as never)).rejects.toThrow(OperationNotAllowed);
        await expect(raw.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: details.dumpKey }))).rejects.toThrow(OperationNotAllowed);
        await expect(raw.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: details.dumpKey }] } }))).rejects.toThrow(OperationNotAllowed);
        const retention = new PutObjectRetentionCommand({ Bucket: BUCKET, Key: details.dumpKey, Retention: { Mode: "GOVERNANCE", RetainUntilDate: NOW } });
        await expect(raw.send(retention)).rejects.toThrow(OperationNotAllowed);
      });
      expect(requests).toEqual([]);
    } finally {
      raw.destroy();
    }
    await expect(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: details.dumpKey }))).resolves.toMatchObject({ ContentLength: 10_000 });
  });
});

describe("downloadNewest", () => {
  it("finds the newest backup and returns it verified", async () => {
    const config = configFor("newest");
    const newest = await writeGoodBackup(70_000, new Date("2026-02-03T00:00:00Z"));
    for (const backup of [newest, await writeGoodBackup(1000, new Date("2026-02-01T00:00:00Z")), await writeGoodBackup(1000, new Date("2026-01-31T23:59:59Z"))]) {
      await copyOffsite(backup, { config, client, log });
    }
    const dir = await scratchDir();
    const downloaded = await downloadNewest({ client, config, dir, log });

    expect(downloaded.key).toBe(`newest/2026/02/03/20260203T000000Z-${sha12(newest)}.dump`);
    expect(downloaded.path).toBe(path.join(dir, newest.file));
    expect(downloaded.manifest).toMatchObject(newest.manifest);
    expect((await readFile(downloaded.path)).equals(await readFile(newest.path))).toBe(true);
    expect(await readdir(dir)).toEqual([newest.file]);
  });

  it("round-trips an encrypted copy through upload and download", async () => {
    const config = configFor("encrypted");
    const encryptionKey = randomBytes(32);
    const backup = await writeGoodBackup(6 * 1024 * 1024 + 5, new Date("2026-02-04T00:00:00Z"));
    const requests = await requestsOf(() => copyOffsite(backup, { config, client, log, encryptionKey, multipart: MULTIPART }));
    expectContentMd5OnEveryUpload(requests);
    expectNoSdkChecksumHeaders(requests);

    const dumpKey = `encrypted/2026/02/04/20260204T000000Z-${sha12(backup)}.dump.enc`;
    const stored = await objectBytes(dumpKey);
    expect(stored.subarray(0, 4).toString("ascii")).toBe("TFBK");
    expect(stored.includes((await readFile(backup.path)).subarray(0, 64))).toBe(false);
    expect(await readdir(path.dirname(backup.path))).toHaveLength(3);

    const dir = await scratchDir();
    const downloaded = await downloadNewest({ client, config, encryptionKey, dir, log });
    expect(downloaded.key).toBe(dumpKey);
    expect(downloaded.manifest.offsite).toMatchObject({ key: dumpKey, encryption: { algorithm: "AES-256-GCM", format: "twinflow-chunked", version: 1 }, sizeBytes: stored.length });
    expect((await readFile(downloaded.path)).equals(await readFile(backup.path))).toBe(true);

    await expect(downloadNewest({ client, config, dir: await scratchDir(), log })).rejects.toThrow(/is encrypted: set BACKUP_ENCRYPTION_KEY/);
    const wrongKeyDir = await scratchDir();
    await expect(downloadNewest({ client, config, encryptionKey: randomBytes(32), dir: wrongKeyDir, log })).rejects.toBeInstanceOf(DecryptionFailed);
    expect(await readdir(wrongKeyDir)).toEqual([]);
  });

  it("refuses an object changed in storage, plain or encrypted, leaving no file", async () => {
    const plainConfig = configFor("corrupt-plain");
    const encryptedConfig = configFor("corrupt-encrypted");
    const encryptionKey = randomBytes(32);
    const plain = await copyOffsite(await writeGoodBackup(200_000, new Date("2026-02-05T00:00:00Z")), { config: plainConfig, client, log });
    const encrypted = await copyOffsite(await writeGoodBackup(200_000, new Date("2026-02-05T00:00:00Z")), { config: encryptedConfig, client, log, encryptionKey });
    for (const { details } of [plain, encrypted]) await flipByteOf(s3.objectFile(details.dumpKey), 150_000);

    const plainDir = await scratchDir();
    await expect(downloadNewest({ client, config: plainConfig, dir: plainDir, log })).rejects.toBeInstanceOf(OffsiteMismatch);
    expect(await readdir(plainDir)).toEqual([]);
    const encryptedDir = await scratchDir();
    await expect(downloadNewest({ client, config: encryptedConfig, encryptionKey, dir: encryptedDir, log })).rejects.toBeInstanceOf(DecryptionFailed);
    expect(await readdir(encryptedDir)).toEqual([]);
  });
});

describe("over the whole run", () => {
  it("sent no DELETE and wrote no key twice", () => {
    expect(s3.requests.filter((request) => request.method === "DELETE")).toEqual([]);
    // PutObject, and CompleteMultipartUpload (POST ?uploadId), are what create an object under a key.
    const writes = s3.requests.filter((request) => (request.method === "PUT" && request.query.partNumber === undefined) || (request.method === "POST" && request.query.uploadId !== undefined));
    const keys = writes.map((request) => request.path);
    expect(keys.length).toBeGreaterThan(10);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("never logged the application key or an authorization token", () => {
    const logged = logLines.join("");
    expect(logged).toContain("backup copied off-site");
    expect(b2.issuedTokens.length).toBeGreaterThan(0);
    for (const secret of [APPLICATION_KEY, Buffer.from(`${KEY_ID}:${APPLICATION_KEY}`).toString("base64"), ...b2.issuedTokens]) expect(logged).not.toContain(secret);
  });
});

async function flipByteOf(file: string, index: number): Promise<void> {
  const content = await readFile(file);
  content[index] = content[index]! ^ 0xff;
  await writeFile(file, content);
}

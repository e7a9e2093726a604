import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { partialDumpName, writeDump, PARTIAL_PREFIX } from "./dump.js";
import { isGoodDumpName } from "./manifest.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "twinflow-dump-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const chunks = (count: number) => Array.from({ length: count }, () => randomBytes(64 * 1024));

describe("writeDump", () => {
  it("writes the bytes to a new file readable by its owner only, hashing them on the way", async () => {
    const parts = chunks(20);
    const file = path.join(dir, partialDumpName());
    const written = await writeDump(file, { stream: Readable.from(parts), finished: Promise.resolve() });
    const bytes = Buffer.concat(parts);
    expect(written).toEqual({ sizeBytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
    expect((await readFile(file)).equals(bytes)).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it("fails when the producer fails, even after its output ended normally", async () => {
    const file = path.join(dir, partialDumpName());
    const died = new Error("pg_dump exited with code 1: pg_dump: error: query failed");
    await expect(writeDump(file, { stream: Readable.from(chunks(2)), finished: Promise.reject(died) })).rejects.toBe(died);
  });

  it("never writes over an existing file, and reports that rather than the producer's broken pipe", async () => {
    const file = path.join(dir, partialDumpName());
    await writeFile(file, "someone else's");
    const brokenPipe = Promise.reject(new Error("pg_dump exited with code 1: could not write to output file: Broken pipe"));
    await expect(writeDump(file, { stream: Readable.from(chunks(2)), finished: brokenPipe })).rejects.toThrow(/EEXIST/);
    expect(await readFile(file, "utf8")).toBe("someone else's");
  });
});

describe("partialDumpName", () => {
  it("can never be mistaken for a good backup, and is new each time", () => {
    const name = partialDumpName();
    expect(name.startsWith(PARTIAL_PREFIX)).toBe(true);
    expect(isGoodDumpName(name)).toBe(false);
    expect(partialDumpName()).not.toBe(name);
  });
});

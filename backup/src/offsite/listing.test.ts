import { ListObjectsV2Command, type ListObjectsV2CommandOutput } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { newestManifestKey } from "./listing.js";
import type { OffsiteS3 } from "./s3-client.js";

const CONFIG = { bucket: "twinflow-offsite", prefix: "twinflow" };
const manifest = (day: string, time: string) => `twinflow/2026/03/${day}/202603${day}T${time}Z-3f2a9c1d0b4e.manifest.json`;

/** A bucket listing served `pageSize` keys at a time, with S3's continuation tokens. */
function listingClient(keys: string[], pageSize: number): { client: OffsiteS3; requests: ListObjectsV2Command[] } {
  const requests: ListObjectsV2Command[] = [];
  const client = {
    async send(command: ListObjectsV2Command): Promise<Partial<ListObjectsV2CommandOutput>> {
      expect(command).toBeInstanceOf(ListObjectsV2Command);
      requests.push(command);
      const start = Number(command.input.ContinuationToken ?? 0);
      const end = start + pageSize;
      return { Contents: keys.slice(start, end).map((Key) => ({ Key })), IsTruncated: end < keys.length, NextContinuationToken: end < keys.length ? String(end) : undefined };
    },
    destroy() {},
  };
  return { client: client as unknown as OffsiteS3, requests };
}

describe("newestManifestKey", () => {
  it("reads every page and picks the greatest manifest key of the layout", async () => {
    const newest = manifest("14", "021700");
    const { client, requests } = listingClient(
      [
        manifest("02", "021700"),
        newest.replace(".manifest.json", ".dump"),
        newest,
        "twinflow/2026/03/14/20260314T021700Z-3f2a9c1d0b4e.dump.enc",
        manifest("13", "235959"),
        "twinflow/zz-not-a-backup.manifest.json",
      ],
      2,
    );
    await expect(newestManifestKey(client, CONFIG)).resolves.toBe(newest);
    expect(requests.map((request) => request.input)).toEqual([
      { Bucket: CONFIG.bucket, Prefix: "twinflow/", ContinuationToken: undefined },
      { Bucket: CONFIG.bucket, Prefix: "twinflow/", ContinuationToken: "2" },
      { Bucket: CONFIG.bucket, Prefix: "twinflow/", ContinuationToken: "4" },
    ]);
  });

  it("says so when there is no backup under the prefix", async () => {
    const { client } = listingClient(["twinflow/2026/03/02/20260302T021700Z-3f2a9c1d0b4e.dump"], 1000);
    await expect(newestManifestKey(client, CONFIG)).rejects.toThrow("no off-site backup under twinflow-offsite/twinflow/");
  });
});

/** Finds the newest off-site backup: the greatest manifest key under the prefix, over every listing page. */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { OffsiteConfig } from "../../../app/src/config.js";
import { isManifestKey } from "./layout.js";
import type { OffsiteS3 } from "./s3-client.js";

export async function newestManifestKey(client: OffsiteS3, config: Pick<OffsiteConfig, "bucket" | "prefix">): Promise<string> {
  let newest: string | undefined;
  let continuationToken: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: config.bucket, Prefix: `${config.prefix}/`, ContinuationToken: continuationToken }));
    for (const { Key: key } of page.Contents ?? []) {
      if (key !== undefined && isManifestKey(config.prefix, key) && (newest === undefined || key > newest)) newest = key;
    }
    continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (continuationToken);
  if (newest === undefined) throw new Error(`no off-site backup under ${config.bucket}/${config.prefix}/`);
  return newest;
}

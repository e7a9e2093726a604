/**
 * Where a backup lives in the bucket. Keys come from the dump's good name (its UTC timestamp
 * and the start of its sha256), so each backup has one place and never takes another's:
 *   <prefix>/YYYY/MM/DD/<yyyymmddThhmmssZ>-<sha256 first 12>.dump           the dump as it is
 *   <prefix>/YYYY/MM/DD/<yyyymmddThhmmssZ>-<sha256 first 12>.dump.enc       the dump encrypted (encryption.ts)
 *   <prefix>/YYYY/MM/DD/<yyyymmddThhmmssZ>-<sha256 first 12>.manifest.json  written last
 * Everything after the prefix is fixed-width, so the greatest manifest key is the newest backup.
 */
import { isGoodDumpName } from "../manifest.js";

export interface OffsiteKeys {
  dumpKey: string;
  manifestKey: string;
}

const NAME_TAG = "twinflow-";
const DUMP_SUFFIX = ".dump";
const ENCRYPTED_SUFFIX = ".dump.enc";
const MANIFEST_SUFFIX = ".manifest.json";

export function offsiteKeys(prefix: string, dumpFile: string, encrypted: boolean): OffsiteKeys {
  if (!isGoodDumpName(dumpFile)) throw new Error(`${dumpFile} is not a good dump name`);
  // The prefix already names the product, so the key drops the name's tag.
  const name = dumpFile.slice(NAME_TAG.length, -DUMP_SUFFIX.length);
  const base = `${prefix}/${name.slice(0, 4)}/${name.slice(4, 6)}/${name.slice(6, 8)}/${name}`;
  return { dumpKey: base + (encrypted ? ENCRYPTED_SUFFIX : DUMP_SUFFIX), manifestKey: base + MANIFEST_SUFFIX };
}

/** A manifest key of this layout under `prefix`; anything else in the bucket is not ours to read. */
export function isManifestKey(prefix: string, key: string): boolean {
  const escapedPrefix = prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${escapedPrefix}/\\d{4}/\\d{2}/\\d{2}/\\d{8}T\\d{6}Z-[0-9a-f]{12}\\.manifest\\.json$`).test(key);
}

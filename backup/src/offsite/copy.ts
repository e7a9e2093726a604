/**
 * The off-site step as the orchestrator runs it: check the key, then upload. The outcome is
 * shaped for the run record (runs.ts finishRun with kind "offsite").
 */
import type { OffsiteConfig } from "../../../app/src/config.js";
import type { Logger } from "../../../app/src/platform/log.js";
import type { GoodBackup } from "../manifest.js";
import { checkOffsiteKey } from "./preflight.js";
import { createOffsiteS3, type OffsiteS3 } from "./s3-client.js";
import { uploadBackup, type MultipartOptions } from "./upload.js";

export interface CopyOffsiteDeps {
  config: OffsiteConfig;
  encryptionKey?: Uint8Array;
  log: Logger;
  /** Made from `config` (and destroyed after) when not given. */
  client?: OffsiteS3;
  /** For b2_authorize_account. */
  fetch?: typeof fetch;
  now?: () => Date;
  multipart?: Partial<MultipartOptions>;
}

export interface OffsiteCopyOutcome {
  /** b2://<bucket>/<dump key> */
  target: string;
  /** Of the dump object as stored. */
  sizeBytes: number;
  details: { dumpKey: string; manifestKey: string; encrypted: boolean; sha256: string; capabilities: string[] };
}

export async function copyOffsite(backup: GoodBackup, deps: CopyOffsiteDeps): Promise<OffsiteCopyOutcome> {
  const { capabilities } = await checkOffsiteKey(deps.config, { log: deps.log, fetch: deps.fetch });
  const client = deps.client ?? createOffsiteS3(deps.config);
  try {
    const { dumpKey, manifestKey, sizeBytes, sha256, encrypted } = await uploadBackup(backup, { ...deps, client });
    return { target: `b2://${deps.config.bucket}/${dumpKey}`, sizeBytes, details: { dumpKey, manifestKey, encrypted, sha256, capabilities } };
  } finally {
    if (!deps.client) client.destroy();
  }
}

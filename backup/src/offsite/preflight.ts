/**
 * The B2 key is checked before anything is uploaded. A key that could delete files, shorten
 * retention or manage keys would let a compromised server destroy the off-site history, so
 * the copy refuses to run with one. b2_authorize_account tells the key's capabilities and
 * restrictions; docs/backups.md says how to create the right key.
 */
import { z } from "zod";
import type { OffsiteConfig } from "../../../app/src/config.js";
import type { Logger } from "../../../app/src/platform/log.js";

/** Key management, and everything that can delete, shorten retention or change the bucket. */
const FORBIDDEN_CAPABILITIES = new Set([
  "deleteFiles",
  "writeBuckets",
  "deleteBuckets",
  "writeBucketRetentions",
  "writeFileRetentions",
  "writeFileLegalHolds",
  "bypassGovernance",
  "writeKeys",
  "deleteKeys",
  "listKeys",
  "writeBucketEncryption",
  "writeBucketReplications",
  "writeBucketNotifications",
]);

export const REQUIRED_CAPABILITIES = ["listFiles", "readFiles", "writeFiles"] as const;

const DOCS = "see docs/backups.md";
const AUTHORIZE_TIMEOUT_MS = 30_000;

/** What b2_authorize_account says the key may do, and where. */
export interface KeyScope {
  capabilities: string[];
  /** Set when the key is restricted to one bucket. */
  bucketId: string | null;
  bucketName: string | null;
  /** Set when the key is restricted to file names with this prefix. */
  namePrefix: string | null;
}

export class OffsiteKeyRefused extends Error {
  override name = "OffsiteKeyRefused";
}

export interface PreflightDeps {
  log: Logger;
  fetch?: typeof fetch;
}

/** The key's scope when it is fit for an append-only copy; otherwise an OffsiteKeyRefused. */
export async function checkOffsiteKey(config: OffsiteConfig, deps: PreflightDeps): Promise<KeyScope> {
  const scope = await authorizeAccount(config, deps.fetch ?? fetch);
  const problem = keyProblem(scope, config);
  if (problem) throw new OffsiteKeyRefused(`B2 key ${config.keyId} ${problem}; ${DOCS}`);
  deps.log.info({ keyId: config.keyId, capabilities: scope.capabilities, bucket: config.bucket }, "off-site key checked");
  return scope;
}

/** Why this key must not be used for the bucket and prefix, or undefined when it may. */
export function keyProblem(scope: KeyScope, config: Pick<OffsiteConfig, "bucket" | "prefix">): string | undefined {
  const forbidden = scope.capabilities.filter(isForbidden);
  if (forbidden.length > 0) {
    return `holds ${forbidden.join(", ")}, which would let a compromised server delete or unprotect off-site backups: use a key with only ${REQUIRED_CAPABILITIES.join(", ")}`;
  }
  const missing = REQUIRED_CAPABILITIES.filter((capability) => !scope.capabilities.includes(capability));
  if (missing.length > 0) return `lacks ${missing.join(", ")}, which the off-site copy needs to check, write and read its files`;
  if (scope.bucketId !== null && scope.bucketName !== config.bucket) {
    return `is restricted to bucket ${scope.bucketName ?? scope.bucketId}, not B2_BUCKET=${config.bucket}`;
  }
  if (scope.namePrefix !== null && !`${config.prefix}/`.startsWith(scope.namePrefix)) {
    return `is restricted to file names starting ${scope.namePrefix}, which B2_PREFIX=${config.prefix} does not`;
  }
  return undefined;
}

/** Listed above, or a write/delete capability B2 adds later (writeFiles is the one needed). */
function isForbidden(capability: string): boolean {
  return FORBIDDEN_CAPABILITIES.has(capability) || (/^(write|delete)/.test(capability) && capability !== "writeFiles");
}

/** Only the scope is kept: the authorization token in the answer is dropped unread. */
const authorizeAnswer = z.object({
  apiInfo: z.object({
    storageApi: z.object({
      capabilities: z.array(z.string()),
      bucketId: z.string().nullish(),
      bucketName: z.string().nullish(),
      namePrefix: z.string().nullish(),
    }),
  }),
});

async function authorizeAccount(config: OffsiteConfig, doFetch: typeof fetch): Promise<KeyScope> {
  const where = `b2_authorize_account at ${config.apiUrl}`;
  const credentials = Buffer.from(`${config.keyId}:${config.applicationKey}`).toString("base64");
  let response: Response;
  try {
    response = await doFetch(`${config.apiUrl}/b2api/v3/b2_authorize_account`, {
      headers: { authorization: `Basic ${credentials}`, accept: "application/json" },
      redirect: "error",
      signal: AbortSignal.timeout(AUTHORIZE_TIMEOUT_MS),
    });
  } catch (error) {
    throw new Error(`${where} could not be reached (${(error as Error).message})`, { cause: error });
  }
  const body = parseJson(await response.text());
  if (!response.ok) {
    const code = (body as { code?: unknown } | undefined)?.code;
    throw new Error(`${where} refused B2 key ${config.keyId}: HTTP ${response.status}${typeof code === "string" ? ` ${code}` : ""}; check B2_KEY_ID and B2_APPLICATION_KEY (${DOCS})`);
  }
  const answer = authorizeAnswer.safeParse(body);
  if (!answer.success) throw new Error(`${where} answered without apiInfo.storageApi capabilities; the key cannot be checked`);
  const { capabilities, bucketId, bucketName, namePrefix } = answer.data.apiInfo.storageApi;
  return { capabilities, bucketId: bucketId ?? null, bucketName: bucketName ?? null, namePrefix: namePrefix ?? null };
}

/** An error page is not JSON; the status says enough then. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

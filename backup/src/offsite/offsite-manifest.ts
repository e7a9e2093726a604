/**
 * The manifest stored next to an off-site object: the backup's own manifest plus what was
 * uploaded, so a restore knows which object to fetch, whether to decrypt it, and what to expect.
 */
import { z } from "zod";
import { isGoodDumpName, type BackupManifest } from "../manifest.js";
import { ENCRYPTION_FORMAT, type EncryptionFormat } from "./encryption.js";

export interface OffsiteObject {
  key: string;
  /** null when the object is the dump itself. */
  encryption: EncryptionFormat | null;
  /** Of the object as stored, encrypted or not. */
  sizeBytes: number;
  /** Hex sha256 of the object as stored; the dump's own is the manifest's `sha256`. */
  sha256: string;
  uploadedAt: string;
}

export type OffsiteManifest = BackupManifest & { offsite: OffsiteObject };

export function serializeOffsiteManifest(manifest: BackupManifest, offsite: OffsiteObject): Buffer {
  const stored: OffsiteManifest = { ...manifest, offsite };
  return Buffer.from(`${JSON.stringify(stored, null, 2)}\n`);
}

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const byteCount = z.number().int().min(0);

/** What fetching and checking the object relies on; the rest of the backup manifest is the drill's to judge. */
const offsiteManifestSchema = z.looseObject({
  format: z.literal(1),
  file: z.string().refine(isGoodDumpName, "not a good dump name"),
  createdAt: z.string(),
  sizeBytes: byteCount,
  sha256: sha256Hex,
  offsite: z.object({
    key: z.string().min(1),
    encryption: z
      .object({
        algorithm: z.literal(ENCRYPTION_FORMAT.algorithm),
        format: z.literal(ENCRYPTION_FORMAT.format),
        version: z.literal(ENCRYPTION_FORMAT.version),
        chunkBytes: z.literal(ENCRYPTION_FORMAT.chunkBytes),
      })
      .nullable(),
    sizeBytes: byteCount,
    sha256: sha256Hex,
    uploadedAt: z.string(),
  }),
});

export function parseOffsiteManifest(text: string, key: string): OffsiteManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${key} is not JSON`, { cause: error });
  }
  const parsed = offsiteManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${key} is not an off-site manifest (${issue?.path.join(".") || "root"}: ${issue?.message ?? "invalid"})`);
  }
  return parsed.data as unknown as OffsiteManifest;
}

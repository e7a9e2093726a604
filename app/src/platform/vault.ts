/**
 * Encryption at rest for third-party API credentials.
 *
 * Values are sealed with AES-256-GCM under a fresh random 96-bit nonce. The
 * associated data binds each ciphertext to its tenant, connection and field, so a
 * ciphertext copied to another row fails to decrypt. Keys live only in the
 * environment, as a key ring: the first key encrypts, later keys only decrypt,
 * which lets a key be rotated while old rows are re-encrypted.
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from "node:crypto";

export const VAULT_KEYS_ENV = "TWINFLOW_VAULT_KEYS";

const ENVELOPE_VERSION = "tfv1";
const CIPHER = "aes-256-gcm";
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
// Dots are excluded because they separate envelope parts.
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
const GENERATE_KEY_HINT = "Generate one with: openssl rand -base64 32";

export interface CredentialBinding {
  tenantId: string;
  connectionId: string;
  field: string;
}

export type VaultErrorCode =
  | "vault_key_ring_invalid"
  | "vault_unknown_key"
  | "vault_decrypt_failed"
  | "vault_envelope_invalid";

/** Messages never carry plaintext, key material or envelopes. */
export class VaultError extends Error {
  override readonly name = "VaultError";
  readonly code: VaultErrorCode;

  constructor(code: VaultErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** What may be shown about a key ring: ids only, never key material. */
export interface KeyRing {
  activeKeyId: string;
  keyIds: readonly string[];
}

/** Keys are KeyObjects so that logging the ring cannot print them. */
export interface ParsedKeyRing extends KeyRing {
  keys: ReadonlyMap<string, KeyObject>;
}

interface KeyEntry {
  keyId: string;
  key: KeyObject;
}

interface Envelope {
  keyId: string;
  nonce: Buffer;
  /** Ciphertext followed by the GCM tag. */
  sealed: Buffer;
}

/** Parses `keyId:base64key` entries separated by commas; the first is the active key. */
export function parseKeyRing(spec: string): ParsedKeyRing {
  const entries = spec.trim() === "" ? [] : spec.split(",").map((entry, index) => parseKeyEntry(entry.trim(), index + 1));
  const active = entries[0];
  if (active === undefined) {
    throw keyRingError(
      `${VAULT_KEYS_ENV} is empty: set it to keyId:base64key entries separated by commas, active key first. ${GENERATE_KEY_HINT}`,
    );
  }
  rejectDuplicateIds(entries);
  return {
    activeKeyId: active.keyId,
    keyIds: entries.map((entry) => entry.keyId),
    keys: new Map(entries.map((entry) => [entry.keyId, entry.key])),
  };
}

function rejectDuplicateIds(entries: readonly KeyEntry[]): void {
  const positions = new Map<string, number>();
  entries.forEach(({ keyId }, index) => {
    const position = index + 1;
    const earlier = positions.get(keyId);
    if (earlier !== undefined) {
      throw keyRingError(
        `${entryLabel(position, keyId)}: key id "${keyId}" is already used by entry ${earlier}; give each key its own id`,
      );
    }
    positions.set(keyId, position);
  });
}

function parseKeyEntry(entry: string, position: number): KeyEntry {
  if (entry === "") {
    throw keyRingError(`${entryLabel(position)} is empty: remove the extra comma`);
  }
  const colon = entry.indexOf(":");
  if (colon === -1) {
    throw keyRingError(`${entryLabel(position)}: expected keyId:base64key but found no ":"; write it as e.g. k1:<base64 key>`);
  }
  const keyId = entry.slice(0, colon).trim();
  // An invalid id is not echoed: a swapped entry would put the key in its place.
  if (!KEY_ID_PATTERN.test(keyId)) {
    throw keyRingError(
      `${entryLabel(position)}: key id must be 1-32 characters of A-Z, a-z, 0-9, "_" or "-" (got ${keyId.length} characters)`,
    );
  }
  const bytes = decodeKeyBase64(entry.slice(colon + 1).trim());
  if (bytes === null) {
    throw keyRingError(`${entryLabel(position, keyId)}: key must be 32 bytes of base64 (it is not valid base64). ${GENERATE_KEY_HINT}`);
  }
  if (bytes.length !== KEY_BYTES) {
    throw keyRingError(`${entryLabel(position, keyId)}: key must be 32 bytes of base64 (got ${bytes.length}). ${GENERATE_KEY_HINT}`);
  }
  return { keyId, key: createSecretKey(bytes) };
}

function entryLabel(position: number, keyId?: string): string {
  const name = keyId === undefined ? "" : ` (${JSON.stringify(keyId)})`;
  return `${VAULT_KEYS_ENV} entry ${position}${name}`;
}

function keyRingError(message: string): VaultError {
  return new VaultError("vault_key_ring_invalid", message);
}

/** Accepts standard or url-safe base64, padded or not. */
function decodeKeyBase64(text: string): Buffer | null {
  const urlSafe = text.replace(/={1,2}$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return decodeBase64Url(urlSafe);
}

/**
 * Strict unpadded base64url: Node's decoder silently skips stray characters and
 * ignores trailing bits, so only text that re-encodes to itself is accepted.
 */
function decodeBase64Url(text: string): Buffer | null {
  const bytes = Buffer.from(text, "base64url");
  return bytes.toString("base64url") === text ? bytes : null;
}

/** A fresh key for the key ring, as base64 of 32 random bytes. */
export function generateVaultKey(): string {
  return randomBytes(KEY_BYTES).toString("base64");
}

export class Vault {
  readonly activeKeyId: string;
  readonly #keys: ReadonlyMap<string, KeyObject>;

  private constructor(ring: ParsedKeyRing) {
    this.activeKeyId = ring.activeKeyId;
    this.#keys = ring.keys;
  }

  /** `spec` is the value of TWINFLOW_VAULT_KEYS. */
  static fromSpec(spec: string): Vault {
    return new Vault(parseKeyRing(spec));
  }

  get keyRing(): KeyRing {
    return { activeKeyId: this.activeKeyId, keyIds: [...this.#keys.keys()] };
  }

  encrypt(plaintext: string, binding: CredentialBinding): string {
    const keyId = this.activeKeyId;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv(CIPHER, this.#keyFor(keyId), nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(keyId, binding));
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return formatEnvelope({ keyId, nonce, sealed: Buffer.concat([ciphertext, cipher.getAuthTag()]) });
  }

  decrypt(envelopeText: string, binding: CredentialBinding): string {
    const { keyId, nonce, sealed } = parseEnvelope(envelopeText);
    const decipher = createDecipheriv(CIPHER, this.#keyFor(keyId), nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(keyId, binding));
    const tagStart = sealed.length - TAG_BYTES;
    decipher.setAuthTag(sealed.subarray(tagStart));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(0, tagStart)), decipher.final()]).toString("utf8");
    } catch {
      throw new VaultError(
        "vault_decrypt_failed",
        "credential could not be decrypted: it was altered, moved to another record, or encrypted with a different key",
      );
    }
  }

  keyIdOf(envelopeText: string): string {
    return parseEnvelope(envelopeText).keyId;
  }

  /** Re-encrypts under the active key; returns null when already on it. */
  reencrypt(envelopeText: string, binding: CredentialBinding): string | null {
    if (this.keyIdOf(envelopeText) === this.activeKeyId) return null;
    return this.encrypt(this.decrypt(envelopeText, binding), binding);
  }

  #keyFor(keyId: string): KeyObject {
    const key = this.#keys.get(keyId);
    if (key === undefined) {
      throw new VaultError(
        "vault_unknown_key",
        `credential was encrypted with key "${keyId}", which is not in ${VAULT_KEYS_ENV}: add that key back to ${VAULT_KEYS_ENV} (after the active key) to decrypt it`,
      );
    }
    return key;
  }
}

/**
 * JSON of an array is an unambiguous encoding, so no two (key id, tenant,
 * connection, field) tuples share associated data.
 */
function associatedData(keyId: string, binding: CredentialBinding): Buffer {
  const { tenantId, connectionId, field } = binding;
  return Buffer.from(JSON.stringify([ENVELOPE_VERSION, keyId, tenantId, connectionId, field]), "utf8");
}

function formatEnvelope({ keyId, nonce, sealed }: Envelope): string {
  return [ENVELOPE_VERSION, keyId, nonce.toString("base64url"), sealed.toString("base64url")].join(".");
}

function parseEnvelope(text: string): Envelope {
  const [version, keyId, nonceText, sealedText, ...extra] = text.split(".");
  if (
    version !== ENVELOPE_VERSION ||
    keyId === undefined ||
    !KEY_ID_PATTERN.test(keyId) ||
    nonceText === undefined ||
    sealedText === undefined ||
    extra.length > 0
  ) {
    throw envelopeError(`expected ${ENVELOPE_VERSION}.<keyId>.<nonce>.<ciphertext>`);
  }
  const nonce = decodeBase64Url(nonceText);
  if (nonce?.length !== NONCE_BYTES) {
    throw envelopeError(`the nonce must be ${NONCE_BYTES} bytes of base64url`);
  }
  const sealed = decodeBase64Url(sealedText);
  if (sealed === null || sealed.length < TAG_BYTES) {
    throw envelopeError(`the ciphertext must be base64url ending in a ${TAG_BYTES}-byte tag`);
  }
  return { keyId, nonce, sealed };
}

function envelopeError(detail: string): VaultError {
  return new VaultError("vault_envelope_invalid", `credential envelope is malformed: ${detail}`);
}

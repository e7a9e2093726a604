import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { type CredentialBinding, generateVaultKey, parseKeyRing, Vault, VaultError, type VaultErrorCode } from "./vault.js";

const OLD_KEY = generateVaultKey();
const NEW_KEY = generateVaultKey();
const binding: CredentialBinding = { tenantId: "tenant-1", connectionId: "conn-1", field: "api_token" };
const SECRET = "ghp_exampleSecretToken123";

function vault(spec: string): Vault {
  return Vault.fromSpec(spec);
}

interface EnvelopeParts {
  version: string;
  keyId: string;
  nonce: Buffer;
  sealed: Buffer;
}

function splitEnvelope(envelope: string): EnvelopeParts {
  const [version = "", keyId = "", nonce = "", sealed = ""] = envelope.split(".");
  return { version, keyId, nonce: Buffer.from(nonce, "base64url"), sealed: Buffer.from(sealed, "base64url") };
}

function joinEnvelope({ version, keyId, nonce, sealed }: EnvelopeParts): string {
  return [version, keyId, nonce.toString("base64url"), sealed.toString("base64url")].join(".");
}

function withBitFlipped(bytes: Buffer, bit: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[bit >> 3] = (copy[bit >> 3] ?? 0) ^ (1 << (bit & 7));
  return copy;
}

function vaultErrorOf(action: () => unknown): VaultError {
  try {
    action();
  } catch (error) {
    if (error instanceof VaultError) return error;
    throw error;
  }
  throw new Error("expected a VaultError, but the call succeeded");
}

function expectVaultError(action: () => unknown, code: VaultErrorCode): VaultError {
  const error = vaultErrorOf(action);
  expect(error.code).toBe(code);
  return error;
}

describe("Vault round trip", () => {
  const ring = vault(`k1:${NEW_KEY}`);

  it.each([
    ["ascii", SECRET],
    ["unicode", "pässwörd 🔑 日本語 — ñ"],
    ["empty", ""],
    ["long", "x".repeat(10_000)],
  ])("decrypts what it encrypted (%s)", (_name, plaintext) => {
    expect(ring.decrypt(ring.encrypt(plaintext, binding), binding)).toBe(plaintext);
  });

  it("writes tfv1 envelopes under the active key with a 12-byte nonce and a 16-byte tag", () => {
    const envelope = ring.encrypt(SECRET, binding);
    const parts = splitEnvelope(envelope);
    expect(parts.version).toBe("tfv1");
    expect(parts.keyId).toBe("k1");
    expect(ring.keyIdOf(envelope)).toBe("k1");
    expect(parts.nonce).toHaveLength(12);
    expect(parts.sealed).toHaveLength(Buffer.byteLength(SECRET) + 16);
  });

  it("does not carry the plaintext bytes in the envelope", () => {
    const plaintext = "plaintext-marker-".repeat(4);
    const envelope = ring.encrypt(plaintext, binding);
    expect(envelope).not.toContain("plaintext-marker");
    expect(splitEnvelope(envelope).sealed.includes(Buffer.from("plaintext-marker"))).toBe(false);
  });

  it("uses a fresh nonce for every encryption", () => {
    const first = ring.encrypt(SECRET, binding);
    const second = ring.encrypt(SECRET, binding);
    expect(first).not.toBe(second);
    expect(splitEnvelope(first).nonce.equals(splitEnvelope(second).nonce)).toBe(false);
    expect(splitEnvelope(first).sealed.equals(splitEnvelope(second).sealed)).toBe(false);
  });
});

describe("Vault tamper detection", () => {
  const ring = vault(`k1:${NEW_KEY},k0:${OLD_KEY}`);
  const envelope = ring.encrypt(SECRET, binding);
  const parts = splitEnvelope(envelope);

  it("rejects a flipped bit anywhere in the nonce", () => {
    for (let bit = 0; bit < parts.nonce.length * 8; bit++) {
      const tampered = joinEnvelope({ ...parts, nonce: withBitFlipped(parts.nonce, bit) });
      expectVaultError(() => ring.decrypt(tampered, binding), "vault_decrypt_failed");
    }
  });

  it("rejects a flipped bit anywhere in the ciphertext or tag", () => {
    for (let bit = 0; bit < parts.sealed.length * 8; bit++) {
      const tampered = joinEnvelope({ ...parts, sealed: withBitFlipped(parts.sealed, bit) });
      expectVaultError(() => ring.decrypt(tampered, binding), "vault_decrypt_failed");
    }
  });

  it("rejects every single-character change to the envelope text", () => {
    for (let index = 0; index < envelope.length; index++) {
      const replacement = envelope[index] === "A" ? "B" : "A";
      const tampered = envelope.slice(0, index) + replacement + envelope.slice(index + 1);
      vaultErrorOf(() => ring.decrypt(tampered, binding));
    }
  });

  it("rejects every truncation of the envelope", () => {
    for (let length = 0; length < envelope.length; length++) {
      vaultErrorOf(() => ring.decrypt(envelope.slice(0, length), binding));
    }
  });

  it("rejects an envelope whose tag is shorter than 16 bytes", () => {
    const shortTag = joinEnvelope({ ...parts, sealed: parts.sealed.subarray(0, 15) });
    expectVaultError(() => ring.decrypt(shortTag, binding), "vault_envelope_invalid");
  });

  it.each([
    ["tenantId", { ...binding, tenantId: "tenant-2" }],
    ["connectionId", { ...binding, connectionId: "conn-2" }],
    ["field", { ...binding, field: "client_secret" }],
  ])("rejects the envelope under another %s", (_name, otherBinding) => {
    expectVaultError(() => ring.decrypt(envelope, otherBinding), "vault_decrypt_failed");
  });

  it("keeps binding fields apart, so shifting text between them fails", () => {
    const sealed = ring.encrypt(SECRET, { tenantId: "a", connectionId: "b.c", field: "d" });
    expectVaultError(
      () => ring.decrypt(sealed, { tenantId: "a.b", connectionId: "c", field: "d" }),
      "vault_decrypt_failed",
    );
  });

  it("rejects the key id rewritten to another key in the ring", () => {
    const relabelled = joinEnvelope({ ...parts, keyId: "k0" });
    expectVaultError(() => ring.decrypt(relabelled, binding), "vault_decrypt_failed");
  });

  it("rejects the key id rewritten even when both ids hold the same key", () => {
    const aliased = vault(`k1:${NEW_KEY},alias:${NEW_KEY}`);
    const relabelled = joinEnvelope({ ...parts, keyId: "alias" });
    expectVaultError(() => aliased.decrypt(relabelled, binding), "vault_decrypt_failed");
  });

  it("rejects an envelope decrypted with a different key under the same id", () => {
    expectVaultError(() => vault(`k1:${OLD_KEY}`).decrypt(envelope, binding), "vault_decrypt_failed");
  });

  it("reports failures without plaintext, key or envelope", () => {
    const error = expectVaultError(() => ring.decrypt(envelope, { ...binding, field: "other" }), "vault_decrypt_failed");
    expect(error.message).toBe(
      "credential could not be decrypted: it was altered, moved to another record, or encrypted with a different key",
    );
    for (const secret of [SECRET, NEW_KEY, envelope, parts.sealed.toString("base64url")]) {
      expect(error.message).not.toContain(secret);
    }
  });

  it.each(["", "tfv1", "tfv2.k1.AAAA.AAAA", "tfv1.k1.AAAA", "tfv1.k1.a.b.c", "tfv1.k 1.AAAA.AAAA"])(
    "rejects the malformed envelope %j",
    (malformed) => {
      expectVaultError(() => ring.decrypt(malformed, binding), "vault_envelope_invalid");
      expectVaultError(() => ring.keyIdOf(malformed), "vault_envelope_invalid");
    },
  );
});

describe("Vault key rotation", () => {
  const oldRing = vault(`old:${OLD_KEY}`);
  const rotatingRing = vault(`new:${NEW_KEY},old:${OLD_KEY}`);
  const newRing = vault(`new:${NEW_KEY}`);
  const oldEnvelope = oldRing.encrypt(SECRET, binding);

  it("decrypts values from the old key once it follows the new one", () => {
    expect(rotatingRing.activeKeyId).toBe("new");
    expect(rotatingRing.decrypt(oldEnvelope, binding)).toBe(SECRET);
  });

  it("re-encrypts old values onto the active key", () => {
    const rotated = rotatingRing.reencrypt(oldEnvelope, binding);
    expect(rotated).not.toBeNull();
    const envelope = rotated ?? "";
    expect(rotatingRing.keyIdOf(envelope)).toBe("new");
    expect(newRing.decrypt(envelope, binding)).toBe(SECRET);
  });

  it("keeps the binding when re-encrypting", () => {
    const rotated = rotatingRing.reencrypt(oldEnvelope, binding) ?? "";
    expectVaultError(() => newRing.decrypt(rotated, { ...binding, tenantId: "tenant-2" }), "vault_decrypt_failed");
  });

  it("refuses to re-encrypt a value moved to another record", () => {
    expectVaultError(() => rotatingRing.reencrypt(oldEnvelope, { ...binding, field: "other" }), "vault_decrypt_failed");
  });

  it("leaves values already on the active key alone", () => {
    expect(rotatingRing.reencrypt(rotatingRing.encrypt(SECRET, binding), binding)).toBeNull();
  });

  it("cannot decrypt old values once the old key is dropped", () => {
    const error = expectVaultError(() => newRing.decrypt(oldEnvelope, binding), "vault_unknown_key");
    expect(error.message).toContain('"old"');
    expect(error.message).toContain("TWINFLOW_VAULT_KEYS");
    expect(error.message).not.toContain(OLD_KEY);
  });

  it("lists key ids, active first, without key material", () => {
    expect(rotatingRing.keyRing).toEqual({ activeKeyId: "new", keyIds: ["new", "old"] });
  });

  it("does not reveal keys when the vault is logged", () => {
    for (const rendered of [inspect(rotatingRing, { depth: 5 }), JSON.stringify(rotatingRing)]) {
      for (const key of [NEW_KEY, OLD_KEY, Buffer.from(NEW_KEY, "base64").toString("hex")]) {
        expect(rendered).not.toContain(key);
      }
    }
  });
});

describe("parseKeyRing", () => {
  const shortKey = Buffer.alloc(16, 7).toString("base64");
  const longKey = Buffer.alloc(33, 7).toString("base64");

  it("accepts standard and url-safe base64, padded or not, with spaces around entries", () => {
    const bytes = Buffer.from(NEW_KEY, "base64");
    const spec = ` a:${bytes.toString("base64")} , b-2:${bytes.toString("base64url")},c_3:${bytes.toString("base64").replace(/=+$/, "")}`;
    const ring = parseKeyRing(spec);
    expect(ring.activeKeyId).toBe("a");
    expect(ring.keyIds).toEqual(["a", "b-2", "c_3"]);
    expect([...ring.keys.values()].every((key) => key.export().equals(bytes))).toBe(true);
  });

  it.each([
    ["empty spec", "", "is empty"],
    ["blank spec", "  ", "is empty"],
    ["entry without a colon", `k1:${NEW_KEY},${OLD_KEY}`, 'entry 2: expected keyId:base64key but found no ":"'],
    ["short key", `k0:${NEW_KEY},k1:${shortKey}`, 'entry 2 ("k1"): key must be 32 bytes of base64 (got 16). Generate one with: openssl rand -base64 32'],
    ["long key", `k1:${longKey}`, 'entry 1 ("k1"): key must be 32 bytes of base64 (got 33)'],
    ["missing key", "k1:", "(got 0)"],
    ["key that is not base64", `k1:${NEW_KEY.slice(0, 40)}!!!!`, "not valid base64"],
    ["duplicate id", `k1:${NEW_KEY},k1:${OLD_KEY}`, 'entry 2 ("k1"): key id "k1" is already used by entry 1'],
    ["id with a dot", `k.1:${NEW_KEY}`, "entry 1: key id must be 1-32 characters"],
    ["empty id", `:${NEW_KEY}`, "entry 1: key id must be 1-32 characters"],
    ["id longer than 32", `${"k".repeat(33)}:${NEW_KEY}`, "entry 1: key id must be 1-32 characters"],
    ["key and id swapped", `${NEW_KEY}:k1`, "entry 1: key id must be 1-32 characters"],
    ["trailing comma", `k1:${NEW_KEY},`, "entry 2 is empty"],
  ])("rejects a %s and says how to fix it", (_name, spec, expected) => {
    const error = expectVaultError(() => Vault.fromSpec(spec), "vault_key_ring_invalid");
    expect(error.message).toContain("TWINFLOW_VAULT_KEYS");
    expect(error.message).toContain(expected);
    for (const key of [NEW_KEY, OLD_KEY, shortKey, longKey, NEW_KEY.slice(0, 40)]) {
      expect(error.message).not.toContain(key);
    }
  });
});

describe("generateVaultKey", () => {
  it("produces distinct 32-byte base64 keys the key ring accepts", () => {
    const first = generateVaultKey();
    const second = generateVaultKey();
    expect(first).not.toBe(second);
    expect(Buffer.from(first, "base64")).toHaveLength(32);
    expect(Buffer.from(first, "base64").toString("base64")).toBe(first);
    expect(Vault.fromSpec(`k1:${first}`).activeKeyId).toBe("k1");
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../../test/support/database.js";
import { seedTenantGraph, type TenantGraph } from "../../../../test/support/fixtures.js";
import { generateVaultKey, Vault } from "../vault.js";
import { CREDENTIALS_FIELD, rotateCredentials } from "./rotate-credentials.js";

let db: TestDatabase;
let alpha: TenantGraph;
let bravo: TenantGraph;
const oldKey = `old:${generateVaultKey()}`;
const newKey = `new:${generateVaultKey()}`;

beforeAll(async () => {
  db = await createTestDatabase();
  alpha = await seedTenantGraph(db.owner, "Alpha");
  bravo = await seedTenantGraph(db.owner, "Bravo");
});

afterAll(async () => {
  await db.drop();
});

const bindingOf = (graph: TenantGraph) => ({ tenantId: graph.tenantId, connectionId: graph.connectionId, field: CREDENTIALS_FIELD });

async function storedCredentials(graph: TenantGraph): Promise<string> {
  const { rows } = await db.owner.query<{ credentials: string }>("SELECT credentials FROM connections WHERE id = $1", [graph.connectionId]);
  return rows[0]!.credentials;
}

describe("rotate-key", () => {
  it("re-encrypts every tenant's credentials under the newest key and keeps them readable", async () => {
    const before = Vault.fromSpec(oldKey);
    for (const graph of [alpha, bravo]) {
      const envelope = before.encrypt(`token-of-${graph.tenantId}`, bindingOf(graph));
      await db.owner.query("UPDATE connections SET credentials = $1 WHERE id = $2", [envelope, graph.connectionId]);
    }
    const ring = Vault.fromSpec(`${newKey},${oldKey}`);
    // Before rotation, the ring with both keys still reads old values.
    expect(ring.decrypt(await storedCredentials(alpha), bindingOf(alpha))).toBe(`token-of-${alpha.tenantId}`);

    expect(await rotateCredentials(db.owner, ring)).toEqual({ examined: 2, reencrypted: 2, unreadable: [] });
    const newOnly = Vault.fromSpec(newKey);
    for (const graph of [alpha, bravo]) {
      const envelope = await storedCredentials(graph);
      expect(newOnly.keyIdOf(envelope)).toBe("new");
      expect(newOnly.decrypt(envelope, bindingOf(graph))).toBe(`token-of-${graph.tenantId}`);
    }
    expect(await rotateCredentials(db.owner, ring)).toEqual({ examined: 2, reencrypted: 0, unreadable: [] });
  });

  it("reports, and leaves unchanged, a row whose ciphertext was moved from another row, while rotating the rest", async () => {
    const ring = Vault.fromSpec(`${newKey},${oldKey}`);
    const oldVault = Vault.fromSpec(oldKey);
    const moved = oldVault.encrypt("secret", bindingOf(alpha));
    await db.owner.query("UPDATE connections SET credentials = $1 WHERE id = $2", [moved, bravo.connectionId]);
    await db.owner.query("UPDATE connections SET credentials = $1 WHERE id = $2", [oldVault.encrypt("fine", bindingOf(alpha)), alpha.connectionId]);
    expect(await rotateCredentials(db.owner, ring)).toEqual({ examined: 2, reencrypted: 1, unreadable: [bravo.connectionId] });
    expect(await storedCredentials(bravo)).toBe(moved);
    expect(ring.keyIdOf(await storedCredentials(alpha))).toBe("new");
  });
});

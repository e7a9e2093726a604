import { requiredText } from "../auth/accounts.js";
import type { Principal } from "../auth/principal.js";
import { recordAudit } from "../platform/audit.js";
import type { Queryable } from "../platform/db/pool.js";
import { badRequest, forbidden } from "../platform/errors.js";
import { canonicalTimeZone } from "../platform/local-time.js";

/** What an owner sets for the whole organization. */
export interface TenantSettings {
  name: string;
  /** An IANA zone name; pages show dates and times in it. */
  timeZone: string;
}

/** The current tenant's settings (inside withTenant). */
export async function tenantSettings(db: Queryable): Promise<TenantSettings> {
  const { rows } = await db.query<TenantSettings>(`SELECT name, time_zone AS "timeZone" FROM tenants WHERE id = current_tenant_id()`);
  if (!rows[0]) throw new Error("tenant settings were read outside a tenant's context");
  return rows[0];
}

/** The zone the current tenant reads dates and times in (inside withTenant). */
export async function tenantTimeZone(db: Queryable): Promise<string> {
  return (await tenantSettings(db)).timeZone;
}

/** Renames the organization and sets its time zone; owners only, audited. */
export async function updateTenantSettings(db: Queryable, by: Principal, typed: TenantSettings): Promise<void> {
  if (by.role !== "owner") throw forbidden("Only an owner can change the organization's name and time zone.");
  const name = requiredText(typed.name, "organization name");
  const timeZone = canonicalTimeZone(typed.timeZone);
  if (!timeZone) {
    throw badRequest("invalid_time_zone", "That is not a time zone: choose one from the list, or type an IANA name such as Europe/Berlin or America/New_York.");
  }
  await db.query("UPDATE tenants SET name = $1, time_zone = $2 WHERE id = $3", [name, timeZone, by.tenantId]);
  await recordAudit(db, { tenantId: by.tenantId, actorUserId: by.userId, action: "tenant.settings_changed", targetType: "tenant", targetId: by.tenantId, details: { name, timeZone } });
}

/** Whether the owner lets the assistant show people to Claude by name instead of as pseudonyms (inside withTenant). */
export async function assistantShowsNames(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ ai_shows_names: boolean }>("SELECT ai_shows_names FROM tenants WHERE id = current_tenant_id()");
  return rows[0]?.ai_shows_names === true;
}

/** Turns names for the assistant on or off; owners only, audited. */
export async function setAssistantShowsNames(db: Queryable, by: Principal, on: boolean): Promise<void> {
  if (by.role !== "owner") throw forbidden("Only an owner can decide whether the assistant sends people's names to Claude.");
  await db.query("UPDATE tenants SET ai_shows_names = $1 WHERE id = $2", [on, by.tenantId]);
  await recordAudit(db, { tenantId: by.tenantId, actorUserId: by.userId, action: "assistant.names_changed", targetType: "tenant", targetId: by.tenantId, details: { showsNames: on } });
}

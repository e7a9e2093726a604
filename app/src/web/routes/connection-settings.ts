import Router from "@koa/router";
import { DEFAULT_CALENDAR, parseCalendar, type WorkingCalendar } from "../../analysis/calendar.js";
import { hasRole, type Principal } from "../../auth/principal.js";
import type { Provider } from "../../connectors/connector.js";
import { recordAudit } from "../../platform/audit.js";
import type { PoolClient } from "../../platform/db/pool.js";
import { withTenant } from "../../platform/db/tenant.js";
import { badRequest, notFound } from "../../platform/errors.js";
import { refreshScanOutput } from "../../scans/scan-output-store.js";
import {
  calendarFieldsOf,
  calendarForm,
  readSettingsChange,
  savedNoticeOf,
  SCAN_EVERY_MINUTES,
  sectionOf,
  statusCategoryRows,
  stepClassRows,
  submittedCalendar,
  type CalendarFields,
  type OverrideChanges,
  type Section,
  type SettingsChange,
} from "../connection-settings-form.js";
import type { WebDeps } from "../deps.js";
import { field } from "../form.js";
import { renderPage, requireAdmin, requirePrincipal, uuidParam, withFormErrors, type WebContext } from "../page.js";
import type { RequestState } from "../state.js";
import { storedOutputOf } from "../stored-outputs.js";

const PATH = "/connections/:id/settings";

/**
 * A connection's settings: how its steps and statuses are classified, its working calendar
 * and its scan schedule. Everyone in the tenant may look; owners and admins may change them.
 * A change to what the analysis reads recomputes the stored outputs in the same transaction,
 * so the figures on every page are made with the settings this page shows.
 */
export function connectionSettingsRoutes(deps: WebDeps): Router<RequestState> {
  const router = new Router<RequestState>();

  router.get(PATH, async (ctx) => {
    requirePrincipal(ctx);
    await showSettings(ctx, deps, uuidParam(ctx, "id", "connection"), { saved: savedNoticeOf(ctx.query.saved) });
  });

  router.post(PATH, async (ctx) => {
    const principal = requireAdmin(ctx, "change a connection's settings");
    const connectionId = uuidParam(ctx, "id", "connection");
    const section = sectionOf(field(ctx, "section"));
    const submitted = (name: string) => field(ctx, name);
    await withFormErrors(
      async () => {
        const change = readSettingsChange(section, submitted);
        // A save may recompute the outputs from the whole log: it waits for the other whole-log analyses.
        await deps.wholeLogAnalyses.exclusive(() => withTenant(deps.pool, principal.tenantId, (client) => saveSettings(client, deps, principal, connectionId, change), "snapshot-write"));
        ctx.redirect(`/connections/${connectionId}/settings?saved=${section}`);
      },
      (refusal) => showSettings(ctx, deps, connectionId, { error: { section, message: refusal.message }, typed: typedValues(section, submitted) }, refusal.status),
    );
  });

  return router;
}

interface SettingsRow {
  label: string;
  provider: string;
  step_classes: unknown;
  status_categories: unknown;
  calendar: unknown;
  scan_every_minutes: number;
}

/** What the page adds to the stored settings: a confirmation, or a refusal with the values as typed. */
interface Shown {
  saved?: string | null;
  error?: { section: Section; message: string };
  typed?: { calendar?: CalendarFields; scanEveryMinutes?: string };
}

async function showSettings(ctx: WebContext, deps: WebDeps, connectionId: string, shown: Shown, status = 200): Promise<void> {
  const principal = requirePrincipal(ctx);
  const { settings, stored } = await withTenant(
    deps.pool,
    principal.tenantId,
    async (client) => ({ settings: await settingsOf(client, connectionId), stored: await storedOutputOf(client, connectionId, null) }),
    "snapshot",
  );
  const steps = stored?.output.steps ?? [];
  const calendar = storedCalendar(settings.calendar);
  const canManage = hasRole(principal, "admin");
  const statusesFromTool = reportsStatusCategories(deps, settings.provider);
  renderPage(
    ctx,
    deps.render,
    "connection-settings",
    {
      title: `Settings — ${settings.label}`,
      connection: { id: connectionId, label: settings.label },
      canManage,
      canSetStatuses: canManage && !statusesFromTool,
      statusesFromTool,
      saved: shown.saved,
      errors: shown.error ? { [shown.error.section]: shown.error.message } : {},
      computedAt: stored?.computedAt,
      steps: stepClassRows(steps, settings.step_classes),
      unknownSteps: stored?.output.dataQuality.unknownSteps ?? [],
      statuses: statusCategoryRows(steps.map((step) => step.step), settings.status_categories),
      calendar: calendarForm(shown.typed?.calendar ?? calendarFieldsOf(calendar.value)),
      calendarProblem: calendar.problem,
      schedule: settings.provider === "file" ? null : { everyMinutes: shown.typed?.scanEveryMinutes ?? settings.scan_every_minutes, ...SCAN_EVERY_MINUTES },
    },
    status,
  );
}

async function settingsOf(client: PoolClient, connectionId: string): Promise<SettingsRow> {
  const { rows } = await client.query<SettingsRow>("SELECT label, provider, step_classes, status_categories, calendar, scan_every_minutes FROM connections WHERE id = $1", [connectionId]);
  if (!rows[0]) throw notFound("There is no connection with that id.");
  return rows[0];
}

/** The stored calendar, or (none stored, or one no longer readable) the default, with why. */
function storedCalendar(raw: unknown): { value: WorkingCalendar; problem: string | null } {
  if (raw === null) return { value: DEFAULT_CALENDAR, problem: null };
  try {
    return { value: parseCalendar(raw), problem: null };
  } catch (err) {
    return { value: DEFAULT_CALENDAR, problem: `The stored calendar could not be read (${(err as Error).message}); the figures use the default shown here until it is saved again.` };
  }
}

/** The values a refused form showed, so nothing typed is lost; the tables show what is stored. */
function typedValues(section: Section, submitted: (name: string) => string): Shown["typed"] {
  if (section === "calendar") return { calendar: submittedCalendar(submitted) };
  if (section === "schedule") return { scanEveryMinutes: submitted("scanEveryMinutes") };
  return {};
}

/**
 * A tool that reports its statuses' categories has them rewritten by every scan (runner.ts),
 * so a category set here would not last: its statuses are changed through their step class.
 */
function reportsStatusCategories(deps: WebDeps, provider: string): boolean {
  return deps.connectors.get(provider as Provider)?.statusCategories !== undefined;
}

/** Stores one section, records who changed it, and recomputes the stored outputs when the analysis reads it. */
async function saveSettings(client: PoolClient, deps: WebDeps, by: Principal, connectionId: string, change: SettingsChange): Promise<void> {
  const { provider } = await settingsOf(client, connectionId);
  switch (change.section) {
    case "steps":
      await mergeOverrides(client, "step_classes", connectionId, change.overrides);
      break;
    case "statuses":
      if (reportsStatusCategories(deps, provider)) {
        throw badRequest("categories_from_tool", "This tool reports each status's category with every scan, so they cannot be set here: set the status's step class instead.");
      }
      await mergeOverrides(client, "status_categories", connectionId, change.overrides);
      break;
    case "calendar":
      await client.query("UPDATE connections SET calendar = $2 WHERE id = $1", [connectionId, JSON.stringify(change.calendar)]);
      break;
    case "schedule":
      if (provider === "file") throw badRequest("not_scanned", "An imported log is never scanned, so it has no scan schedule.");
      // A shorter interval applies from now: a next scan planned further off than it is brought forward.
      await client.query(
        `UPDATE connections SET scan_every_minutes = $2,
                next_scan_at = CASE WHEN next_scan_at > now() + make_interval(mins => $2) THEN now() + make_interval(mins => $2) ELSE next_scan_at END
          WHERE id = $1`,
        [connectionId, change.scanEveryMinutes],
      );
      break;
  }
  await recordAudit(client, { tenantId: by.tenantId, actorUserId: by.userId, action: "connection.settings_changed", targetType: "connection", targetId: connectionId, details: { section: change.section } });
  if (change.section === "schedule") return;
  const analysed = await client.query("SELECT 1 FROM scan_outputs WHERE connection_id = $1 LIMIT 1", [connectionId]);
  if (analysed.rowCount) await refreshScanOutput(client, { tenantId: by.tenantId, connectionId }, null, new Date());
}

/** Sets and removes entries in one statement; entries the form did not list stay as they are. */
async function mergeOverrides(client: PoolClient, column: "step_classes" | "status_categories", connectionId: string, changes: OverrideChanges<unknown>): Promise<void> {
  await client.query(`UPDATE connections SET ${column} = (${column} - $2::text[]) || $3::jsonb WHERE id = $1`, [connectionId, changes.cleared, JSON.stringify(changes.set)]);
}

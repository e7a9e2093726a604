import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import Router from "@koa/router";
import { exportCsvLog } from "../../analysis/export/csv.js";
import { exportXesLog } from "../../analysis/export/xes.js";
import { importCsvLog } from "../../analysis/import/csv.js";
import { ImportError, type ImportResult } from "../../analysis/import/result.js";
import { importXesLog } from "../../analysis/import/xes.js";
import { recordAudit } from "../../platform/audit.js";
import { withTenant } from "../../platform/db/tenant.js";
import { badRequest, notFound } from "../../platform/errors.js";
import { storeImportedLog } from "../../scans/imported-log.js";
import { loadEventLog } from "../../scans/scan-output-store.js";
import type { WebDeps } from "../deps.js";
import { field } from "../form.js";
import { renderPage, requireAdmin, requirePrincipal, uuidParam, withFormErrors } from "../page.js";
import type { RequestState, UploadedFile } from "../state.js";

export const IMPORT_PATH = "/connections/import";
/** The largest event-log file accepted: bpic2012 is 3.3 MB compressed and 70 MB as XES. */
export const IMPORT_LIMIT_BYTES = 200 * 1024 * 1024;

const CSV_COLUMNS = [
  ["caseColumn", "case id"],
  ["activityColumn", "activity"],
  ["timestampColumn", "timestamp"],
] as const;

/** Importing an event log from a CSV or XES file, and exporting any connection's log as either. */
export function eventLogRoutes(deps: WebDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  const { pool, render } = deps;

  router.get(IMPORT_PATH, (ctx) => {
    requireAdmin(ctx, "import event logs");
    renderPage(ctx, render, "import", { title: "Import an event log" });
  });

  router.post(IMPORT_PATH, async (ctx) => {
    const principal = requireAdmin(ctx, "import event logs");
    const values = {
      title: "Import an event log",
      label: field(ctx, "label"),
      caseColumn: field(ctx, "caseColumn"),
      activityColumn: field(ctx, "activityColumn"),
      timestampColumn: field(ctx, "timestampColumn"),
      resourceColumn: field(ctx, "resourceColumn"),
      skipBadRows: field(ctx, "skipBadRows") === "yes",
    };
    await withFormErrors(
      async () => {
        const upload = ctx.state.upload;
        if (!upload || upload.bytes === 0) throw badRequest("no_file", "Choose a .csv, .xes or .xes.gz file to import.");
        const imported = await importUpload(upload, values);
        const label = values.label.trim() || upload.filename || "Imported event log";
        const stored = await withTenant(pool, principal.tenantId, (client) => storeImportedLog(client, principal, label.slice(0, 200), imported, new Date()));
        ctx.state.log.info({ connectionId: stored.connectionId, cases: stored.cases, events: stored.events }, "event log imported");
        ctx.redirect(`/connections/${stored.connectionId}`);
      },
      (refusal) => renderPage(ctx, render, "import", { ...values, error: refusal.message }, refusal.status),
    );
  });

  router.get("/connections/:id/export.:format", async (ctx) => {
    const principal = requirePrincipal(ctx);
    const connectionId = uuidParam(ctx, "id", "connection");
    const format = ctx.params.format;
    if (format !== "csv" && format !== "xes") throw notFound("Event logs export as .csv or .xes.");
    const log = await withTenant(pool, principal.tenantId, async (client) => {
      const { rows } = await client.query<{ provider: string }>("SELECT provider FROM connections WHERE id = $1", [connectionId]);
      if (!rows[0]) throw notFound("There is no connection with that id.");
      await recordAudit(client, { tenantId: principal.tenantId, actorUserId: principal.userId, action: "connection.exported", targetType: "connection", targetId: connectionId, details: { format } });
      return loadEventLog(client, connectionId, rows[0].provider === "file" ? "activity" : "status", new Date());
    });
    ctx.type = format === "csv" ? "text/csv; charset=utf-8" : "application/xml; charset=utf-8";
    ctx.attachment(`event-log-${connectionId}.${format}`);
    ctx.body = Readable.from(format === "csv" ? exportCsvLog(log) : exportXesLog(log));
  });

  return router;
}

async function importUpload(upload: UploadedFile, form: Record<string, string | boolean>): Promise<ImportResult> {
  const name = upload.filename.toLowerCase();
  const options = { skipBadRows: form.skipBadRows === true };
  try {
    if (name.endsWith(".xes") || name.endsWith(".xes.gz")) return await importXesLog(createReadStream(upload.path), options);
    if (!name.endsWith(".csv")) throw badRequest("unknown_format", `"${upload.filename}" is neither .csv, .xes nor .xes.gz. Export the log in one of those formats.`);
    const missing = CSV_COLUMNS.filter(([key]) => String(form[key] ?? "").trim() === "").map(([, what]) => what);
    if (missing.length > 0) throw badRequest("csv_mapping", `Name the CSV column that holds the ${missing.join(", the ")}.`);
    const resource = String(form.resourceColumn ?? "").trim();
    const mapping = {
      caseId: String(form.caseColumn).trim(),
      activity: String(form.activityColumn).trim(),
      timestamp: String(form.timestampColumn).trim(),
      ...(resource && { resource }),
    };
    return await importCsvLog(createReadStream(upload.path), mapping, options);
  } catch (err) {
    // The importers' messages are written for the person who chose the file.
    throw err instanceof ImportError ? badRequest("import_refused", err.message) : err;
  }
}

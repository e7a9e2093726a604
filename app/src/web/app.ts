import { bodyParser } from "@koa/bodyparser";
import Koa from "koa";
import type { WebDeps } from "./deps.js";
import { authenticate } from "./middleware/authenticate.js";
import { csrfProtection } from "./middleware/csrf.js";
import { fileUpload } from "./middleware/file-upload.js";
import { eventLogRoutes, IMPORT_LIMIT_BYTES, IMPORT_PATH } from "./routes/event-logs.js";
import { errorPages } from "./middleware/errors.js";
import { requestLog } from "./middleware/request-log.js";
import { requestMetrics } from "./middleware/request-metrics.js";
import { securityHeaders } from "./middleware/security-headers.js";
import { tenantTimeZones } from "./middleware/tenant-time-zone.js";
import { accountRoutes } from "./routes/account.js";
import { apiRoutes } from "./routes/api.js";
import { assistantRoutes } from "./routes/assistant.js";
import { bottleneckRoutes } from "./routes/bottlenecks.js";
import { connectionSettingsRoutes } from "./routes/connection-settings.js";
import { connectionRoutes } from "./routes/connections.js";
import { dataRoutes } from "./routes/data.js";
import { flowRoutes } from "./routes/flow.js";
import { forecastRoutes } from "./routes/forecast.js";
import { healthRoutes } from "./routes/health.js";
import { jiraOAuthRoutes } from "./routes/jira-oauth.js";
import { memberRoutes } from "./routes/members.js";
import { overviewRoutes } from "./routes/overview.js";
import { processMapRoutes } from "./routes/process-map.js";
import { securityRoutes } from "./routes/security.js";
import { sessionRoutes } from "./routes/session.js";
import { ticketRoutes } from "./routes/tickets.js";
import { variantsRoutes } from "./routes/variants.js";
import type { RequestState } from "./state.js";
import { staticFiles } from "./static-files.js";

export const BODY_LIMIT = "100kb";

export function createWebApp(deps: WebDeps): Koa<RequestState> {
  const app = new Koa<RequestState>({ proxy: deps.config.trustProxy });
  app.use(requestMetrics(deps.metrics));
  // Koa would refuse Secure cookies on plain HTTP; they are always Secure (TLS ends at nginx,
  // and browsers treat http://localhost as a secure context).
  app.use(async (ctx, next) => {
    ctx.cookies.secure = true;
    await next();
  });
  app.use(requestLog(deps.log));
  app.use(errorPages(deps.render));
  // "Sign in with Atlassian" is a form whose answer redirects to Atlassian's authorize page.
  const formActionOrigins = deps.config.atlassian.oauthClient ? [new URL(deps.config.atlassian.authUrl).origin] : [];
  app.use(securityHeaders({ hsts: deps.config.publicUrl.startsWith("https://"), formActionOrigins }));
  app.use(staticFiles());
  app.use(healthRoutes(deps).routes());
  app.use(bodyParser({ enableTypes: ["json", "form"], jsonLimit: BODY_LIMIT, formLimit: BODY_LIMIT, jsonStrict: true }));
  app.use(authenticate(deps.authenticator));
  app.use(tenantTimeZones(deps.pool));
  app.use(fileUpload([IMPORT_PATH], IMPORT_LIMIT_BYTES));
  app.use(csrfProtection(deps.config.sessionSecret));
  for (const router of [sessionRoutes(deps), overviewRoutes(deps), securityRoutes(deps), memberRoutes(deps), accountRoutes(deps), dataRoutes(deps), jiraOAuthRoutes(deps), eventLogRoutes(deps), connectionRoutes(deps), connectionSettingsRoutes(deps), processMapRoutes(deps), flowRoutes(deps), bottleneckRoutes(deps), variantsRoutes(deps), forecastRoutes(deps), assistantRoutes(deps), ticketRoutes(deps), apiRoutes(deps)]) {
    app.use(router.routes());
    app.use(router.allowedMethods({ throw: false }));
  }
  // Errors are answered by errorPages; Koa's own handler would print them to stderr.
  app.silent = true;
  return app;
}

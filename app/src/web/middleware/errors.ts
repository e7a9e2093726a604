import type { Context, Middleware } from "koa";
import { AuthError } from "../../auth/auth-error.js";
import { AppError } from "../../platform/errors.js";
import type { Renderer } from "../render.js";
import type { RequestState } from "../state.js";

interface PublicError {
  status: number;
  code: string;
  message: string;
}

/** Body-parser (co-body / raw-body) failures carry a type; say what to fix. */
const BODY_ERRORS: Record<string, { code: string; message: string }> = {
  "entity.too.large": { code: "body_too_large", message: "The request body is too large (the limit is 100 kB)." },
  "entity.parse.failed": { code: "malformed_body", message: "The request body could not be parsed: send valid JSON or a URL-encoded form." },
  "encoding.unsupported": { code: "unsupported_encoding", message: "The request body's character encoding is not supported: use UTF-8." },
  "request.size.invalid": { code: "malformed_body", message: "The request body is shorter or longer than its Content-Length." },
};

/**
 * Turns every failure into a response that shows a request id and a clear message,
 * never a stack trace or SQL. Only unexpected errors are logged, once, at error level.
 */
export function errorPages(render: Renderer): Middleware<RequestState> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        respond(ctx, render, { status: 404, code: "not_found", message: "There is no page at this address." });
      }
    } catch (err) {
      const known = toPublicError(err);
      if (known) {
        if (err instanceof AuthError) ctx.state.log.info({ reason: err.reason, detail: err.message }, "credentials rejected");
        respond(ctx, render, known);
        return;
      }
      ctx.state.log.error({ err }, "unexpected error");
      respond(ctx, render, { status: 500, code: "internal_error", message: "Something went wrong on our side. It has been logged." });
    }
  };
}

function toPublicError(err: unknown): PublicError | null {
  if (err instanceof AppError) return { status: err.status, code: err.code, message: err.message };
  if (err instanceof AuthError) return { status: 401, code: "invalid_credentials", message: "Your sign-in is not valid or has expired. Sign in again." };
  if (isClientHttpError(err)) {
    // co-body marks JSON syntax errors only by attaching the raw body.
    const type = err.type ?? ("body" in err ? "entity.parse.failed" : undefined);
    const known = type ? BODY_ERRORS[type] : undefined;
    return { status: err.status, code: known?.code ?? "bad_request", message: known?.message ?? "The request could not be understood." };
  }
  return null;
}

function isClientHttpError(err: unknown): err is { status: number; type?: string } {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === "number" && status >= 400 && status < 500;
}

export function wantsJson(ctx: Context): boolean {
  return ctx.path.startsWith("/api/") || ctx.accepts("html", "json") === "json";
}

function respond(ctx: Context & { state: RequestState }, render: Renderer, error: PublicError): void {
  ctx.status = error.status;
  if (wantsJson(ctx)) {
    if (error.status === 401) ctx.set("WWW-Authenticate", 'Bearer realm="twinflow"');
    ctx.body = { error: { code: error.code, message: error.message, requestId: ctx.state.requestId } };
    return;
  }
  if (error.status === 401) {
    // A person in a browser is sent to sign in rather than shown an error.
    ctx.redirect("/sign-in");
    return;
  }
  ctx.type = "html";
  ctx.body = render("error", {
    title: error.status === 404 ? "Not found" : "Something went wrong",
    status: error.status,
    message: error.message,
    requestId: ctx.state.requestId,
    principal: ctx.state.principal,
    csrfToken: ctx.state.csrfToken,
  });
}

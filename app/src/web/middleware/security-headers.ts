import type { Middleware } from "koa";

/**
 * No inline script or style anywhere: every page uses /static files only. Forms post to
 * this origin and, because browsers apply form-action to a form's redirects too, to the
 * origins a form's answer may redirect to (Atlassian sign-in).
 */
export function contentSecurityPolicy(formActionOrigins: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    ["form-action 'self'", ...formActionOrigins].join(" "),
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Exported so nginx/security-headers.conf can be checked against them: both must send the same values. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "strict-origin-when-cross-origin",
  "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
};

export function securityHeaders(options: { hsts: boolean; formActionOrigins?: readonly string[] }): Middleware {
  const headers = { ...SECURITY_HEADERS, "Content-Security-Policy": contentSecurityPolicy(options.formActionOrigins ?? []) };
  return async (ctx, next) => {
    ctx.set(headers);
    if (options.hsts) ctx.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    await next();
  };
}

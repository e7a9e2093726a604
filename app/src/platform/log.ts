/**
 * The application logger. Whatever callers pass in, no credential (token, password,
 * session id, auth code, client secret) and no SQL text or parameter value may
 * reach the output: secret fields are censored by name, every string is passed
 * through `scrubText`, and errors are reduced to a fixed set of safe fields.
 */
import { hostname } from "node:os";
import { pino } from "pino";
import type { DestinationStream, LogFn, Logger, LoggerOptions } from "pino";
import type { DatabaseError } from "pg";
import { REDACTED, scrubText } from "./scrub.js";

export type { Logger };
export { SENSITIVE_QUERY_PARAMS, scrubText, scrubUrl } from "./scrub.js";

/** Field names whose values are secrets, whatever object they appear in. */
const SECRET_FIELD_NAMES = [
  "password",
  "passwordHash",
  "token",
  "accessToken",
  "refreshToken",
  "access_token",
  "refresh_token",
  "idToken",
  "id_token",
  "clientSecret",
  "client_secret",
  "secret",
  "apiKey",
  "api_key",
  "sessionId",
  "session",
  "cookie",
  "authorization",
  "credentials",
] as const;

/** Credential-carrying headers, as they appear in pino's `req` / `res` shapes. */
const SECRET_REQUEST_HEADERS = ["authorization", "cookie", "x-api-key"] as const;
const SECRET_RESPONSE_HEADERS = ["set-cookie"] as const;

const REDACT_PATHS = [
  ...SECRET_FIELD_NAMES.flatMap((name) => [name, `*.${name}`, `*.*.${name}`]),
  ...SECRET_REQUEST_HEADERS.map((header) => `req.headers["${header}"]`),
  ...SECRET_RESPONSE_HEADERS.map((header) => `res.headers["${header}"]`),
];

/** pino's redaction is path-based and case-sensitive; this catches the same names deeper and in any case. */
const SECRET_KEYS = new Set(
  [...SECRET_FIELD_NAMES, ...SECRET_REQUEST_HEADERS, ...SECRET_RESPONSE_HEADERS].map((name) =>
    name.toLowerCase(),
  ),
);

const isSecretKey = (key: string): boolean => SECRET_KEYS.has(key.toLowerCase());

/** Keys pino hands to the error serializers, which run after `formatters.log`. */
const ERROR_KEYS = ["err", "error"] as const;

/** Values nested deeper are replaced rather than walked, so cyclic or huge objects stay cheap and still safe. */
const MAX_SCRUB_DEPTH = 8;
const TRUNCATED = "[Truncated]";
/** Cause chains can be cyclic; links beyond this are dropped. */
const MAX_CAUSE_DEPTH = 5;

export type SerializedError = { type: string; message: string; [field: string]: unknown };

export function createLogger(options: {
  level: string;
  destination?: DestinationStream;
  name?: string;
}): Logger {
  const { level, destination, name } = options;
  const loggerOptions: LoggerOptions = {
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    serializers: { err: serializeError, error: serializeError },
    formatters: { log: scrubLogObject },
    hooks: {
      logMethod(args, method) {
        method.apply(this, scrubLogArguments(args) as Parameters<LogFn>);
      },
    },
    ...(name === undefined ? {} : { base: { pid: process.pid, hostname: hostname(), service: name } }),
  };
  return scrubBindingsOf(pino(loggerOptions, destination));
}

/**
 * pino serializes child bindings once, without `formatters.log`, so they are scrubbed
 * on the way in. Children inherit these methods from the root through the prototype
 * chain, which covers grandchildren too.
 */
function scrubBindingsOf(logger: Logger): Logger {
  const { child, setBindings } = logger;
  logger.child = function scrubbedChild(this: Logger, bindings, childOptions) {
    return child.call(this, scrubLogObject(bindings), childOptions);
  } as Logger["child"];
  logger.setBindings = function scrubbedSetBindings(this: Logger, bindings) {
    setBindings.call(this, scrubLogObject(bindings));
  };
  return logger;
}

/** The merging object: secret fields censored, strings scrubbed, errors left for the serializers. */
function scrubLogObject(object: Record<string, unknown>): Record<string, unknown> {
  const scrubbed = scrubFields(object, 0);
  for (const key of ERROR_KEYS) {
    if (Object.hasOwn(object, key)) scrubbed[key] = object[key];
  }
  return scrubbed;
}

/**
 * The message and its interpolation values. The merging object is left to
 * `formatters.log`, which sees it after pino has reduced raw requests/responses.
 */
function scrubLogArguments(args: unknown[]): unknown[] {
  if (typeof args[0] === "string") return args.map(scrubMessagePart);
  const [mergingObject, message = messageOfLoggedError(mergingObject), ...interpolations] = args;
  return [mergingObject, ...[message, ...interpolations].map(scrubMessagePart)];
}

const scrubMessagePart = (part: unknown): unknown => scrubLogValue(part, 0);

/**
 * Without an explicit message pino falls back to the logged error's raw message,
 * which for Postgres errors embeds values; the serialized message is used instead.
 */
function messageOfLoggedError(mergingObject: unknown): string | undefined {
  if (mergingObject instanceof Error) return serializeError(mergingObject).message;
  if (typeof mergingObject !== "object" || mergingObject === null) return undefined;
  const { err, msg } = mergingObject as { err?: unknown; msg?: unknown };
  return err && msg === undefined ? serializeError(err).message : undefined;
}

function scrubLogValue(value: unknown, depth: number): unknown {
  if (typeof value === "string") return scrubText(value);
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof Error) return serializeError(value);
  if (depth >= MAX_SCRUB_DEPTH) return TRUNCATED;
  // Serialize as JSON.stringify would (Date, URL, Koa's ctx/request), then scrub the result.
  if (hasToJSON(value)) return scrubLogValue(value.toJSON(), depth + 1);
  if (Array.isArray(value)) return value.map((item) => scrubLogValue(item, depth + 1));
  return scrubFields(value, depth);
}

function scrubFields(object: object, depth: number): Record<string, unknown> {
  const scrubbed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    scrubbed[key] = isSecretKey(key) ? REDACTED : scrubLogValue(value, depth + 1);
  }
  return scrubbed;
}

const hasToJSON = (value: object): value is { toJSON: () => unknown } =>
  typeof (value as { toJSON?: unknown }).toJSON === "function";

/**
 * A log-safe view of anything thrown. Only the fields below are copied, so
 * properties such as `query`, `sql`, `text`, `values`, `parameters` or `params`
 * that libraries attach to errors never reach the output.
 */
export function serializeError(err: unknown): SerializedError {
  return serializeErrorAtDepth(err, 0);
}

function serializeErrorAtDepth(err: unknown, depth: number): SerializedError {
  if (!(err instanceof Error)) return { type: typeof err, message: "non-error thrown" };
  if (isPostgresError(err)) return serializePostgresError(err);

  const type = err.constructor.name || err.name;
  const { code } = err as { code?: unknown };
  const message = scrubText(String(err.message));
  const serialized: SerializedError = {
    type,
    code: typeof code === "string" || typeof code === "number" ? code : undefined,
    message,
  };
  if (typeof err.stack === "string") serialized.stack = scrubbedStack(err, err.stack, type, message);
  if (err.cause !== undefined && depth < MAX_CAUSE_DEPTH) {
    serialized.cause = serializeErrorAtDepth(err.cause, depth + 1);
  }
  return serialized;
}

/** The stack's frames under a header rebuilt from the scrubbed message (the original header repeats the raw one). */
function scrubbedStack(err: Error, stack: string, type: string, message: string): string {
  const header = message === "" ? type : `${type}: ${message}`;
  return header + scrubText(stackFrames(err, stack));
}

/** V8 stacks are `name: message` (possibly several lines) followed by `\n    at …` frames. */
function stackFrames(err: Error, stack: string): string {
  const originalHeader = Error.prototype.toString.call(err);
  if (stack.startsWith(originalHeader)) return stack.slice(originalHeader.length);
  const firstFrame = stack.search(/\n\s+at /);
  return firstFrame === -1 ? "" : stack.slice(firstFrame);
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

type PostgresError = DatabaseError & { code: string };

/** pg's DatabaseError, recognised by shape so errors from another copy of pg count too. */
function isPostgresError(err: Error): err is PostgresError {
  const { code } = err as { code?: unknown };
  return "severity" in err && typeof code === "string" && SQLSTATE.test(code);
}

/** Condition names (PostgreSQL appendix A) for the SQLSTATEs the application is likely to hit. */
const SQLSTATE_CONDITIONS: Readonly<Record<string, string>> = {
  "08006": "connection_failure",
  "22001": "string_data_right_truncation",
  "22003": "numeric_value_out_of_range",
  "22007": "invalid_datetime_format",
  "22008": "datetime_field_overflow",
  "22012": "division_by_zero",
  "22P02": "invalid_text_representation",
  "23502": "not_null_violation",
  "23503": "foreign_key_violation",
  "23505": "unique_violation",
  "23514": "check_violation",
  "23P01": "exclusion_violation",
  "25P02": "in_failed_sql_transaction",
  "28P01": "invalid_password",
  "3D000": "invalid_catalog_name",
  "40001": "serialization_failure",
  "40P01": "deadlock_detected",
  "42501": "insufficient_privilege",
  "42601": "syntax_error",
  "42703": "undefined_column",
  "42883": "undefined_function",
  "42P01": "undefined_table",
  "53300": "too_many_connections",
  "55P03": "lock_not_available",
  "57014": "query_canceled",
  "57P01": "admin_shutdown",
};

/**
 * Postgres messages and details quote the offending values (`Key (email)=(…)`,
 * `invalid input syntax for type uuid: "…"`) and `where`/`internalQuery` quote SQL,
 * so only the code and catalog names are kept and the message is rebuilt from them.
 */
function serializePostgresError(err: PostgresError): SerializedError {
  const condition = SQLSTATE_CONDITIONS[err.code] ?? `class ${err.code.slice(0, 2)}`;
  const { code, table, constraint, column } = err;
  return {
    type: "DatabaseError",
    code,
    condition,
    table,
    constraint,
    column,
    message: describePostgresError(condition, err),
  };
}

function describePostgresError(condition: string, { table, column, constraint }: DatabaseError): string {
  const subjects = [
    table && `table ${table}`,
    column && `column ${column}`,
    constraint && `constraint ${constraint}`,
  ].filter(Boolean);
  const description = `database error: ${condition}`;
  return subjects.length === 0 ? description : `${description} (${subjects.join(", ")})`;
}

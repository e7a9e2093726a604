/**
 * The one place that reads the environment. Every variable is declared here with its
 * validation and a fix-it hint; `loadConfig` reports every problem at once.
 */
import cron from "node-cron";
import { z } from "zod";
import { Vault, VaultError } from "./platform/vault.js";

const GENERATE_SECRET = "generate one with `make init` or `openssl rand -base64 32`";

const booleanString = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((value) => value === "true" || value === "1" || value === "yes");

const postgresUrl = z
  .string()
  .url()
  .refine((value) => /^postgres(ql)?:\/\//.test(value), "must start with postgres://");

const base64Secret = z
  .string()
  .min(1)
  .refine((value) => decodeBase64(value).length >= 32, `must be at least 32 bytes of base64; ${GENERATE_SECRET}`)
  .transform((value) => decodeBase64(value));

/** An http(s) base address without a trailing slash. */
const baseUrl = z
  .string()
  .url()
  .refine((value) => /^https?:\/\//.test(value), "must start with https:// (or http:// for a local fake)")
  .transform((value) => value.replace(/\/+$/, ""));

const cronExpression = z.string().refine((value) => cron.validate(value), "not a cron expression (minute hour day month weekday)");

const commaList = z
  .string()
  .transform((value) => value.split(",").map((part) => part.trim()).filter(Boolean));

interface VariableSpec {
  schema: z.ZodType;
  hint: string;
}

/** name → schema and what to do when it is wrong. Order is the order of `.env.example`. */
const variables = {
  NODE_ENV: { schema: z.enum(["production", "development", "test"]).default("production"), hint: "production, development or test" },
  HOST: { schema: z.string().min(1).default("127.0.0.1"), hint: "the address the web process listens on" },
  PORT: { schema: z.coerce.number().int().min(1).max(65535).default(3000), hint: "a TCP port, e.g. 3000" },
  PUBLIC_URL: {
    schema: z.string().url().transform((value) => value.replace(/\/+$/, "")),
    hint: "the address users open, e.g. https://twinflow.example.com",
  },
  TRUST_PROXY: { schema: booleanString.default(false), hint: "true only when nginx (or another proxy) sets X-Forwarded-For" },
  LOG_LEVEL: { schema: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"), hint: "info, warn, error or debug" },
  METRICS_HOST: {
    schema: z.string().min(1).default("127.0.0.1"),
    hint: "the address each process serves /metrics and /healthz on; 0.0.0.0 only on a private network (compose's internal one)",
  },
  METRICS_PORT: {
    schema: z.coerce.number().int().min(0).max(65535).default(9464),
    hint: "a TCP port for /metrics and /healthz, never the web PORT, e.g. 9464; 0 picks a free one",
  },
  DATABASE_URL: { schema: postgresUrl, hint: "postgres://twinflow_app:PASSWORD@127.0.0.1:5432/twinflow (the runtime role)" },
  DATABASE_OWNER_URL: { schema: postgresUrl.optional(), hint: "postgres://twinflow_owner:PASSWORD@127.0.0.1:5432/twinflow (used by migrate and rotate-key only)" },
  DATABASE_ADMIN_URL: {
    schema: postgresUrl.default("postgres://postgres@127.0.0.1:5432/postgres"),
    hint: "a superuser URL, used only by `twinflow bootstrap-db` to create the roles and the database",
  },
  DATABASE_POOL_MAX: { schema: z.coerce.number().int().min(1).max(200).default(10), hint: "connections per process, e.g. 10" },
  REDIS_URL: { schema: z.string().url().refine((value) => /^rediss?:\/\//.test(value), "must start with redis:// or rediss://"), hint: "redis://:PASSWORD@127.0.0.1:6379/0" },
  QUEUE_PREFIX: { schema: z.string().regex(/^[a-z0-9_-]{1,40}$/).default("twinflow"), hint: "Redis key prefix of the job queues, e.g. twinflow (lower-case letters, digits, - and _)" },
  SCAN_LOCK_SECONDS: { schema: z.coerce.number().int().min(5).max(600).default(30), hint: "seconds after which a scan whose worker died is handed to another worker, e.g. 30" },
  TWINFLOW_VAULT_KEYS: {
    schema: z.string().min(1).superRefine((spec, refinement) => {
      try {
        Vault.fromSpec(spec);
      } catch (err) {
        refinement.addIssue({ code: "custom", message: err instanceof VaultError ? err.message : "not a key ring" });
      }
    }),
    hint: "comma-separated keyId:base64key entries, newest first; generate a key with `make init` or `openssl rand -base64 32`",
  },
  SESSION_SECRET: { schema: base64Secret, hint: `signs session tokens and CSRF tokens; ${GENERATE_SECRET}` },
  SESSION_IDLE_MINUTES: { schema: z.coerce.number().int().min(1).max(24 * 60).default(30), hint: "minutes of inactivity before a session ends, e.g. 30" },
  SESSION_MAX_HOURS: { schema: z.coerce.number().int().min(1).max(24 * 30).default(12), hint: "hours after sign-in when a session ends regardless, e.g. 12" },
  AUTH_MODE: { schema: z.enum(["builtin", "oidc"]).default("builtin"), hint: "builtin (email + password) or oidc (an external issuer such as Clerk)" },
  OIDC_ISSUER: { schema: z.string().url().optional(), hint: "the issuer's exact `iss`, e.g. https://clerk.example.com" },
  OIDC_JWKS_URL: { schema: z.string().url().optional(), hint: "e.g. https://clerk.example.com/.well-known/jwks.json" },
  OIDC_AUDIENCE: { schema: z.string().min(1).optional(), hint: "the expected `aud` claim" },
  OIDC_AUTHORIZED_PARTIES: { schema: commaList.optional(), hint: "comma-separated origins allowed in `azp`, e.g. https://twinflow.example.com" },
  OIDC_ALGORITHMS: { schema: commaList.default(["RS256"]), hint: "comma-separated JWS algorithms, e.g. RS256,ES256" },
  OIDC_TENANT_CLAIM: { schema: z.string().min(1).default("org_id"), hint: "claim naming the organization, e.g. org_id or o.id" },
  OIDC_ROLE_CLAIM: { schema: z.string().min(1).default("org_role"), hint: "claim naming the organization role, e.g. org_role or o.rol" },
  OIDC_JWKS_COOLDOWN_SECONDS: { schema: z.coerce.number().int().min(0).max(3600).default(30), hint: "minimum seconds between JWKS refetches triggered by an unknown key id, e.g. 30" },
  SECURITY_CONTACT: { schema: z.string().regex(/^(mailto:|https:\/\/)/).optional(), hint: "mailto:security@example.com or an https:// URL (security.txt Contact)" },
  SECURITY_POLICY_URL: { schema: z.string().url().optional(), hint: "an https:// URL of the disclosure policy (security.txt Policy)" },
  JIRA_OAUTH_CLIENT_ID: { schema: z.string().min(1).optional(), hint: "Client ID of TwinFlow's OAuth 2.0 (3LO) app in the Atlassian developer console (Settings); unset, Jira connects with API tokens only" },
  JIRA_OAUTH_CLIENT_SECRET: { schema: z.string().min(1).optional(), hint: "Secret of that OAuth 2.0 (3LO) app (developer console, Settings)" },
  ATLASSIAN_AUTH_URL: { schema: baseUrl.default("https://auth.atlassian.com"), hint: "Atlassian's authorization server, e.g. https://auth.atlassian.com (tests point it at a local fake)" },
  ATLASSIAN_API_URL: { schema: baseUrl.default("https://api.atlassian.com"), hint: "Atlassian's API gateway, e.g. https://api.atlassian.com (tests point it at a local fake)" },
  CONNECTOR_EXTRA_HOSTS: {
    schema: commaList.pipe(z.array(z.string().regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/))).default([]),
    hint: "comma-separated host or host:port names connections may reach besides the tools' public APIs, e.g. github.example.com,jira.example.com",
  },
  ANTHROPIC_API_KEY: {
    schema: z.string().min(1).optional(),
    hint: "an Anthropic API key (console.anthropic.com, Settings → API keys); unset, the assistant shows “not configured” and nothing is sent",
  },
  ANTHROPIC_BASE_URL: { schema: baseUrl.default("https://api.anthropic.com"), hint: "the Messages API's address, e.g. https://api.anthropic.com (tests point it at a local fake)" },
  AI_MODEL: { schema: z.string().regex(/^[A-Za-z0-9._:@-]{1,100}$/).default("claude-sonnet-5-5"), hint: "the Claude model the assistant asks, e.g. claude-sonnet-5-5" },
  AI_MAX_OUTPUT_TOKENS: { schema: z.coerce.number().int().min(64).max(32000).default(1024), hint: "most tokens one answer may take, e.g. 1024" },
  AI_CONTEXT_TOKENS: { schema: z.coerce.number().int().min(500).max(150000).default(6000), hint: "most tokens of aggregates sent with a question, e.g. 6000" },
  AI_TIMEOUT_SECONDS: { schema: z.coerce.number().int().min(1).max(600).default(60), hint: "seconds an answer may take in all before it is given up, e.g. 60" },
  AI_REQUESTS_PER_MINUTE: { schema: z.coerce.number().int().min(1).max(10000).default(10), hint: "questions and drafts an organization may send to Claude per minute, e.g. 10" },
  AI_MONTHLY_TOKENS: { schema: z.coerce.number().int().min(1000).default(2_000_000), hint: "tokens (sent and received) an organization may use per calendar month (UTC), e.g. 2000000" },
  DEMO_PASSWORD: { schema: z.string().min(12).optional(), hint: "password of the demo account that `twinflow demo` creates (at least 12 characters)" },
  BACKUP_DIR: { schema: z.string().regex(/^\//, "must be an absolute path").default("/var/backups/twinflow"), hint: "absolute path of the local backups, e.g. /var/backups/twinflow (compose: the backups volume)" },
  BACKUP_SCHEDULE: { schema: cronExpression.default("17 2 * * *"), hint: "cron expression of the nightly backup in the server's time zone, e.g. 17 2 * * *" },
  BACKUP_DRILL_SCHEDULE: { schema: cronExpression.default("41 4 * * 0"), hint: "cron expression of the weekly restore drill, e.g. 41 4 * * 0" },
  BACKUP_RETENTION_DAYS: { schema: z.coerce.number().int().min(1).max(3650).default(14), hint: "days a good local backup is kept, e.g. 14" },
  BACKUP_MIN_BYTES: { schema: z.coerce.number().int().min(1).default(8192), hint: "smallest size a dump may have, in bytes, e.g. 8192" },
  BACKUP_MIN_FRACTION: { schema: z.coerce.number().min(0).max(1).default(0.5), hint: "a dump smaller than this fraction of the last good one fails, e.g. 0.5" },
  BACKUP_ENCRYPTION_KEY: { schema: base64Secret.optional(), hint: `encrypts the off-site copy (AES-256-GCM), 32 bytes of base64; ${GENERATE_SECRET}; keep it outside the server too` },
  B2_BUCKET: { schema: z.string().regex(/^[a-z0-9-]{6,63}$/).optional(), hint: "the B2 bucket of the off-site copies (6–63 lower-case letters, digits and -); unset, backups stay local" },
  B2_PREFIX: { schema: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).default("twinflow"), hint: "key prefix inside the bucket, e.g. twinflow" },
  B2_S3_ENDPOINT: { schema: baseUrl.optional(), hint: "the bucket's S3 endpoint, e.g. https://s3.us-west-004.backblazeb2.com" },
  B2_REGION: { schema: z.string().regex(/^[a-z0-9-]+$/).optional(), hint: "the endpoint's region, e.g. us-west-004" },
  B2_KEY_ID: { schema: z.string().min(1).optional(), hint: "keyID of the B2 application key that may only list, read and write files" },
  B2_APPLICATION_KEY: { schema: z.string().min(1).optional(), hint: "that application key's secret" },
  B2_API_URL: { schema: baseUrl.default("https://api.backblazeb2.com"), hint: "B2's native API, where the key's capabilities are checked; change it only to point tests at a local fake" },
} satisfies Record<string, VariableSpec>;

type Variables = typeof variables;
type Parsed = { [K in keyof Variables]: z.output<Variables[K]["schema"]> };

export interface OidcConfig {
  /** Exact match of `iss`. */
  issuer: string;
  jwksUrl: string;
  /** Checked against `aud` when set. */
  audience?: string;
  /** Checked against `azp` when set (Clerk sets azp to the frontend origin). */
  authorizedParties?: string[];
  /** Allowlist such as ["RS256", "ES256"]; "none" and HS* are refused. */
  algorithms: string[];
  /** Dotted path, e.g. "org_id" (Clerk v1) or "o.id" (Clerk v2). */
  tenantClaim: string;
  /** Dotted path, e.g. "org_role" (Clerk v1) or "o.rol" (Clerk v2). */
  roleClaim: string;
  /** Minimum time between JWKS refetches triggered by an unknown kid. */
  jwksCooldownMs: number;
}

/** Atlassian sign-in for Jira connections. */
export interface AtlassianConfig {
  authUrl: string;
  apiUrl: string;
  /** TwinFlow's OAuth 2.0 (3LO) app; undefined when Jira connects with API tokens only. */
  oauthClient: { clientId: string; clientSecret: string } | undefined;
}

export interface Config {
  env: Parsed["NODE_ENV"];
  host: string;
  port: number;
  publicUrl: string;
  trustProxy: boolean;
  logLevel: Parsed["LOG_LEVEL"];
  /** Where a process serves its metrics and health check: never the web port. */
  metricsHost: string;
  /** 0 lets the system pick, for tests and several processes on one host. */
  metricsPort: number;
  databaseUrl: string;
  databaseOwnerUrl: string | undefined;
  databaseAdminUrl: string;
  databasePoolMax: number;
  redisUrl: string;
  queuePrefix: string;
  scanLockMs: number;
  vaultKeys: string;
  sessionSecret: Uint8Array;
  sessionIdleSeconds: number;
  sessionMaxAgeSeconds: number;
  authMode: Parsed["AUTH_MODE"];
  oidc: OidcConfig | undefined;
  securityContact: string;
  securityPolicyUrl: string | undefined;
  /** Hosts connections may reach besides the tools' public APIs (connectors/http/hosts.ts). */
  connectorExtraHosts: string[];
  atlassian: AtlassianConfig;
  ai: AiConfig;
  demoPassword: string | undefined;
  backup: BackupConfig;
}

/** The assistant's access to Claude and the limits every organization shares. */
export interface AiConfig {
  /** Undefined: the assistant is not configured and sends nothing. */
  apiKey: string | undefined;
  baseUrl: string;
  model: string;
  maxOutputTokens: number;
  contextTokens: number;
  timeoutMs: number;
  requestsPerMinute: number;
  monthlyTokens: number;
}

/** Off-site copies in a Backblaze B2 bucket, through its S3-compatible API. */
export interface OffsiteConfig {
  bucket: string;
  prefix: string;
  endpoint: string;
  region: string;
  keyId: string;
  applicationKey: string;
  /** B2's native API: b2_authorize_account tells the key's capabilities. */
  apiUrl: string;
}

export interface BackupConfig {
  dir: string;
  schedule: string;
  drillSchedule: string;
  retentionDays: number;
  minBytes: number;
  minFraction: number;
  /** 32 bytes; the off-site copy is encrypted with it when set. */
  encryptionKey: Uint8Array | undefined;
  offsite: OffsiteConfig | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`TwinFlow cannot start; fix these settings (see .env.example):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const parsed: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(variables) as [string, VariableSpec][]) {
    const raw = env[name] === "" ? undefined : env[name];
    const result = spec.schema.safeParse(raw);
    if (result.success) parsed[name] = result.data;
    else problems.push(describeProblem(name, raw, result.error, spec.hint));
  }
  const values = parsed as Parsed;
  if (problems.length === 0) problems.push(...crossChecks(values));
  if (problems.length > 0) throw new ConfigError(problems);
  return toConfig(values);
}

function describeProblem(name: string, raw: string | undefined, error: z.ZodError, hint: string): string {
  if (raw === undefined) return `${name} is missing: ${hint}`;
  const reason = error.issues[0]?.message ?? "invalid";
  return `${name} is invalid (${reason}): ${hint}`;
}

function crossChecks(values: Parsed): string[] {
  const problems: string[] = [];
  if (values.NODE_ENV === "production" && !hasPassword(values.REDIS_URL)) {
    problems.push("REDIS_URL has no password: in production Redis must require one (redis://:PASSWORD@host:6379/0; `make init` generates REDIS_PASSWORD)");
  }
  if (values.NODE_ENV === "production" && !values.PUBLIC_URL.startsWith("https://")) {
    problems.push("PUBLIC_URL must be https:// in production: session cookies are Secure and nginx terminates TLS");
  }
  if (values.METRICS_PORT !== 0 && values.METRICS_PORT === values.PORT) {
    problems.push("METRICS_PORT must differ from PORT: metrics and the process health check are never served on the public web port");
  }
  if (Boolean(values.JIRA_OAUTH_CLIENT_ID) !== Boolean(values.JIRA_OAUTH_CLIENT_SECRET)) {
    problems.push("JIRA_OAUTH_CLIENT_ID and JIRA_OAUTH_CLIENT_SECRET go together: set both to offer Atlassian sign-in for Jira, or neither");
  }
  if (values.NODE_ENV === "production") {
    for (const name of ["ATLASSIAN_AUTH_URL", "ATLASSIAN_API_URL", "ANTHROPIC_BASE_URL"] as const) {
      if (!values[name].startsWith("https://")) problems.push(`${name} must be https:// in production: tokens and client secrets travel to it`);
    }
  }
  if (values.B2_BUCKET) {
    for (const name of ["B2_S3_ENDPOINT", "B2_REGION", "B2_KEY_ID", "B2_APPLICATION_KEY"] as const) {
      if (!values[name]) problems.push(`${name} is missing: required when B2_BUCKET is set (${variables[name].hint})`);
    }
  }
  if (values.BACKUP_ENCRYPTION_KEY && values.BACKUP_ENCRYPTION_KEY.length !== 32) {
    problems.push("BACKUP_ENCRYPTION_KEY must be exactly 32 bytes of base64 (AES-256): openssl rand -base64 32");
  }
  if (values.AUTH_MODE === "oidc") {
    for (const name of ["OIDC_ISSUER", "OIDC_JWKS_URL"] as const) {
      if (!values[name]) problems.push(`${name} is missing: required when AUTH_MODE=oidc (${variables[name].hint})`);
    }
    if (!values.OIDC_AUDIENCE && !values.OIDC_AUTHORIZED_PARTIES?.length) {
      problems.push("OIDC_AUDIENCE or OIDC_AUTHORIZED_PARTIES must be set when AUTH_MODE=oidc, so tokens minted for another application are refused");
    }
    const weak = values.OIDC_ALGORITHMS.filter((alg) => !/^(RS|PS|ES)(256|384|512)$|^EdDSA$/.test(alg));
    if (weak.length > 0) problems.push(`OIDC_ALGORITHMS contains ${weak.join(", ")}: only asymmetric algorithms (RS256, PS256, ES256, EdDSA, …) are allowed`);
  }
  return problems;
}

function toConfig(values: Parsed): Config {
  return {
    env: values.NODE_ENV,
    host: values.HOST,
    port: values.PORT,
    publicUrl: values.PUBLIC_URL,
    trustProxy: values.TRUST_PROXY,
    logLevel: values.LOG_LEVEL,
    metricsHost: values.METRICS_HOST,
    metricsPort: values.METRICS_PORT,
    databaseUrl: values.DATABASE_URL,
    databaseOwnerUrl: values.DATABASE_OWNER_URL,
    databaseAdminUrl: values.DATABASE_ADMIN_URL,
    databasePoolMax: values.DATABASE_POOL_MAX,
    redisUrl: values.REDIS_URL,
    queuePrefix: values.QUEUE_PREFIX,
    scanLockMs: values.SCAN_LOCK_SECONDS * 1000,
    vaultKeys: values.TWINFLOW_VAULT_KEYS,
    sessionSecret: values.SESSION_SECRET,
    sessionIdleSeconds: values.SESSION_IDLE_MINUTES * 60,
    sessionMaxAgeSeconds: values.SESSION_MAX_HOURS * 3600,
    authMode: values.AUTH_MODE,
    oidc:
      values.AUTH_MODE === "oidc"
        ? {
            issuer: values.OIDC_ISSUER!,
            jwksUrl: values.OIDC_JWKS_URL!,
            audience: values.OIDC_AUDIENCE,
            authorizedParties: values.OIDC_AUTHORIZED_PARTIES,
            algorithms: values.OIDC_ALGORITHMS,
            tenantClaim: values.OIDC_TENANT_CLAIM,
            roleClaim: values.OIDC_ROLE_CLAIM,
            jwksCooldownMs: values.OIDC_JWKS_COOLDOWN_SECONDS * 1000,
          }
        : undefined,
    securityContact: values.SECURITY_CONTACT ?? `mailto:security@${new URL(values.PUBLIC_URL).hostname}`,
    securityPolicyUrl: values.SECURITY_POLICY_URL,
    // Jira connections made through Atlassian sign-in reach its gateway, wherever it is configured.
    connectorExtraHosts: [...values.CONNECTOR_EXTRA_HOSTS, new URL(values.ATLASSIAN_API_URL).host],
    atlassian: {
      authUrl: values.ATLASSIAN_AUTH_URL,
      apiUrl: values.ATLASSIAN_API_URL,
      oauthClient:
        values.JIRA_OAUTH_CLIENT_ID && values.JIRA_OAUTH_CLIENT_SECRET
          ? { clientId: values.JIRA_OAUTH_CLIENT_ID, clientSecret: values.JIRA_OAUTH_CLIENT_SECRET }
          : undefined,
    },
    ai: {
      apiKey: values.ANTHROPIC_API_KEY,
      baseUrl: values.ANTHROPIC_BASE_URL,
      model: values.AI_MODEL,
      maxOutputTokens: values.AI_MAX_OUTPUT_TOKENS,
      contextTokens: values.AI_CONTEXT_TOKENS,
      timeoutMs: values.AI_TIMEOUT_SECONDS * 1000,
      requestsPerMinute: values.AI_REQUESTS_PER_MINUTE,
      monthlyTokens: values.AI_MONTHLY_TOKENS,
    },
    demoPassword: values.DEMO_PASSWORD,
    backup: {
      dir: values.BACKUP_DIR,
      schedule: values.BACKUP_SCHEDULE,
      drillSchedule: values.BACKUP_DRILL_SCHEDULE,
      retentionDays: values.BACKUP_RETENTION_DAYS,
      minBytes: values.BACKUP_MIN_BYTES,
      minFraction: values.BACKUP_MIN_FRACTION,
      encryptionKey: values.BACKUP_ENCRYPTION_KEY,
      offsite: values.B2_BUCKET
        ? {
            bucket: values.B2_BUCKET,
            prefix: values.B2_PREFIX,
            endpoint: values.B2_S3_ENDPOINT!,
            region: values.B2_REGION!,
            keyId: values.B2_KEY_ID!,
            applicationKey: values.B2_APPLICATION_KEY!,
            apiUrl: values.B2_API_URL,
          }
        : undefined,
    },
  };
}

function hasPassword(url: string): boolean {
  return new URL(url).password !== "";
}

function decodeBase64(value: string): Buffer {
  return Buffer.from(value.replace(/-/g, "+").replace(/_/g, "/"), "base64");
}

/** The documented variable names, for `.env.example` checks. */
export const CONFIG_VARIABLES = Object.keys(variables);

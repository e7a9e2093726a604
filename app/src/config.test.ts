import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";
import { generateVaultKey } from "./platform/vault.js";

const valid = (): Record<string, string> => ({
  NODE_ENV: "production",
  PUBLIC_URL: "https://twinflow.example.com/",
  DATABASE_URL: "postgres://twinflow_app:pw@db:5432/twinflow",
  REDIS_URL: "redis://:secret@redis:6379/0",
  TWINFLOW_VAULT_KEYS: `k2:${generateVaultKey()},k1:${generateVaultKey()}`,
  SESSION_SECRET: randomBytes(32).toString("base64"),
});

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe("loadConfig", () => {
  it("accepts a complete production configuration and applies defaults", () => {
    const config = loadConfig(valid());
    expect(config.publicUrl).toBe("https://twinflow.example.com");
    expect(config.port).toBe(3000);
    expect(config.authMode).toBe("builtin");
    expect(config.sessionIdleSeconds).toBe(30 * 60);
    expect(config.sessionSecret).toHaveLength(32);
    expect(config.securityContact).toBe("mailto:security@twinflow.example.com");
  });

  it("names each missing variable and says how to generate secrets", () => {
    const problems = problemsOf({ NODE_ENV: "production" });
    for (const name of ["PUBLIC_URL", "DATABASE_URL", "REDIS_URL", "TWINFLOW_VAULT_KEYS", "SESSION_SECRET"]) {
      expect(problems.some((problem) => problem.startsWith(`${name} is missing`))).toBe(true);
    }
    expect(problems.find((problem) => problem.startsWith("SESSION_SECRET"))).toContain("openssl rand -base64 32");
  });

  it("refuses weak or malformed secrets without echoing them", () => {
    const weak = randomBytes(16).toString("base64");
    const problems = problemsOf({ ...valid(), SESSION_SECRET: weak, TWINFLOW_VAULT_KEYS: `k1:${weak}` });
    expect(problems.find((p) => p.startsWith("SESSION_SECRET"))).toContain("at least 32 bytes");
    expect(problems.find((p) => p.startsWith("TWINFLOW_VAULT_KEYS"))).toContain("32 bytes");
    expect(problems.join("\n")).not.toContain(weak);
  });

  it("requires a Redis password and https in production, not in development", () => {
    const problems = problemsOf({ ...valid(), REDIS_URL: "redis://redis:6379", PUBLIC_URL: "http://twinflow.example.com" });
    expect(problems.some((p) => p.startsWith("REDIS_URL has no password"))).toBe(true);
    expect(problems.some((p) => p.startsWith("PUBLIC_URL must be https://"))).toBe(true);
    expect(problemsOf({ ...valid(), NODE_ENV: "development", REDIS_URL: "redis://127.0.0.1:6379", PUBLIC_URL: "http://localhost:3000" })).toEqual([]);
  });

  it("offers Atlassian sign-in only with both halves of the OAuth app, at Atlassian's own https addresses unless told otherwise", () => {
    expect(loadConfig(valid()).atlassian).toEqual({ authUrl: "https://auth.atlassian.com", apiUrl: "https://api.atlassian.com", oauthClient: undefined });
    const secret = `secret-${randomBytes(8).toString("hex")}`;
    expect(loadConfig({ ...valid(), JIRA_OAUTH_CLIENT_ID: "app-1", JIRA_OAUTH_CLIENT_SECRET: secret }).atlassian.oauthClient).toEqual({ clientId: "app-1", clientSecret: secret });
    const problems = problemsOf({ ...valid(), JIRA_OAUTH_CLIENT_SECRET: secret, ATLASSIAN_AUTH_URL: "http://127.0.0.1:9999/" });
    expect(problems.some((p) => p.startsWith("JIRA_OAUTH_CLIENT_ID and JIRA_OAUTH_CLIENT_SECRET go together"))).toBe(true);
    expect(problems.some((p) => p.startsWith("ATLASSIAN_AUTH_URL must be https://"))).toBe(true);
    expect(problems.join("\n")).not.toContain(secret);
    expect(loadConfig({ ...valid(), NODE_ENV: "test", ATLASSIAN_API_URL: "http://127.0.0.1:9999/" }).atlassian.apiUrl).toBe("http://127.0.0.1:9999");
  });

  it("leaves the assistant unconfigured without a key, sends it only to https in production, and bounds its limits", () => {
    expect(loadConfig(valid()).ai).toEqual({
      apiKey: undefined,
      baseUrl: "https://api.anthropic.com",
      model: "claude-sonnet-5-5",
      maxOutputTokens: 1024,
      contextTokens: 6000,
      timeoutMs: 60_000,
      requestsPerMinute: 10,
      monthlyTokens: 2_000_000,
    });
    const key = `sk-ant-${randomBytes(8).toString("hex")}`;
    expect(loadConfig({ ...valid(), ANTHROPIC_API_KEY: key }).ai.apiKey).toBe(key);
    expect(problemsOf({ ...valid(), ANTHROPIC_API_KEY: key, ANTHROPIC_BASE_URL: "http://proxy.internal" })).toEqual([
      "ANTHROPIC_BASE_URL must be https:// in production: tokens and client secrets travel to it",
    ]);
    const problems = problemsOf({ ...valid(), ANTHROPIC_API_KEY: key, AI_TIMEOUT_SECONDS: "0", AI_CONTEXT_TOKENS: "lots" });
    expect(problems.some((p) => p.startsWith("AI_TIMEOUT_SECONDS is invalid"))).toBe(true);
    expect(problems.some((p) => p.startsWith("AI_CONTEXT_TOKENS is invalid"))).toBe(true);
    expect(problems.join("\n")).not.toContain(key);
  });

  it("requires issuer, JWKS and an audience or authorized party in OIDC mode, and only asymmetric algorithms", () => {
    const problems = problemsOf({ ...valid(), AUTH_MODE: "oidc", OIDC_ALGORITHMS: "RS256,HS256" });
    expect(problems.some((p) => p.startsWith("OIDC_ISSUER is missing"))).toBe(true);
    expect(problems.some((p) => p.startsWith("OIDC_JWKS_URL is missing"))).toBe(true);
    expect(problems.some((p) => p.startsWith("OIDC_AUDIENCE or OIDC_AUTHORIZED_PARTIES"))).toBe(true);
    expect(problems.some((p) => p.includes("HS256"))).toBe(true);
    const config = loadConfig({
      ...valid(),
      AUTH_MODE: "oidc",
      OIDC_ISSUER: "https://clerk.example.com",
      OIDC_JWKS_URL: "https://clerk.example.com/.well-known/jwks.json",
      OIDC_AUTHORIZED_PARTIES: "https://twinflow.example.com, https://admin.example.com",
    });
    expect(config.oidc?.authorizedParties).toEqual(["https://twinflow.example.com", "https://admin.example.com"]);
  });

  it("serves metrics on loopback port 9464 by default, on its own port only", () => {
    expect(loadConfig(valid())).toMatchObject({ metricsHost: "127.0.0.1", metricsPort: 9464 });
    expect(loadConfig({ ...valid(), METRICS_HOST: "0.0.0.0", METRICS_PORT: "0" })).toMatchObject({ metricsHost: "0.0.0.0", metricsPort: 0 });
    expect(problemsOf({ ...valid(), PORT: "9464" }).some((p) => p.startsWith("METRICS_PORT must differ from PORT"))).toBe(true);
    expect(problemsOf({ ...valid(), METRICS_PORT: "70000" }).some((p) => p.startsWith("METRICS_PORT is invalid"))).toBe(true);
  });

  it("reports a bad value with the variable name and what a good one looks like", () => {
    expect(problemsOf({ ...valid(), PORT: "eighty" })[0]).toMatch(/^PORT is invalid .*a TCP port/);
    expect(problemsOf({ ...valid(), DATABASE_URL: "mysql://x@y/z" })[0]).toMatch(/^DATABASE_URL is invalid \(must start with postgres:\/\/\)/);
  });
});

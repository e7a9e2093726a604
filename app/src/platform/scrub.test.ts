import { describe, expect, it } from "vitest";
import { SENSITIVE_QUERY_PARAMS, scrubText, scrubUrl } from "./scrub.js";

describe("scrubUrl", () => {
  it("replaces sensitive values and keeps the rest of the URL as written", () => {
    expect(scrubUrl("https://app.example/oauth/callback?code=canary-code-1&state=canary-state-2&page=2")).toBe(
      "https://app.example/oauth/callback?code=[REDACTED]&state=[REDACTED]&page=2",
    );
  });

  it.each(SENSITIVE_QUERY_PARAMS)("scrubs %s in any letter case", (name) => {
    for (const spelling of [name, name.toUpperCase(), name.toLowerCase()]) {
      const scrubbed = scrubUrl(`/path?page=2&${spelling}=canary-value-9d4e&sort=asc`);
      expect(scrubbed).toBe(`/path?page=2&${spelling}=[REDACTED]&sort=asc`);
    }
  });

  it("leaves parameters that merely resemble sensitive names alone", () => {
    const url = "/items?monkey=1&keyboard=2&code_challenge=abc&statement=3&page=2";
    expect(scrubUrl(url)).toBe(url);
  });

  it("scrubs parameters in fragments and form bodies", () => {
    expect(scrubUrl("https://app.example/cb#access_token=canary-at&token_type=bearer")).toBe(
      "https://app.example/cb#access_token=[REDACTED]&token_type=bearer",
    );
    expect(scrubUrl("client_secret=canary-cs&grant_type=authorization_code&code=canary-code")).toBe(
      "client_secret=[REDACTED]&grant_type=authorization_code&code=[REDACTED]",
    );
  });

  it("treats an encoded ampersand inside a value as part of that value", () => {
    expect(scrubUrl("/login?password=canary%26rest&page=2")).toBe("/login?password=[REDACTED]&page=2");
  });

  it("scrubs a percent-encoded URL carried as another parameter's value", () => {
    expect(scrubUrl("/login?returnTo=%2Finvite%3Ftoken%3Dcanary-invite%26page%3D2")).toBe(
      "/login?returnTo=%2Finvite%3Ftoken%3D[REDACTED]%26page%3D2",
    );
  });

  it("scrubs an invitation token carried in the path", () => {
    expect(scrubUrl("/invite/4f1c2a9e-1d2b-4c3d-8e9f-0a1b2c3d4e5f.s3cr3tTokenValue?next=%2Foverview")).toBe("/invite/[REDACTED]?next=%2Foverview");
    expect(scrubText("join at https://twinflow.example.com/invite/abc.def-secret now")).toBe("join at https://twinflow.example.com/invite/[REDACTED] now");
    expect(scrubUrl("/members/invite")).toBe("/members/invite");
  });

  it("scrubs the password of a URL with credentials", () => {
    expect(scrubUrl("postgres://app:canary-pw@db.internal:5432/twinflow")).toBe(
      "postgres://app:[REDACTED]@db.internal:5432/twinflow",
    );
    expect(scrubUrl("redis://:canary-pw@cache:6379/0")).toBe("redis://:[REDACTED]@cache:6379/0");
    expect(scrubUrl("https://host:8443/path?email=a@b.example")).toBe("https://host:8443/path?email=a@b.example");
  });
});

describe("scrubText", () => {
  it("scrubs every URL inside free text", () => {
    const text =
      'redirect to https://idp.example/authorize?state=canary-s&scope=read then "/cb?code=canary-c&page=2" failed';
    const scrubbed = scrubText(text);
    expect(scrubbed).not.toContain("canary");
    expect(scrubbed).toBe(
      'redirect to https://idp.example/authorize?state=[REDACTED]&scope=read then "/cb?code=[REDACTED]&page=2" failed',
    );
  });

  it("scrubs bearer tokens whatever the letter case", () => {
    expect(scrubText("upstream rejected Authorization: Bearer canary.tok-en_7f3a~+/== (401)")).toBe(
      "upstream rejected Authorization: Bearer [REDACTED] (401)",
    );
    expect(scrubText("bearer canary-lower")).toBe("Bearer [REDACTED]");
  });

  it("scrubs Anthropic API keys", () => {
    expect(scrubText("Claude refused key sk-ant-api03-canary_7f3a-XYZ with 401")).toBe("Claude refused key [REDACTED] with 401");
  });

  it("scrubs bare JWTs", () => {
    const payload = Buffer.from('{"sub":"canary-user","exp":1}').toString("base64url");
    const jwt = `eyJhbGciOiJIUzI1NiJ9.${payload}.c2lnbmF0dXJlLWNhbmFyeQ`;
    expect(scrubText(`decoded id token ${jwt} for tenant t-1`)).toBe("decoded id token [REDACTED_JWT] for tenant t-1");
  });
});

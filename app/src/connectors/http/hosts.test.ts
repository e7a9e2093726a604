import { describe, expect, it } from "vitest";
import { hostAllowed } from "./hosts.js";

const JIRA = ["*.atlassian.net", "api.atlassian.com"];
const allowed = (address: string, extra: string[] = []) => hostAllowed(new URL(address), JIRA, extra);

describe("where a connection may send requests", () => {
  it("reaches the tool's public API hosts over https, subdomains only where the manifest says so", () => {
    expect(allowed("https://acme.atlassian.net")).toBe(true);
    expect(allowed("https://api.atlassian.com/ex/jira/abc")).toBe(true);
    expect(allowed("https://atlassian.net")).toBe(false);
    expect(allowed("https://evilatlassian.net")).toBe(false);
    expect(allowed("https://acme.atlassian.net.evil.example")).toBe(false);
    expect(allowed("http://acme.atlassian.net")).toBe(false);
    expect(allowed("https://acme.atlassian.net:8443")).toBe(false);
  });

  it("refuses the server's own network unless the operator allows a host, with or without its port", () => {
    for (const address of ["http://127.0.0.1:6379", "http://10.0.0.5", "http://redis:6379", "http://169.254.169.254/latest/meta-data"]) expect(allowed(address), address).toBe(false);
    expect(allowed("https://jira.corp.example", ["jira.corp.example"])).toBe(true);
    expect(allowed("http://127.0.0.1:4010", ["127.0.0.1:4010"])).toBe(true);
    expect(allowed("http://127.0.0.1:4011", ["127.0.0.1:4010"])).toBe(false);
    expect(allowed("http://LOCALHOST:9", ["localhost"])).toBe(true);
  });
});

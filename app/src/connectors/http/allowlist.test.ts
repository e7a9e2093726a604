import { describe, expect, it } from "vitest";
import { checkAllowed, RequestNotAllowed, type AllowedRequest } from "./allowlist.js";

const allowlist: AllowedRequest[] = [
  { method: "GET", path: /^\/repos\/[^/]+\/[^/]+\/issues$/, purpose: "list issues" },
  { method: "POST", path: /^\/rest\/api\/3\/issue$/, purpose: "create ticket", write: true },
];

describe("checkAllowed", () => {
  it("allows exactly the listed method and path", () => {
    expect(checkAllowed(allowlist, "GET", "/repos/octo/app/issues").purpose).toBe("list issues");
    expect(() => checkAllowed(allowlist, "DELETE", "/repos/octo/app/issues")).toThrow(RequestNotAllowed);
    expect(() => checkAllowed(allowlist, "GET", "/repos/octo/app/contents")).toThrow(RequestNotAllowed);
  });

  it("refuses a write unless the caller is the user-triggered write path", () => {
    expect(() => checkAllowed(allowlist, "POST", "/rest/api/3/issue")).toThrow(RequestNotAllowed);
    expect(checkAllowed(allowlist, "POST", "/rest/api/3/issue", true).write).toBe(true);
  });

  it("refuses paths the URL parser would rewrite into another path", () => {
    for (const sneaky of [
      "/repos/../user/issues",
      "/repos/octo/../../admin/issues",
      "/repos/octo/%2e%2e/issues",
      "/repos/octo%2Fapp/x/issues",
      "/repos//octo/issues",
      "/repos/./octo/issues",
      "repos/octo/app/issues",
    ]) {
      expect(() => checkAllowed(allowlist, "GET", sneaky), sneaky).toThrow(RequestNotAllowed);
    }
  });
});

import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/net.js";

const SCRIPT = fileURLToPath(new URL("../../app/src/healthcheck.ts", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/silent") return; // never answers
    res.statusCode = req.url === "/healthz" ? 200 : req.url === "/moved" ? 302 : 503;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Runs the script as the image's HEALTHCHECK does, from source through tsx. */
function probe(url: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", SCRIPT, url], { cwd: REPO_ROOT }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code) : 0, output: stdout + stderr });
    });
  });
}

describe("app/src/healthcheck.ts", () => {
  it("exits 0, silently, when the URL answers 200", async () => {
    expect(await probe(`${base}/healthz`)).toEqual({ code: 0, output: "" });
  });

  it("exits 1 with one line naming the status when the URL answers 503, or redirects", async () => {
    expect(await probe(`${base}/readyz`)).toEqual({ code: 1, output: `healthcheck: ${base}/readyz answered 503\n` });
    expect((await probe(`${base}/moved`)).code).toBe(1);
  });

  it("exits 1 when the connection is refused", async () => {
    const url = `http://127.0.0.1:${await freePort()}/healthz`;
    expect(await probe(url)).toEqual({ code: 1, output: `healthcheck: ${url} is unreachable (ECONNREFUSED)\n` });
  });

  it("exits 1 when nothing answers within 3 s", async () => {
    const started = Date.now();
    expect(await probe(`${base}/silent`)).toEqual({ code: 1, output: `healthcheck: ${base}/silent did not answer within 3 s\n` });
    expect(Date.now() - started).toBeLessThan(8_000);
  });
});

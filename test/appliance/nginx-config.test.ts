import { execFileSync } from "node:child_process";
import { X509Certificate, createPrivateKey, createPublicKey, randomUUID } from "node:crypto";
import { copyFile, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server } from "node:http";
import { request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SECURITY_HEADERS, contentSecurityPolicy } from "../../app/src/web/middleware/security-headers.js";
import { freePort } from "../support/net.js";
import {
  NGINX_DIR,
  checkNginxConfig,
  nginxDirectory,
  nginxEnv,
  renderedConfigFile,
  runNginxScript,
  startNginx,
  type CommandResult,
  type RunningNginx,
} from "../support/nginx.js";

const SECURITY_HEADERS_FILE = path.join(NGINX_DIR, "security-headers.conf");
const HSTS = "max-age=63072000; includeSubDomains";
/** What the app sends when Atlassian sign-in is configured: nginx must pass it through untouched. */
const APP_CSP = contentSecurityPolicy(["https://auth.atlassian.com"]);
const NGINX_DEFAULT_CSP = contentSecurityPolicy([]);
const IMMUTABLE = "public, max-age=31536000, immutable";
const TWO_MEGABYTES = Buffer.alloc(2 * 1024 * 1024, "x");

// ---------------------------------------------------------------------------------------
// A stand-in for the web process: it answers as the app does (its own security headers,
// HSTS and CSP included) and reports what reached it.

interface Upstream {
  port: number;
  /** Requests seen per path. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

/** How long the stand-in's streamed answer pauses between its two events. */
const STREAM_PAUSE_MS = 1_500;

async function startUpstream(): Promise<Upstream> {
  const hits = new Map<string, number>();
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://upstream");
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    let bytes = 0;
    for await (const chunk of req) bytes += (chunk as Buffer).length;
    res.setHeader("X-Powered-By", "stand-in");
    res.setHeader("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    if (url.pathname !== "/no-csp") res.setHeader("Content-Security-Policy", APP_CSP);
    if (url.pathname.startsWith("/static/") && !url.pathname.includes("gone")) {
      res.setHeader("Content-Type", "text/css; charset=utf-8");
      res.setHeader("Cache-Control", "public, max-age=3600");
      res.end("body { color: black }");
      return;
    }
    if (/^\/connections\/[0-9a-f-]{36}\/assistant$/.test(url.pathname)) {
      // An answer streamed as it is written, without asking nginx not to buffer it.
      res.setHeader("Content-Type", "text/event-stream");
      res.write('event: text\ndata: {"text":"first"}\n\n');
      setTimeout(() => res.end('event: done\ndata: {"url":"/"}\n\n'), STREAM_PAUSE_MS);
      return;
    }
    res.statusCode = url.pathname === "/missing" || url.pathname.includes("gone") ? 404 : 200;
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ headers: req.headers, bytes }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, hits, close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

// ---------------------------------------------------------------------------------------
// Requests to nginx, with every header line kept (a duplicate must stay visible).

interface Answer {
  status: number;
  /** Lower-cased name → every value sent under it, in order. */
  headers: Map<string, string[]>;
  body: string;
}

interface Call {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
}

function httpsCall(nginx: RunningNginx, call: Call): Promise<Answer> {
  return send(nginx, call, (ca) =>
    httpsRequest({ host: "127.0.0.1", port: nginx.httpsPort, servername: "localhost", ca, agent: false, method: call.method ?? "GET", path: call.path, headers: { host: "localhost", ...call.headers } }),
  );
}

function httpCall(nginx: RunningNginx, call: Call): Promise<Answer> {
  return send(nginx, call, () => httpRequest({ host: "127.0.0.1", port: nginx.httpPort, agent: false, method: call.method ?? "GET", path: call.path, headers: { host: "localhost", ...call.headers } }));
}

async function send(nginx: RunningNginx, call: Call, open: (ca: Buffer) => ReturnType<typeof httpRequest>): Promise<Answer> {
  const ca = await readFile(nginx.certFile);
  return new Promise((resolve, reject) => {
    const req = open(ca);
    let answered = false;
    req.on("response", (res: IncomingMessage) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: headerLines(res.rawHeaders), body: Buffer.concat(chunks).toString() }));
    });
    // nginx may answer (413) before the whole body is sent; the answer is what counts.
    req.on("error", (error) => {
      if (!answered) reject(error);
    });
    req.end(call.body);
  });
}

function headerLines(raw: string[]): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), raw[i + 1]!]);
  }
  return headers;
}

/** Every security header exactly once, with the app's values; HSTS only over https. */
function expectSecurityHeaders(answer: Answer, expected: { https: boolean; csp?: string }): void {
  const sent = (name: string) => answer.headers.get(name.toLowerCase());
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect({ name, sent: sent(name) }).toEqual({ name, sent: [value] });
  expect(sent("Strict-Transport-Security")).toEqual(expected.https ? [HSTS] : undefined);
  expect(sent("Content-Security-Policy")).toEqual([expected.csp ?? NGINX_DEFAULT_CSP]);
  expect(sent("X-Powered-By")).toBeUndefined();
}

function upstreamHeaders(answer: Answer): IncomingHttpHeaders {
  return (JSON.parse(answer.body) as { headers: IncomingHttpHeaders }).headers;
}

function oneLine(result: CommandResult): string {
  const lines = result.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// ---------------------------------------------------------------------------------------
// nginx's config syntax, enough to check structure: directives, blocks, quotes, comments.

interface Directive {
  name: string;
  args: string[];
  block?: Directive[];
}

function parseNginxConfig(text: string): Directive[] {
  const tokens = tokenize(text);
  let position = 0;
  const parseBlock = (nested: boolean): Directive[] => {
    const directives: Directive[] = [];
    let words: string[] = [];
    while (position < tokens.length) {
      const token = tokens[position++]!;
      if (token.word) words.push(token.text);
      else if (token.text === "}") {
        if (!nested || words.length > 0) throw new Error("unexpected }");
        return directives;
      } else {
        const [name, ...args] = words;
        if (name === undefined) throw new Error(`${token.text} without a directive`);
        directives.push(token.text === "{" ? { name, args, block: parseBlock(true) } : { name, args });
        words = [];
      }
    }
    if (nested || words.length > 0) throw new Error("unexpected end of file");
    return directives;
  };
  return parseBlock(false);
}

function tokenize(text: string): { word: boolean; text: string }[] {
  const tokens: { word: boolean; text: string }[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (/\s/.test(char)) i++;
    else if (char === "#") while (i < text.length && text[i] !== "\n") i++;
    else if ("{};".includes(char)) tokens.push({ word: false, text: text[i++]! });
    else if (char === '"' || char === "'") {
      let value = "";
      for (i++; text[i] !== char; i++) {
        if (i >= text.length) throw new Error("unterminated string");
        // nginx unescapes only the quote and the backslash; "\." in a regex stays as written.
        if (text[i] === "\\" && (text[i + 1] === char || text[i + 1] === "\\")) i++;
        value += text[i];
      }
      i++;
      tokens.push({ word: true, text: value });
    } else {
      const start = i;
      while (i < text.length && !/[\s{};]/.test(text[i]!)) i++;
      tokens.push({ word: true, text: text.slice(start, i) });
    }
  }
  return tokens;
}

function blocksNamed(directives: Directive[], name: string): Directive[] {
  return directives.flatMap((directive) => [...(directive.name === name && directive.block ? [directive] : []), ...blocksNamed(directive.block ?? [], name)]);
}

const includesSecurityHeaders = (block: Directive[]) => block.some((d) => d.name === "include" && d.args[0] === SECURITY_HEADERS_FILE);

// ---------------------------------------------------------------------------------------

/** Renders the shipped template with the shipped scripts, for ports nothing listens on. */
async function renderConfig(): Promise<{ env: Record<string, string>; configFile: string; directory: string }> {
  const directory = await nginxDirectory();
  const env = nginxEnv(directory, { upstream: "127.0.0.1:9", httpPort: 8080, httpsPort: 8443 });
  expect((await runNginxScript("prepare-tls.sh", env)).code).toBe(0);
  expect(await runNginxScript("render-config.sh", env)).toMatchObject({ code: 0, stderr: "" });
  return { env, configFile: renderedConfigFile(env), directory };
}

describe("the rendered configuration", () => {
  let rendered: Awaited<ReturnType<typeof renderConfig>>;
  let config: Directive[];

  beforeAll(async () => {
    rendered = await renderConfig();
    config = parseNginxConfig(await readFile(rendered.configFile, "utf8"));
  });

  afterAll(async () => {
    await rm(rendered.directory, { recursive: true, force: true });
  });

  it("passes nginx -t, with every placeholder filled in and nginx's own variables intact", async () => {
    const check = await checkNginxConfig(rendered.configFile);
    expect(check.stderr).toContain("test is successful");
    expect(check.code).toBe(0);
    const text = await readFile(rendered.configFile, "utf8");
    expect(text).not.toContain("${");
    expect(text).toContain("return 308 https://$host:8443$request_uri;");
  });

  it("includes security-headers.conf in every server and in every location with its own add_header or proxy_hide_header", () => {
    const servers = blocksNamed(config, "server");
    expect(servers).toHaveLength(2);
    for (const server of servers) expect(includesSecurityHeaders(server.block!)).toBe(true);
    const locations = blocksNamed(config, "location");
    const ownHeaders = locations.filter((location) => location.block!.some((d) => d.name === "add_header" || d.name === "proxy_hide_header"));
    expect(ownHeaders.length).toBeGreaterThan(0);
    for (const location of ownHeaders) expect({ location: location.args, includes: includesSecurityHeaders(location.block!) }).toEqual({ location: location.args, includes: true });
  });

  it("sends the app's header values, hides the app's copies except its CSP, and defaults the CSP to the app's own", async () => {
    const file = parseNginxConfig(await readFile(SECURITY_HEADERS_FILE, "utf8"));
    const added = new Map(file.filter((d) => d.name === "add_header").map((d) => [d.args[0], d.args.slice(1)]));
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect({ name, added: added.get(name) }).toEqual({ name, added: [value, "always"] });
    expect(added.get("Strict-Transport-Security")).toEqual(["$twinflow_hsts", "always"]);
    expect(added.get("Content-Security-Policy")).toEqual(["$twinflow_csp", "always"]);
    expect(added.size).toBe(Object.keys(SECURITY_HEADERS).length + 2);

    const hidden = file.filter((d) => d.name === "proxy_hide_header").map((d) => d.args[0]);
    expect(new Set(hidden)).toEqual(new Set([...Object.keys(SECURITY_HEADERS), "Strict-Transport-Security", "X-Powered-By"]));

    const map = (variable: string) => blocksNamed(config, "map").find((d) => d.args[1] === variable)!.block!;
    expect(map("$twinflow_csp")).toEqual([
      { name: "", args: [NGINX_DEFAULT_CSP] },
      { name: "default", args: [""] },
    ]);
    expect(map("$twinflow_hsts")).toEqual([
      { name: "on", args: [HSTS] },
      { name: "default", args: [""] },
    ]);
  });
});

describe("render-config.sh", () => {
  const REQUIRED = ["TWINFLOW_UPSTREAM", "NGINX_HTTP_PORT", "NGINX_HTTPS_PORT", "NGINX_TLS_DIR", "NGINX_CONF_DIR", "NGINX_RUNTIME_DIR", "NGINX_ACME_WEBROOT"];
  let directory: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    directory = await nginxDirectory();
    env = nginxEnv(directory, { upstream: "web:3000", httpPort: 80, httpsPort: 443 });
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it.each(REQUIRED)("refuses to render without %s, in one line naming it", async (name) => {
    const result = await runNginxScript("render-config.sh", Object.fromEntries(Object.entries(env).filter(([key]) => key !== name)));
    expect(result.code).toBe(1);
    expect(oneLine(result)).toMatch(new RegExp(`^nginx: ${name} is not set: set it to .+, e\\.g\\. \\S+$`));
    await expect(stat(renderedConfigFile(env))).rejects.toThrow();
  });

  it.each([
    ["TWINFLOW_UPSTREAM", "web"],
    ["TWINFLOW_UPSTREAM", "web:http"],
    ["TWINFLOW_UPSTREAM", "web;evil:3000"],
    ["NGINX_HTTP_PORT", "eighty"],
    ["NGINX_HTTPS_PORT", "70000"],
    ["NGINX_HTTPS_PORT", ""],
    ["NGINX_HTTPS_REDIRECT_PORT_SUFFIX", "8443"],
    ["NGINX_TLS_DIR", "relative/tls"],
    ["NGINX_RUNTIME_DIR", "/run/twin flow"],
    ["NGINX_CONF_DIR", "/nonexistent"],
  ])("refuses %s=%j in one line naming it", async (name, value) => {
    const result = await runNginxScript("render-config.sh", { ...env, [name]: value });
    expect(result.code).toBe(1);
    expect(oneLine(result)).toMatch(new RegExp(`^nginx: ${name} is ".*"(, which has no security-headers\\.conf)?: set it to .+, e\\.g\\. \\S+$`));
    await expect(stat(renderedConfigFile(env))).rejects.toThrow();
  });
});

describe("prepare-tls.sh", () => {
  const directories: string[] = [];

  async function tlsEnv(serverName?: string): Promise<Record<string, string>> {
    const directory = await nginxDirectory();
    directories.push(directory);
    return nginxEnv(directory, { upstream: "web:3000", httpPort: 80, httpsPort: 443, ...(serverName ? { serverName } : {}) });
  }
  const certOf = (env: Record<string, string>) => path.join(env.NGINX_TLS_DIR!, "fullchain.pem");
  const keyOf = (env: Record<string, string>) => path.join(env.NGINX_TLS_DIR!, "privkey.pem");

  afterAll(async () => {
    for (const directory of directories) await rm(directory, { recursive: true, force: true });
  });

  it("generates a self-signed EC certificate for the server name when there is none, key 0600, and leaves it alone afterwards", async () => {
    const env = await tlsEnv("twinflow.test");
    const first = await runNginxScript("prepare-tls.sh", env);
    expect(first.code).toBe(0);
    expect(oneLine(first)).toMatch(/self-signed .*twinflow\.test.*docs\/operations\.md/);

    const keyPem = await readFile(keyOf(env));
    const certificate = new X509Certificate(await readFile(certOf(env)));
    expect((await stat(keyOf(env))).mode & 0o777).toBe(0o600);
    expect(certificate.subject).toBe("CN=twinflow.test");
    expect(certificate.subjectAltName).toBe("DNS:twinflow.test");
    expect(certificate.ca).toBe(false);
    expect(certificate.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(certificate.publicKey.export({ type: "spki", format: "pem" })).toBe(createPublicKey(createPrivateKey(keyPem)).export({ type: "spki", format: "pem" }));
    const days = (Date.parse(certificate.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThanOrEqual(30);

    expect(await runNginxScript("prepare-tls.sh", env)).toMatchObject({ code: 0, stderr: "" });
    expect(await readFile(keyOf(env))).toEqual(keyPem);
  });

  it("refuses a key that does not belong to the certificate, in one line naming both files", async () => {
    const env = await tlsEnv();
    const other = await tlsEnv();
    for (const each of [env, other]) expect((await runNginxScript("prepare-tls.sh", each)).code).toBe(0);
    await copyFile(keyOf(other), keyOf(env));
    const result = await runNginxScript("prepare-tls.sh", env);
    expect(result.code).not.toBe(0);
    const line = oneLine(result);
    expect(line).toContain("does not match");
    expect(line).toContain(certOf(env));
    expect(line).toContain(keyOf(env));
  });

  it.each(["fullchain.pem", "privkey.pem"])("refuses when only %s is there, in one line naming both files", async (present) => {
    const env = await tlsEnv();
    await mkdir(env.NGINX_TLS_DIR!);
    await writeFile(path.join(env.NGINX_TLS_DIR!, present), "placeholder\n");
    const result = await runNginxScript("prepare-tls.sh", env);
    expect(result.code).toBe(1);
    const line = oneLine(result);
    expect(line).toContain(certOf(env));
    expect(line).toContain(keyOf(env));
  });

  it("generates its own self-signed pair again when a week or less is left, and never touches a certificate it did not make", async () => {
    const fingerprintOf = async (env: Record<string, string>) => new X509Certificate(await readFile(certOf(env))).fingerprint256;
    const ours = await tlsEnv("twinflow.test");
    expect((await runNginxScript("prepare-tls.sh", ours)).code).toBe(0);
    // Three days left on the pair it made (its fingerprint noted as ours), as a month later.
    await writeShortPair(ours.NGINX_TLS_DIR!, 3);
    const noted = execFileSync("openssl", ["x509", "-in", certOf(ours), "-noout", "-fingerprint", "-sha256"]).toString();
    await writeFile(path.join(ours.NGINX_TLS_DIR!, "self-signed.sha256"), noted);
    const before = await fingerprintOf(ours);
    const renewed = await runNginxScript("prepare-tls.sh", ours);
    expect(renewed.code).toBe(0);
    expect(oneLine(renewed)).toMatch(/had a week or less left, so generated a self-signed one for twinflow\.test/);
    expect(await fingerprintOf(ours)).not.toBe(before);
    expect((Date.parse(new X509Certificate(await readFile(certOf(ours))).validTo) - Date.now()) / 86_400_000).toBeGreaterThan(29);

    // The operator's own certificate with three days left is theirs to renew.
    const theirs = await tlsEnv("twinflow.test");
    await mkdir(theirs.NGINX_TLS_DIR!);
    await writeShortPair(theirs.NGINX_TLS_DIR!, 3);
    const own = await fingerprintOf(theirs);
    expect(await runNginxScript("prepare-tls.sh", theirs)).toMatchObject({ code: 0, stderr: "" });
    expect(await fingerprintOf(theirs)).toBe(own);
  });

  it("refuses an expired certificate, in one line naming it", async () => {
    const env = await tlsEnv();
    await writeExpiredPair(env.NGINX_TLS_DIR!);
    const result = await runNginxScript("prepare-tls.sh", env);
    expect(result.code).toBe(1);
    expect(oneLine(result)).toMatch(new RegExp(`^nginx: ${certOf(env)} expired on .*2020 GMT: renew it`));
  });

  it("refuses a certificate file it cannot read as one", async () => {
    const env = await tlsEnv();
    expect((await runNginxScript("prepare-tls.sh", env)).code).toBe(0);
    await writeFile(certOf(env), "not a certificate\n");
    const result = await runNginxScript("prepare-tls.sh", env);
    expect(result.code).toBe(1);
    expect(oneLine(result)).toContain(`${certOf(env)} is not a readable PEM certificate`);
  });
});

/** A key and a certificate for it that expired in 2020 (`openssl req` cannot backdate; `openssl ca` can). */
/** A self-signed pair valid for `days` more days, over whatever is in `tlsDir`. */
async function writeShortPair(tlsDir: string, days: number): Promise<void> {
  const [key, cert] = [path.join(tlsDir, "privkey.pem"), path.join(tlsDir, "fullchain.pem")];
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", String(days), "-subj", "/CN=twinflow.test", "-keyout", key, "-out", cert], { stdio: "ignore" });
}

async function writeExpiredPair(tlsDir: string): Promise<void> {
  await mkdir(tlsDir);
  const work = path.join(path.dirname(tlsDir), "expired-ca");
  await mkdir(work);
  const key = path.join(tlsDir, "privkey.pem");
  const request = path.join(work, "request.csr");
  const config = path.join(work, "ca.cnf");
  await writeFile(path.join(work, "index.txt"), "");
  await writeFile(path.join(work, "serial"), "01\n");
  await writeFile(config, `[ca]\ndefault_ca = expired\n[expired]\ndatabase = ${work}/index.txt\nnew_certs_dir = ${work}\nserial = ${work}/serial\ndefault_md = sha256\npolicy = any\n[any]\ncommonName = supplied\n`);
  execFileSync("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost", "-keyout", key, "-out", request], { stdio: "ignore" });
  execFileSync("openssl", ["ca", "-batch", "-config", config, "-selfsign", "-keyfile", key, "-in", request, "-startdate", "20200101000000Z", "-enddate", "20200201000000Z", "-out", path.join(tlsDir, "fullchain.pem")], { stdio: "ignore" });
}

// ---------------------------------------------------------------------------------------

describe("nginx in front of the app", () => {
  let upstream: Upstream;
  let nginx: RunningNginx;

  beforeAll(async () => {
    upstream = await startUpstream();
    nginx = await startNginx({ upstream: `127.0.0.1:${upstream.port}`, httpPort: await freePort(), httpsPort: await freePort() });
  });

  afterAll(async () => {
    await nginx?.stop();
    await upstream?.close();
  });

  it("passes the app's answers through with each security header once and the app's CSP unchanged", async () => {
    const page = await httpsCall(nginx, { path: "/overview" });
    expect(page.status).toBe(200);
    expectSecurityHeaders(page, { https: true, csp: APP_CSP });

    const missing = await httpsCall(nginx, { path: "/missing" });
    expect(missing.status).toBe(404);
    expectSecurityHeaders(missing, { https: true, csp: APP_CSP });
  });

  it("adds its default CSP when the app sent none", async () => {
    const answer = await httpsCall(nginx, { path: "/no-csp" });
    expect(answer.status).toBe(200);
    expectSecurityHeaders(answer, { https: true, csp: NGINX_DEFAULT_CSP });
  });

  it("tells the app the real peer address, host and scheme, whatever the client claims", async () => {
    const answer = await httpsCall(nginx, {
      path: "/echo",
      headers: { "x-forwarded-for": "203.0.113.7", "x-forwarded-host": "evil.example", "x-forwarded-proto": "http" },
    });
    expect(upstreamHeaders(answer)).toMatchObject({ "x-forwarded-for": "127.0.0.1", "x-forwarded-host": "localhost", "x-forwarded-proto": "https", host: "localhost" });
  });

  it("passes a well-formed X-Request-Id through and generates one otherwise", async () => {
    const sent = await httpsCall(nginx, { path: "/echo", headers: { "x-request-id": "client-request-0001" } });
    expect(upstreamHeaders(sent)["x-request-id"]).toBe("client-request-0001");
    const generated = await httpsCall(nginx, { path: "/echo" });
    expect(upstreamHeaders(generated)["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);
    const malformed = await httpsCall(nginx, { path: "/echo", headers: { "x-request-id": "not a valid id" } });
    expect(upstreamHeaders(malformed)["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);
  });

  it("refuses a 2 MB sign-in form with 413 but streams a 2 MB import to the app", async () => {
    const signIn = await httpsCall(nginx, { method: "POST", path: "/sign-in", body: TWO_MEGABYTES });
    expect(signIn.status).toBe(413);
    expectSecurityHeaders(signIn, { https: true });

    const upload = await httpsCall(nginx, { method: "POST", path: "/connections/import", body: TWO_MEGABYTES });
    expect(upload.status).toBe(200);
    expect(JSON.parse(upload.body)).toMatchObject({ bytes: TWO_MEGABYTES.length });
  });

  it("passes the assistant's streamed answer on as it is written, and waits for a whole answer as long as the app may take", async () => {
    const ca = await readFile(nginx.certFile);
    const arrivals: { at: number; text: string }[] = [];
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      const req = httpsRequest(
        { host: "127.0.0.1", port: nginx.httpsPort, servername: "localhost", ca, agent: false, method: "POST", path: `/connections/${randomUUID()}/assistant`, headers: { host: "localhost", accept: "text/event-stream" } },
        (res) => {
          res.on("data", (chunk: Buffer) => arrivals.push({ at: Date.now() - started, text: chunk.toString() }));
          res.on("end", resolve);
        },
      );
      req.on("error", reject);
      req.end("question=Why");
    });
    expect(arrivals.map((arrival) => arrival.text).join("")).toContain("event: done");
    // The first event was in the client's hands long before the second was written.
    const first = arrivals.find((arrival) => arrival.text.includes('"first"'))!;
    expect(arrivals.at(-1)!.at - first.at).toBeGreaterThan(STREAM_PAUSE_MS / 2);

    const config = await readFile(path.join(NGINX_DIR, "nginx.conf.template"), "utf8");
    const assistant = /location ~ "\^\/connections\/[^"]*assistant[^"]*" \{([^}]*)\}/.exec(config)![1]!;
    // AI_TIMEOUT_SECONDS is at most 600 (app/src/config.ts).
    expect(Number(/proxy_read_timeout (\d+)s;/.exec(assistant)![1])).toBeGreaterThan(600);
  });

  it("marks fingerprinted static files immutable and caches them, and keeps the app's Cache-Control for other names", async () => {
    const fingerprinted = "/static/app.0123456789ab.css";
    for (let i = 0; i < 2; i++) {
      const answer = await httpsCall(nginx, { path: fingerprinted });
      expect(answer.status).toBe(200);
      expect(answer.headers.get("cache-control")).toEqual([IMMUTABLE]);
      expectSecurityHeaders(answer, { https: true, csp: APP_CSP });
    }
    expect(upstream.hits.get(fingerprinted)).toBe(1);

    const plain = await httpsCall(nginx, { path: "/static/app.css" });
    expect(plain.status).toBe(200);
    expect(plain.headers.get("cache-control")).toEqual(["public, max-age=3600"]);
    expectSecurityHeaders(plain, { https: true, csp: APP_CSP });

    // A fingerprinted name the app does not have must not be cached as immutable.
    const gone = await httpsCall(nginx, { path: "/static/gone.0123456789ab.js" });
    expect(gone.status).toBe(404);
    expect(gone.headers.get("cache-control")).toBeUndefined();
    expectSecurityHeaders(gone, { https: true, csp: APP_CSP });
  });

  it("redirects plain http to https on the right port with 308, and serves ACME challenges there", async () => {
    const redirect = await httpCall(nginx, { path: "/overview?tab=flow" });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get("location")).toEqual([`https://localhost:${nginx.httpsPort}/overview?tab=flow`]);
    expectSecurityHeaders(redirect, { https: false });

    const challengeDir = path.join(nginx.acmeWebroot, ".well-known", "acme-challenge");
    await mkdir(challengeDir, { recursive: true });
    await writeFile(path.join(challengeDir, "token-1"), "token-1.thumbprint");
    const challenge = await httpCall(nginx, { path: "/.well-known/acme-challenge/token-1" });
    expect(challenge).toMatchObject({ status: 200, body: "token-1.thumbprint" });
    expectSecurityHeaders(challenge, { https: false });
  });

  it("speaks TLS 1.2 only with ECDHE AEAD suites, TLS 1.3 and HTTP/2, and refuses TLS 1.1", async () => {
    const tls12 = await handshake(nginx, { minVersion: "TLSv1.2", maxVersion: "TLSv1.2" });
    expect(tls12.protocol).toBe("TLSv1.2");
    expect(tls12.cipher).toMatch(/^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/);

    await expect(handshake(nginx, { minVersion: "TLSv1.2", maxVersion: "TLSv1.2", ciphers: "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA" })).rejects.toMatchObject({
      code: "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE",
    });
    // SECLEVEL=0 so that the client really offers TLS 1.1 and the refusal is nginx's.
    await expect(handshake(nginx, { minVersion: "TLSv1.1", maxVersion: "TLSv1.1", ciphers: "DEFAULT:@SECLEVEL=0" })).rejects.toMatchObject({
      code: "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION",
    });

    const modern = await handshake(nginx, { ALPNProtocols: ["h2", "http/1.1"] });
    expect(modern).toMatchObject({ protocol: "TLSv1.3", alpn: "h2" });
  });

  it("logs one JSON line per request with the request id, and never a query string or an invitation secret", async () => {
    const callback = await httpsCall(nginx, { path: "/connections/jira/callback?code=SECRET123&state=STATE456", headers: { "x-request-id": "callback-request-1" } });
    expect(callback.status).toBe(200);
    const invitation = await httpsCall(nginx, { path: "/invite/5b0c6f0e-5a4c-4f6e-9d3e-7c1b2a3d4e5f.INVITESECRET789", headers: { "x-request-id": "invite-request-1" } });
    expect(invitation.status).toBe(200);
    await waitUntil(() => nginx.accessLog().includes("invite-request-1"), "the access log line");

    const lines = nginx.accessLog().trimEnd().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.find((line) => line.request_id === "callback-request-1")).toMatchObject({
      remote_addr: "127.0.0.1",
      method: "GET",
      path: "/connections/jira/callback",
      status: 200,
      request_time: expect.any(Number),
      upstream_response_time: expect.stringMatching(/^\d+\.\d{3}$/),
    });
    expect(lines.find((line) => line.request_id === "invite-request-1")).toMatchObject({ path: "/invite/[REDACTED]" });
    for (const secret of ["SECRET123", "STATE456", "INVITESECRET789"]) expect(nginx.accessLog() + nginx.errorLog()).not.toContain(secret);
  });
});

describe("nginx when the app is down", () => {
  let nginx: RunningNginx;

  beforeAll(async () => {
    // Nothing listens there: every proxied request fails to connect.
    nginx = await startNginx({ upstream: `127.0.0.1:${await freePort()}`, httpPort: await freePort(), httpsPort: await freePort() });
  });

  afterAll(async () => {
    await nginx?.stop();
  });

  it("answers 502 with every security header, and keeps OAuth codes and invitation secrets out of its error log", async () => {
    const callback = await httpsCall(nginx, { path: "/connections/jira/callback?code=SECRET123&state=x" });
    expect(callback.status).toBe(502);
    expectSecurityHeaders(callback, { https: true });

    const invitation = await httpsCall(nginx, { path: "/invite/5b0c6f0e-5a4c-4f6e-9d3e-7c1b2a3d4e5f.INVITESECRET789" });
    expect(invitation.status).toBe(502);

    const page = await httpsCall(nginx, { path: "/overview?tab=flow" });
    expect(page.status).toBe(502);
    expectSecurityHeaders(page, { https: true });
    // Logged after the callback's failure would have been: once this is there, that would be too.
    await waitUntil(() => nginx.errorLog().includes("GET /overview?tab=flow"), "the error log line");
    expect(nginx.accessLog()).toContain('"path":"/connections/jira/callback"');
    for (const secret of ["SECRET123", "INVITESECRET789"]) expect(nginx.accessLog() + nginx.errorLog()).not.toContain(secret);
  });
});

describe("nginx rate limits", () => {
  let upstream: Upstream;
  let nginx: RunningNginx;

  beforeAll(async () => {
    upstream = await startUpstream();
    nginx = await startNginx({ upstream: `127.0.0.1:${upstream.port}`, httpPort: await freePort(), httpsPort: await freePort() });
  });

  afterAll(async () => {
    await nginx?.stop();
    await upstream?.close();
  });

  it("answers a burst of sign-in POSTs with 429 after 1 + 5, and still shows the sign-in page", async () => {
    const statuses: number[] = [];
    let refused: Answer | undefined;
    for (let i = 0; i < 8; i++) {
      const answer = await httpsCall(nginx, { method: "POST", path: "/sign-in", headers: { "content-type": "application/x-www-form-urlencoded" }, body: Buffer.from("email=a%40b.c&password=x") });
      statuses.push(answer.status);
      if (answer.status === 429) refused = answer;
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
    expectSecurityHeaders(refused!, { https: true });
    expect((await httpsCall(nginx, { path: "/sign-in" })).status).toBe(200);
  });

  it("answers a burst of OAuth callbacks with 429 after 1 + 10", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await httpsCall(nginx, { path: `/connections/jira/callback?code=c${i}&state=s` })).status);
    expect(statuses).toEqual([...Array<number>(11).fill(200), 429]);
  });
});

async function handshake(nginx: RunningNginx, options: ConnectionOptions): Promise<{ protocol: string | null; cipher: string; alpn: string | false | null }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: "127.0.0.1", port: nginx.httpsPort, servername: "localhost", rejectUnauthorized: false, ...options }, () => {
      resolve({ protocol: socket.getProtocol(), cipher: socket.getCipher().name, alpn: socket.alpnProtocol ?? null });
      socket.end();
    });
    socket.once("error", reject);
  });
}

import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The shipped nginx files: the tests run these scripts and this template, as the container does. */
export const NGINX_DIR = fileURLToPath(new URL("../../nginx", import.meta.url));
const NGINX_BIN = "/usr/sbin/nginx";

export interface NginxOptions {
  /** host:port of the web process (or whatever stands in for it). */
  upstream: string;
  httpPort: number;
  httpsPort: number;
  /** The certificate's name when prepare-tls.sh generates one; it defaults to localhost. */
  serverName?: string;
}

export interface RunningNginx {
  httpPort: number;
  httpsPort: number;
  /** The self-signed certificate nginx serves: trust it as a CA to verify the connection. */
  certFile: string;
  /** What nginx wrote so far to stdout (the access log) and stderr (the error log). */
  accessLog(): string;
  errorLog(): string;
  /** Where ACME challenge files are served from on the http port. */
  acmeWebroot: string;
  stop(): Promise<void>;
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A scratch directory for one nginx: its TLS files, runtime files and ACME webroot live inside. */
export async function nginxDirectory(): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), "twinflow-nginx-"));
  // Workers run as www-data and write temp files in the runtime dir below this one.
  await chmod(directory, 0o755);
  return directory;
}

/** The environment the scripts read, the container's ENV with this machine's paths and ports. */
export function nginxEnv(directory: string, options: NginxOptions): Record<string, string> {
  return {
    PATH: `${process.env.PATH ?? "/usr/bin:/bin"}:/usr/sbin:/sbin`,
    TWINFLOW_UPSTREAM: options.upstream,
    NGINX_HTTP_PORT: String(options.httpPort),
    NGINX_HTTPS_PORT: String(options.httpsPort),
    NGINX_HTTPS_REDIRECT_PORT_SUFFIX: `:${options.httpsPort}`,
    NGINX_TLS_DIR: path.join(directory, "tls"),
    NGINX_CONF_DIR: NGINX_DIR,
    NGINX_RUNTIME_DIR: path.join(directory, "run"),
    NGINX_ACME_WEBROOT: path.join(directory, "acme"),
    ...(options.serverName ? { TWINFLOW_SERVER_NAME: options.serverName } : {}),
  };
}

/** The config render-config.sh writes for this environment. */
export function renderedConfigFile(env: Record<string, string>): string {
  return path.join(env.NGINX_RUNTIME_DIR ?? "", "nginx.conf");
}

/** Runs one of the shipped scripts with exactly this environment. */
export function runNginxScript(script: "prepare-tls.sh" | "render-config.sh", env: Record<string, string>): Promise<CommandResult> {
  return run("sh", [path.join(NGINX_DIR, script)], env);
}

/** `nginx -t` on a rendered config. Its stdout is /dev/null: nginx opens the access log there. */
export function checkNginxConfig(configFile: string): Promise<CommandResult> {
  return run(NGINX_BIN, ["-t", "-c", configFile], {}, "ignore");
}

/** nginx as the container runs it: prepare-tls.sh, render-config.sh, then nginx in the foreground. */
export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  const directory = await nginxDirectory();
  const env = nginxEnv(directory, options);
  for (const script of ["prepare-tls.sh", "render-config.sh"] as const) {
    const result = await runNginxScript(script, env);
    if (result.code === 0) continue;
    await rm(directory, { recursive: true, force: true });
    throw new Error(`${script} failed: ${result.stderr}`);
  }
  // nginx opens /dev/stdout by name, which fails (ENXIO) on the socket Node would give it as
  // stdout; a file works, as the pipe Docker gives it does.
  const accessLogFile = path.join(directory, "stdout.log");
  const stdoutFd = openSync(accessLogFile, "a");
  const child = spawn(NGINX_BIN, ["-c", renderedConfigFile(env), "-g", "daemon off;"], { stdio: ["ignore", stdoutFd, "pipe"] });
  closeSync(stdoutFd);
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", (error) => {
      stderr += `${error.message}\n`;
      resolve();
    });
  });
  const stop = async () => {
    // SIGTERM is nginx's fast shutdown: the master stops its workers, then exits.
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    await rm(directory, { recursive: true, force: true });
  };
  try {
    await waitForPort(options.httpsPort, exited, () => stderr);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    httpPort: options.httpPort,
    httpsPort: options.httpsPort,
    certFile: path.join(env.NGINX_TLS_DIR!, "fullchain.pem"),
    acmeWebroot: env.NGINX_ACME_WEBROOT!,
    accessLog: () => readFileSync(accessLogFile, "utf8"),
    errorLog: () => stderr,
    stop,
  };
}

async function waitForPort(port: number, exited: Promise<void>, errorLog: () => string, timeoutMs = 10_000): Promise<void> {
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  const deadline = Date.now() + timeoutMs;
  while (!(await accepts(port))) {
    if (hasExited) throw new Error(`nginx exited before listening on ${port}:\n${errorLog()}`);
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port} within ${timeoutMs} ms:\n${errorLog()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function run(command: string, args: string[], env: Record<string, string>, stdoutMode: "pipe" | "ignore" = "pipe"): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", stdoutMode, "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

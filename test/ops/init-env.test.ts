import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseEnv, promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../app/src/config.js";
import { parseKeyRing } from "../../app/src/platform/vault.js";

const run = promisify(execFile);
const script = fileURLToPath(new URL("../../ops/init-env.sh", import.meta.url));

const SECRETS = [
  "TWINFLOW_VAULT_KEYS",
  "SESSION_SECRET",
  "POSTGRES_PASSWORD",
  "POSTGRES_APP_PASSWORD",
  "REDIS_PASSWORD",
  "DEMO_PASSWORD",
] as const;

const DEFAULTS = {
  NODE_ENV: "development",
  PUBLIC_URL: "http://localhost:3000",
  HOST: "127.0.0.1",
  PORT: "3000",
  REDIS_URL: "redis://127.0.0.1:6379/0",
  DATABASE_ADMIN_URL: "postgres://postgres@127.0.0.1:5432/postgres",
} as const;

let dir: string;
let counter = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "twinflow-init-env-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function newEnvPath(): string {
  counter += 1;
  return path.join(dir, `env-${counter}`);
}

async function initEnv(envFile: string): Promise<string> {
  const { stdout, stderr } = await run(script, [], { env: { ...process.env, TWINFLOW_ENV_FILE: envFile } });
  return stdout + stderr;
}

async function readEnv(envFile: string): Promise<Record<string, string>> {
  return parseEnv(await readFile(envFile, "utf8")) as Record<string, string>;
}

function assignmentLines(text: string, name: string): string[] {
  return text.split("\n").filter((line) => line.startsWith(`${name}=`));
}

describe("ops/init-env.sh", () => {
  it("creates a file with every generated secret and local default", async () => {
    const envFile = newEnvPath();
    await initEnv(envFile);
    const env = await readEnv(envFile);

    for (const name of SECRETS) expect(env[name], name).toBeTruthy();
    expect(env).toMatchObject(DEFAULTS);

    expect(env.TWINFLOW_VAULT_KEYS).toMatch(/^k\d{8}:[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(env.TWINFLOW_VAULT_KEYS!.split(":")[1]!, "base64")).toHaveLength(32);
    expect(Buffer.from(env.SESSION_SECRET!, "base64")).toHaveLength(32);
    for (const name of ["POSTGRES_PASSWORD", "POSTGRES_APP_PASSWORD", "REDIS_PASSWORD"]) {
      expect(env[name], name).toMatch(/^[0-9a-f]{48}$/);
    }
    expect(env.DEMO_PASSWORD).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(env.DATABASE_URL).toBe(`postgres://twinflow_app:${env.POSTGRES_APP_PASSWORD}@127.0.0.1:5432/twinflow`);
    expect(env.DATABASE_OWNER_URL).toBe(`postgres://twinflow_owner:${env.POSTGRES_PASSWORD}@127.0.0.1:5432/twinflow`);
  });

  it("generates fresh secrets on every run", async () => {
    const first = newEnvPath();
    const second = newEnvPath();
    await initEnv(first);
    await initEnv(second);
    const a = await readEnv(first);
    const b = await readEnv(second);
    for (const name of SECRETS) expect(a[name], name).not.toBe(b[name]);
  });

  it("changes nothing on a second run", async () => {
    const envFile = newEnvPath();
    await initEnv(envFile);
    const before = await readFile(envFile);
    const output = await initEnv(envFile);
    expect(await readFile(envFile)).toEqual(before);
    expect(output).toMatch(/nothing changed/);
  });

  it("keeps a value already set, byte for byte, and adds what is missing", async () => {
    const envFile = newEnvPath();
    const kept = "SESSION_SECRET=keepme-this-is-set-by-the-operator";
    await writeFile(envFile, `# mine\n${kept}\nPORT=4000\n`);
    await initEnv(envFile);
    const text = await readFile(envFile, "utf8");
    expect(text.startsWith(`# mine\n${kept}\nPORT=4000\n`)).toBe(true);
    expect(assignmentLines(text, "SESSION_SECRET")).toEqual([kept]);
    expect(assignmentLines(text, "PORT")).toEqual(["PORT=4000"]);
    const env = await readEnv(envFile);
    for (const name of SECRETS.filter((n) => n !== "SESSION_SECRET")) expect(env[name], name).toBeTruthy();
    expect(env.NODE_ENV).toBe("development");
  });

  it("fills an empty value in place", async () => {
    const envFile = newEnvPath();
    await writeFile(envFile, "SESSION_SECRET=\nDEMO_PASSWORD=\"\"\n");
    await initEnv(envFile);
    const text = await readFile(envFile, "utf8");
    const lines = assignmentLines(text, "SESSION_SECRET");
    expect(lines).toHaveLength(1);
    expect(text.split("\n")[0]).toBe(lines[0]);
    const env = await readEnv(envFile);
    expect(Buffer.from(env.SESSION_SECRET!, "base64")).toHaveLength(32);
    expect(assignmentLines(text, "DEMO_PASSWORD")).toHaveLength(1);
    expect(env.DEMO_PASSWORD).toMatch(/^[A-Za-z0-9_-]{16,}$/);
  });

  it("writes the file with mode 0600, tightening a looser one", async () => {
    const envFile = newEnvPath();
    await initEnv(envFile);
    expect((await stat(envFile)).mode & 0o777).toBe(0o600);

    const loose = newEnvPath();
    await writeFile(loose, "PORT=3000\n");
    await chmod(loose, 0o644);
    await initEnv(loose);
    expect((await stat(loose)).mode & 0o777).toBe(0o600);
  });

  it("prints the names of what it generated, never the values", async () => {
    const envFile = newEnvPath();
    const output = await initEnv(envFile);
    const env = await readEnv(envFile);
    for (const name of SECRETS) {
      expect(output).toContain(name);
      expect(output).not.toContain(env[name]);
    }
    expect(output).not.toContain(env.DATABASE_URL);
    expect(output).not.toContain(env.DATABASE_OWNER_URL);
  });

  it("writes a file that loadConfig accepts", async () => {
    const envFile = newEnvPath();
    await initEnv(envFile);
    const config = loadConfig(await readEnv(envFile));
    expect(config.env).toBe("development");
    expect(config.publicUrl).toBe("http://localhost:3000");
    expect(config.sessionSecret).toHaveLength(32);
    expect(parseKeyRing(config.vaultKeys).keyIds).toHaveLength(1);
  });

  it("writes a file that node --env-file (bin/twinflow) reads the same way", async () => {
    const envFile = newEnvPath();
    await initEnv(envFile);
    const expected = await readEnv(envFile);
    const names = Object.keys(expected);
    const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !names.includes(name)));
    const { stdout } = await run(
      process.execPath,
      [`--env-file=${envFile}`, "-e", `process.stdout.write(JSON.stringify(${JSON.stringify(names)}.map((n) => [n, process.env[n]])))`],
      { env: clean },
    );
    expect(Object.fromEntries(JSON.parse(stdout) as [string, string][])).toEqual(expected);
  });
});

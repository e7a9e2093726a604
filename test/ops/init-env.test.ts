import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseEnv, promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../app/src/config.js";
import { parseKeyRing } from "../../app/src/platform/vault.js";

const run = promisify(execFile);
const script = fileURLToPath(new URL("../../ops/init-env.sh", import.meta.url));
const composeEnvExample = fileURLToPath(new URL("../../compose/.env.example", import.meta.url));

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

async function initEnv(envFile: string, args: string[] = []): Promise<string> {
  const { stdout, stderr } = await run(script, args, { env: { ...process.env, TWINFLOW_ENV_FILE: envFile } });
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

describe("ops/init-env.sh --compose", () => {
  const COMPOSE_SECRETS = [
    "POSTGRES_SUPERUSER_PASSWORD",
    "POSTGRES_OWNER_PASSWORD",
    "POSTGRES_APP_PASSWORD",
    "REDIS_PASSWORD",
    "TWINFLOW_VAULT_KEYS",
    "SESSION_SECRET",
  ] as const;
  const COMPOSE_DEFAULTS = { COMPOSE_PROJECT_NAME: "twinflow", PUBLIC_URL: "https://localhost", TWINFLOW_SERVER_NAME: "localhost" };

  it("writes the appliance's settings: fresh secrets, URL-safe passwords, https defaults", async () => {
    const envFile = newEnvPath();
    await initEnv(envFile, ["--compose"]);
    const env = await readEnv(envFile);

    expect(Object.keys(env).sort()).toEqual([...COMPOSE_SECRETS, ...Object.keys(COMPOSE_DEFAULTS)].sort());
    expect(env).toMatchObject(COMPOSE_DEFAULTS);
    for (const name of ["POSTGRES_SUPERUSER_PASSWORD", "POSTGRES_OWNER_PASSWORD", "POSTGRES_APP_PASSWORD", "REDIS_PASSWORD"]) {
      expect(env[name], name).toMatch(/^[0-9a-f]{48}$/);
    }
    expect(new Set(COMPOSE_SECRETS.map((name) => env[name])).size).toBe(COMPOSE_SECRETS.length);
    expect(env.TWINFLOW_VAULT_KEYS).toMatch(/^k\d{8}:[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(env.TWINFLOW_VAULT_KEYS!.split(":")[1]!, "base64")).toHaveLength(32);
    expect(Buffer.from(env.SESSION_SECRET!, "base64")).toHaveLength(32);
    expect((await stat(envFile)).mode & 0o777).toBe(0o600);
  });

  it("writes compose/.env beside the compose file when TWINFLOW_ENV_FILE is unset", async () => {
    const root = path.join(dir, "checkout");
    await mkdir(path.join(root, "ops/lib"), { recursive: true });
    await mkdir(path.join(root, "compose"));
    await copyFile(script, path.join(root, "ops/init-env.sh"));
    await copyFile(fileURLToPath(new URL("../../ops/lib/env-file.sh", import.meta.url)), path.join(root, "ops/lib/env-file.sh"));
    const env = { ...process.env };
    delete env.TWINFLOW_ENV_FILE;
    await run("bash", [path.join(root, "ops/init-env.sh"), "--compose"], { env });
    expect((await readEnv(path.join(root, "compose/.env"))).SESSION_SECRET).toBeTruthy();
    await expect(stat(path.join(root, ".env"))).rejects.toThrow();
  });

  it("keeps set values byte for byte, fills empty ones in place, and changes nothing on a second run", async () => {
    const envFile = newEnvPath();
    const kept = "PUBLIC_URL=https://twinflow.example.com";
    await writeFile(envFile, `${kept}\nREDIS_PASSWORD=\n`);
    await initEnv(envFile, ["--compose"]);
    const text = await readFile(envFile, "utf8");
    expect(text.split("\n")[0]).toBe(kept);
    expect(text.split("\n")[1]).toMatch(/^REDIS_PASSWORD=[0-9a-f]{48}$/);
    expect(assignmentLines(text, "REDIS_PASSWORD")).toHaveLength(1);

    const output = await initEnv(envFile, ["--compose"]);
    expect(await readFile(envFile, "utf8")).toBe(text);
    expect(output).toMatch(/nothing changed/);
  });

  it("fills every empty value of compose/.env.example and keeps its settings", async () => {
    const envFile = newEnvPath();
    await copyFile(composeEnvExample, envFile);
    await initEnv(envFile, ["--compose"]);
    const example = await readFile(composeEnvExample, "utf8");
    const lines = (await readFile(envFile, "utf8")).split("\n");
    // Same lines, the empty assignments filled: the example already names everything init writes.
    expect(lines).toHaveLength(example.split("\n").length);
    example.split("\n").forEach((line, index) => {
      if (!/^[A-Z0-9_]+=$/.test(line)) expect(lines[index]).toBe(line);
    });
    const env = await readEnv(envFile);
    for (const name of Object.keys(parseEnv(example))) expect(env[name], name).toBeTruthy();
  });

  it("prints the names of what it generated, never the values", async () => {
    const envFile = newEnvPath();
    const output = await initEnv(envFile, ["--compose"]);
    const env = await readEnv(envFile);
    for (const name of COMPOSE_SECRETS) {
      expect(output).toContain(name);
      expect(output).not.toContain(env[name]);
    }
  });

  it("refuses an unknown argument, writing nothing", async () => {
    const envFile = newEnvPath();
    await expect(initEnv(envFile, ["--composed"])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining("usage: ops/init-env.sh [--compose]") });
    await expect(stat(envFile)).rejects.toThrow();
  });
});

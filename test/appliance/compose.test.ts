/**
 * The appliance's compose files, read the way compose reads them (`docker-compose config`;
 * there is no Docker engine here): they validate, and they keep the security promises. Each
 * promise is also shown to fail on a copy of the configuration that breaks it.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_VARIABLES, loadConfig } from "../../app/src/config.js";
import {
  COMPOSE_ENV_EXAMPLE,
  COMPOSE_FILE,
  DEV_OVERRIDE_FILE,
  composeConfig,
  envEntries,
  placeholderSecrets,
  runComposeConfig,
} from "./compose-config.js";
import { APP_SERVICES, COMPOSE_POLICIES, devOverrideProblems, type ComposeConfig, type ComposePolicyName, type ComposeService } from "./compose-policy.js";

const run = promisify(execFile);
const INIT_ENV = fileURLToPath(new URL("../../ops/init-env.sh", import.meta.url));

/** Read by compose itself rather than interpolated into the file. */
const READ_BY_COMPOSE = ["COMPOSE_PROJECT_NAME"];
/** Publishing web is what the dev override is for; devOverrideProblems keeps it on this machine. */
const WAIVED_FOR_DEV_OVERRIDE: ComposePolicyName[] = ["only nginx publishes ports"];
/** config.ts variables web does not get: migrate's alone, or for `twinflow demo` on a development machine. */
/** Settings only the backup service reads. */
const isBackupSetting = (name: string) => name.startsWith("BACKUP_") || name.startsWith("B2_");
const NOT_GIVEN_TO_WEB = ["DATABASE_OWNER_URL", "DATABASE_ADMIN_URL", "DEMO_PASSWORD"];

let secrets: Record<string, string>;
let base: ComposeConfig;
let withDevOverride: ComposeConfig;

beforeAll(async () => {
  secrets = await placeholderSecrets();
  [base, withDevOverride] = await Promise.all([
    composeConfig([COMPOSE_FILE], COMPOSE_ENV_EXAMPLE, secrets),
    composeConfig([COMPOSE_FILE, DEV_OVERRIDE_FILE], COMPOSE_ENV_EXAMPLE, secrets),
  ]);
});

function service(config: ComposeConfig, name: string): ComposeService {
  const found = config.services[name];
  if (!found) throw new Error(`no service ${name}`);
  return found;
}

function commandArray(config: ComposeConfig, name: string): string[] {
  const command = service(config, name).command;
  if (!Array.isArray(command)) throw new Error(`${name}'s command is not a list`);
  return command;
}

function environmentOf(config: ComposeConfig, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(service(config, name).environment ?? {}).map(([key, value]) => [key, value ?? ""]));
}

describe("docker-compose config", () => {
  it("accepts the stack with compose/.env.example and its secrets filled in, alone and with the dev override", () => {
    expect(Object.keys(base.services).sort()).toEqual(["backup", "migrate", "nginx", "postgres", "redis", "scheduler", "web", "worker"]);
    expect(Object.keys(withDevOverride.services).sort()).toEqual(Object.keys(base.services).sort());
    expect(Object.keys(base.volumes ?? {}).sort()).toEqual(["acme", "backups", "pgdata", "tls"]);
  });

  it("refuses to start without a required secret, naming it", async () => {
    const missingOne = { ...secrets };
    delete missingOne.SESSION_SECRET;
    const result = await runComposeConfig([COMPOSE_FILE], COMPOSE_ENV_EXAMPLE, missingOne);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("set SESSION_SECRET in compose/.env");
  });

  it("builds the TwinFlow image once and runs every role from it", () => {
    const images = APP_SERVICES.map((name) => service(base, name).image);
    expect(new Set(images).size).toBe(1);
    expect(APP_SERVICES.filter((name) => service(base, name).build)).toEqual(["migrate"]);
    expect(service(base, "migrate").command).toEqual(["prepare-db"]);
  });

  it("gives web every setting config.ts reads, backup its own, and migrate the owner and superuser URLs", () => {
    const web = environmentOf(base, "web");
    expect(CONFIG_VARIABLES.filter((name) => !(name in web) && !NOT_GIVEN_TO_WEB.includes(name) && !isBackupSetting(name))).toEqual([]);
    const backup = environmentOf(base, "backup");
    expect(CONFIG_VARIABLES.filter((name) => isBackupSetting(name) && !(name in backup))).toEqual([]);
    expect(backup).toMatchObject({ DATABASE_OWNER_URL: `postgres://twinflow_owner:${secrets.POSTGRES_OWNER_PASSWORD}@postgres:5432/twinflow` });
    expect(environmentOf(base, "migrate")).toMatchObject({
      DATABASE_OWNER_URL: `postgres://twinflow_owner:${secrets.POSTGRES_OWNER_PASSWORD}@postgres:5432/twinflow`,
      DATABASE_ADMIN_URL: `postgres://postgres:${secrets.POSTGRES_SUPERUSER_PASSWORD}@postgres:5432/postgres`,
    });
  });

  describe("with the env file `make init` writes", () => {
    let dir: string;
    let generated: ComposeConfig;

    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), "twinflow-compose-env-"));
      const envFile = path.join(dir, "compose.env");
      await run(INIT_ENV, ["--compose"], { env: { ...process.env, TWINFLOW_ENV_FILE: envFile } });
      generated = await composeConfig([COMPOSE_FILE], envFile, {});
    });

    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it.each(APP_SERVICES)("%s gets an environment that config.ts accepts for production", (name) => {
      const config = loadConfig(environmentOf(generated, name));
      expect(config.env).toBe("production");
      expect(config.publicUrl).toBe("https://localhost");
      expect(new URL(config.redisUrl).password).toMatch(/^[0-9a-f]{48}$/);
    });
  });
});

describe("compose/.env.example", () => {
  async function referencedVariables(): Promise<{ required: Set<string>; optional: Set<string> }> {
    const text = await readFile(COMPOSE_FILE, "utf8");
    const required = new Set<string>();
    const optional = new Set<string>();
    for (const [, name, operator] of text.matchAll(/\$\{([A-Z][A-Z0-9_]*)(:\?|:-|\?|-)?/g)) {
      (operator?.includes("?") || operator === undefined ? required : optional).add(name!);
    }
    return { required, optional };
  }

  it("names every variable the compose file reads, once, each after a one-line comment", async () => {
    const text = await readFile(COMPOSE_ENV_EXAMPLE, "utf8");
    const lines = text.split("\n");
    const entries = envEntries(text);
    const { required, optional } = await referencedVariables();
    const names = entries.map((entry) => entry.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual([...new Set([...required, ...optional, ...READ_BY_COMPOSE])].sort());
    for (const entry of entries) {
      const previous = lines[entry.line - 1] ?? "";
      expect(previous, `comment above ${entry.name}`).toMatch(/^# /);
      expect(previous, `comment above ${entry.name}`).not.toMatch(/^#\s*[A-Z][A-Z0-9_]*=/);
    }
  });

  it("leaves required variables uncommented and optional ones commented out", async () => {
    const { required, optional } = await referencedVariables();
    for (const entry of envEntries(await readFile(COMPOSE_ENV_EXAMPLE, "utf8"))) {
      if (required.has(entry.name)) expect(entry.commented, entry.name).toBe(false);
      if (optional.has(entry.name)) expect(entry.commented, entry.name).toBe(true);
    }
  });

  it("holds no secret: those stay empty for `make init` to fill", async () => {
    for (const entry of envEntries(await readFile(COMPOSE_ENV_EXAMPLE, "utf8"))) {
      if (/PASSWORD|SECRET|VAULT_KEYS/.test(entry.name)) expect(entry.value, entry.name).toBe("");
    }
  });
});

/** Copies of the configuration that each break one promise, with what the check must say. */
const BREAKS: Record<ComposePolicyName, { what: string; breakIt: (config: ComposeConfig) => void; says: RegExp }[]> = {
  "only nginx publishes ports": [
    { what: "web publishes 3000", breakIt: (c) => void (service(c, "web").ports = ["3000:3000"]), says: /web publishes 0\.0\.0\.0:3000->3000/ },
    { what: "worker uses the host's network", breakIt: (c) => void (service(c, "worker").network_mode = "host"), says: /worker uses the host's network/ },
  ],
  "postgres and redis sit on internal networks only": [
    { what: "postgres publishes 5432", breakIt: (c) => void (service(c, "postgres").ports = [{ target: 5432, published: 5432 }]), says: /postgres publishes/ },
    { what: "redis joins egress", breakIt: (c) => void (service(c, "redis").networks = { backend: null, egress: null }), says: /redis is on egress/ },
    { what: "backend is not internal", breakIt: (c) => void (c.networks!.backend = {}), says: /postgres is on backend, which is not internal/ },
  ],
  "only nginx, web and worker reach outside networks": [
    { what: "scheduler joins egress", breakIt: (c) => void (service(c, "scheduler").networks = { backend: null, egress: null }), says: /scheduler is on egress/ },
    { what: "migrate on the default network", breakIt: (c) => delete service(c, "migrate").networks, says: /migrate is on default/ },
  ],
  "redis requires a password, never given on a command line": [
    { what: "no --requirepass", breakIt: (c) => void (service(c, "redis").command = ["redis-server"]), says: /without --requirepass/ },
    { what: "protected mode off", breakIt: (c) => void commandArray(c, "redis").push("--protected-mode", "no"), says: /--protected-mode no/ },
    {
      what: "password on the health check's command line",
      breakIt: (c) => void (service(c, "redis").healthcheck = { test: ["CMD", "redis-cli", "-a", "secret", "ping"] }),
      says: /password on its command line/,
    },
    { what: "no REDISCLI_AUTH", breakIt: (c) => delete service(c, "redis").environment!.REDISCLI_AUTH, says: /no REDISCLI_AUTH/ },
  ],
  "app containers run as a non-root numeric user": [
    { what: "web without user", breakIt: (c) => delete service(c, "web").user, says: /web has no numeric user/ },
    { what: "worker as uid 0", breakIt: (c) => void (service(c, "worker").user = "0:0"), says: /worker runs as root/ },
    { what: "migrate as root by name", breakIt: (c) => void (service(c, "migrate").user = "root"), says: /migrate has no numeric user/ },
  ],
  "app containers and nginx have a read-only root filesystem": [
    { what: "scheduler writable", breakIt: (c) => void (service(c, "scheduler").read_only = false), says: /scheduler is not read_only/ },
    { what: "nginx writable", breakIt: (c) => delete service(c, "nginx").read_only, says: /nginx is not read_only/ },
  ],
  "app containers and nginx drop every capability; nginx adds back only what it needs": [
    { what: "web keeps capabilities", breakIt: (c) => delete service(c, "web").cap_drop, says: /web does not drop ALL/ },
    { what: "worker adds NET_ADMIN", breakIt: (c) => void (service(c, "worker").cap_add = ["NET_ADMIN"]), says: /worker adds capability NET_ADMIN/ },
    { what: "nginx adds SYS_ADMIN", breakIt: (c) => void service(c, "nginx").cap_add!.push("SYS_ADMIN"), says: /nginx adds capability SYS_ADMIN/ },
    { what: "postgres privileged", breakIt: (c) => void (service(c, "postgres").privileged = true), says: /postgres is privileged/ },
  ],
  "every container forbids gaining privileges (no-new-privileges)": [
    { what: "redis without it", breakIt: (c) => void (service(c, "redis").security_opt = []), says: /redis lacks no-new-privileges/ },
    { what: "web with it false", breakIt: (c) => void (service(c, "web").security_opt = ["no-new-privileges:false"]), says: /web lacks no-new-privileges/ },
  ],
  "every long-running container declares a health check": [
    { what: "worker without one", breakIt: (c) => delete service(c, "worker").healthcheck, says: /worker has no health check/ },
    { what: "postgres disabled", breakIt: (c) => void (service(c, "postgres").healthcheck = { test: ["NONE"] }), says: /postgres has no health check/ },
  ],
  "every container has memory, CPU and process limits": [
    { what: "web without mem_limit", breakIt: (c) => delete service(c, "web").mem_limit, says: /web has no mem_limit/ },
    { what: "redis without pids_limit", breakIt: (c) => delete service(c, "redis").pids_limit, says: /redis has no pids_limit/ },
    { what: "migrate without cpus", breakIt: (c) => delete service(c, "migrate").cpus, says: /migrate has no cpus/ },
  ],
  "the worker's JavaScript heap is capped at no more than half its container's memory": [
    { what: "no heap flag", breakIt: (c) => delete service(c, "worker").environment!.NODE_OPTIONS, says: /worker sets no --max-old-space-size/ },
    { what: "heap as large as the container", breakIt: (c) => void (service(c, "worker").environment!.NODE_OPTIONS = "--max-old-space-size=1024"), says: /heap of 1024 MB is more than half its mem_limit \(1g\)/ },
    { what: "no mem_limit", breakIt: (c) => delete service(c, "worker").mem_limit, says: /more than half its mem_limit \(none\)/ },
  ],
  "web, worker and scheduler wait for migrate and for healthy stores": [
    { what: "web only starts after migrate", breakIt: (c) => void (service(c, "web").depends_on = { migrate: { condition: "service_started" }, postgres: { condition: "service_healthy" }, redis: { condition: "service_healthy" } }), says: /web does not wait for migrate/ },
    { what: "scheduler in list form", breakIt: (c) => void (service(c, "scheduler").depends_on = ["migrate", "postgres", "redis"]), says: /scheduler does not wait for postgres/ },
    { what: "worker without redis", breakIt: (c) => delete (service(c, "worker").depends_on as Record<string, unknown>).redis, says: /worker does not wait for redis/ },
  ],
  "nginx waits for a healthy web": [{ what: "nginx without depends_on", breakIt: (c) => delete service(c, "nginx").depends_on, says: /nginx does not wait for web/ }],
  "pulled images are pinned to an exact release": [
    { what: "postgres:15", breakIt: (c) => void (service(c, "postgres").image = "postgres:15"), says: /postgres: postgres:15 is a floating tag/ },
    { what: "redis:latest", breakIt: (c) => void (service(c, "redis").image = "redis:latest"), says: /redis: redis:latest has no version/ },
    { what: "redis:7.4-bookworm", breakIt: (c) => void (service(c, "redis").image = "redis:7.4-bookworm"), says: /floating tag/ },
    { what: "untagged", breakIt: (c) => void (service(c, "postgres").image = "postgres"), says: /postgres has no tag/ },
  ],
  "every container rotates its logs": [
    { what: "nginx on the default driver", breakIt: (c) => delete service(c, "nginx").logging, says: /nginx logs with the daemon's default driver/ },
    { what: "web without max-file", breakIt: (c) => delete service(c, "web").logging!.options!["max-file"], says: /web logs without max-file/ },
  ],
  "secrets come from the env file, never from the compose file": [
    { what: "literal SESSION_SECRET", breakIt: (c) => void (service(c, "worker").environment!.SESSION_SECRET = "written-here"), says: /worker: SESSION_SECRET has a value written/ },
    { what: "literal password in DATABASE_URL", breakIt: (c) => void (service(c, "web").environment!.DATABASE_URL = "postgres://twinflow_app:hunter2@postgres:5432/twinflow"), says: /web: DATABASE_URL carries a password/ },
    { what: "literal --requirepass", breakIt: (c) => void (service(c, "redis").command = ["redis-server", "--requirepass", "hunter2"]), says: /--requirepass has a value written/ },
  ],
  "only migrate holds the superuser credentials, only migrate and backup the owner's": [
    { what: "web with the owner URL", breakIt: (c) => void (service(c, "web").environment!.DATABASE_OWNER_URL = service(c, "migrate").environment!.DATABASE_OWNER_URL!), says: /web has DATABASE_OWNER_URL/ },
    { what: "worker with the superuser password", breakIt: (c) => void (service(c, "worker").environment!.PGPASSWORD = service(c, "postgres").environment!.POSTGRES_PASSWORD!), says: /worker holds the superuser password/ },
    { what: "backup with the superuser URL", breakIt: (c) => void (service(c, "backup").environment!.DATABASE_ADMIN_URL = service(c, "migrate").environment!.DATABASE_ADMIN_URL!), says: /backup has DATABASE_ADMIN_URL/ },
  ],
  "long-running containers restart; migrate runs once": [
    { what: "migrate restarting", breakIt: (c) => void (service(c, "migrate").restart = "unless-stopped"), says: /migrate restarts/ },
    { what: "web not restarting", breakIt: (c) => delete service(c, "web").restart, says: /web does not restart/ },
  ],
};

describe("compose policy", () => {
  it.each(Object.keys(COMPOSE_POLICIES) as ComposePolicyName[])("%s", (name) => {
    const policy = COMPOSE_POLICIES[name];
    expect(policy(base, { secrets })).toEqual([]);
    if (!WAIVED_FOR_DEV_OVERRIDE.includes(name)) expect(policy(withDevOverride, { secrets })).toEqual([]);
    const breaks = BREAKS[name];
    expect(breaks.length, "a broken config this check must catch").toBeGreaterThan(0);
    for (const { what, breakIt, says } of breaks) {
      const broken = structuredClone(base);
      breakIt(broken);
      expect(policy(broken, { secrets }).join("\n"), what).toMatch(says);
    }
  });

  it("the dev override publishes web on this machine only", () => {
    expect(devOverrideProblems(base, withDevOverride)).toEqual([]);
    expect(service(withDevOverride, "web").ports).toHaveLength(1);

    for (const port of ["3000:3000", "0.0.0.0:3000:3000", "3000", { target: 3000, published: 3000 }]) {
      const broken = structuredClone(withDevOverride);
      service(broken, "web").ports = [port];
      expect(devOverrideProblems(base, broken).join("\n"), JSON.stringify(port)).toMatch(/publishes web on 0\.0\.0\.0:.*beyond this machine/);
    }
    const postgresToo = structuredClone(withDevOverride);
    service(postgresToo, "postgres").ports = ["[::]:5432:5432"];
    expect(devOverrideProblems(base, postgresToo).join("\n")).toMatch(/publishes postgres on :::5432->5432/);
  });
});

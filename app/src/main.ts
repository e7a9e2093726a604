/**
 * `twinflow <command>`: one codebase, several roles. Each command validates the whole
 * configuration first and stops with a clear message when something is missing or weak.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { seedDemo, DEMO_EMAIL } from "./connectors/demo/seed.js";
import { bootstrapDatabase } from "./platform/db/bootstrap.js";
import { migrate } from "./platform/db/migrate.js";
import { createPool } from "./platform/db/pool.js";
import { rotateCredentials } from "./platform/db/rotate-credentials.js";
import { createLogger } from "./platform/log.js";
import { checkPostgres, checkRedis, ServiceCheckError } from "./platform/service-checks.js";
import { Vault } from "./platform/vault.js";
import { runScheduler } from "./processes/scheduler.js";
import { runWeb } from "./processes/web.js";
import { runWorker } from "./processes/worker.js";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../migrations", import.meta.url));

interface Command {
  about: string;
  /** Resolves with the exit status when it is not 0. */
  run: (config: Config, args: readonly string[]) => Promise<number | void>;
  /**
   * The services a role signs in to before it starts; it stops with one clear line when it
   * cannot, instead of starting half-working.
   */
  services?: (config: Config) => ServiceToCheck[];
}

type ServiceToCheck = { kind: "postgres" | "redis"; url: string; variable: string };

const RUNTIME_SERVICES = (config: Config): ServiceToCheck[] => [
  { kind: "postgres", url: config.databaseUrl, variable: "DATABASE_URL" },
  { kind: "redis", url: config.redisUrl, variable: "REDIS_URL" },
];
/** The backup commands work as the owner role only; a missing owner URL is reported by the command. */
const OWNER_DATABASE = (config: Config): ServiceToCheck[] =>
  config.databaseOwnerUrl ? [{ kind: "postgres", url: config.databaseOwnerUrl, variable: "DATABASE_OWNER_URL" }] : [];

/** Loaded only by the backup commands: the S3 client would add its memory to every other role. */
const backupCommands = () => import("./processes/backup.js");

const COMMANDS: Record<string, Command> = {
  web: { about: "serve the web UI and API", run: runWeb, services: RUNTIME_SERVICES },
  worker: { about: "run background jobs", run: runWorker, services: RUNTIME_SERVICES },
  scheduler: { about: "enqueue scheduled work (one leader at a time)", run: runScheduler, services: RUNTIME_SERVICES },
  backup: { about: "nightly backup and off-site copy, weekly restore drill (uses DATABASE_OWNER_URL)", run: async (config) => (await backupCommands()).runBackupService(config), services: OWNER_DATABASE },
  "backup-now": { about: "one backup and its off-site copy, now; exits non-zero on failure", run: async (config) => (await backupCommands()).runBackupNow(config), services: OWNER_DATABASE },
  "restore-drill": {
    about: "restore the newest backup into a scratch database and check it [--from offsite]",
    run: async (config, args) => (await backupCommands()).runRestoreDrill(config, args),
    services: OWNER_DATABASE,
  },
  "check-offsite-key": { about: "check that the B2 key can only add backups, never delete or shorten them", run: async (config) => (await backupCommands()).runCheckOffsiteKey(config) },
  migrate: { about: "apply database migrations (uses DATABASE_OWNER_URL)", run: runMigrate },
  "bootstrap-db": { about: "create the database roles and database (uses DATABASE_ADMIN_URL)", run: runBootstrap },
  "prepare-db": { about: "bootstrap-db, then migrate: what a fresh install or an upgrade runs first", run: runPrepareDb },
  "rotate-key": { about: "re-encrypt every credential under the newest TWINFLOW_VAULT_KEYS key", run: runRotateKey },
  demo: { about: "create the demo organization with a generated event log", run: runDemo },
};

async function main(argv: string[]): Promise<number> {
  const name = argv[0];
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`usage: twinflow <command>\n\n${Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(14)}${c.about}`).join("\n")}\n`);
    return name ? 2 : 0;
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 78; // EX_CONFIG
  }
  if (command.services) {
    try {
      for (const service of command.services(config)) {
        await (service.kind === "postgres" ? checkPostgres : checkRedis)(service.url, service.variable);
      }
    } catch (err) {
      if (!(err instanceof ServiceCheckError)) throw err;
      process.stderr.write(`twinflow ${name}: ${err.message}\n`);
      return 69; // EX_UNAVAILABLE
    }
  }
  return (await command.run(config, argv.slice(1))) ?? 0;
}

function oneShotLog(config: Config, name: string) {
  return createLogger({ level: config.logLevel, name: `twinflow-${name}` });
}

function ownerPool(config: Config, name: string) {
  if (!config.databaseOwnerUrl) throw new ConfigError([`DATABASE_OWNER_URL is missing: \`twinflow ${name}\` runs as the table owner`]);
  return createPool({ connectionString: config.databaseOwnerUrl, max: 2, applicationName: `twinflow-${name}`, log: oneShotLog(config, name) });
}

async function runMigrate(config: Config): Promise<void> {
  const log = oneShotLog(config, "migrate");
  const pool = ownerPool(config, "migrate");
  try {
    const applied = await migrate(pool, MIGRATIONS_DIR, log);
    log.info({ applied: applied.length }, applied.length ? "migrations applied" : "database is up to date");
  } finally {
    await pool.end();
  }
}

async function runPrepareDb(config: Config): Promise<void> {
  await runBootstrap(config);
  await runMigrate(config);
}

async function runBootstrap(config: Config): Promise<void> {
  if (!config.databaseOwnerUrl) throw new ConfigError(["DATABASE_OWNER_URL is missing: bootstrap-db creates that role"]);
  await bootstrapDatabase(config.databaseAdminUrl, config.databaseOwnerUrl, config.databaseUrl);
  oneShotLog(config, "bootstrap-db").info("database roles and database are in place");
}

async function runRotateKey(config: Config): Promise<void> {
  const pool = ownerPool(config, "rotate-key");
  try {
    const vault = Vault.fromSpec(config.vaultKeys);
    const result = await rotateCredentials(pool, vault);
    const log = oneShotLog(config, "rotate-key");
    log.info({ examined: result.examined, reencrypted: result.reencrypted, activeKeyId: vault.activeKeyId }, "credentials re-encrypted under the active key");
    if (result.unreadable.length > 0) {
      throw new Error(
        `${result.unreadable.length} connection(s) hold credentials no key in TWINFLOW_VAULT_KEYS can decrypt (${result.unreadable.join(", ")}); they were left unchanged: reconnect them`,
      );
    }
  } finally {
    await pool.end();
  }
}

async function runDemo(config: Config): Promise<void> {
  if (!config.demoPassword) throw new ConfigError(["DEMO_PASSWORD is missing: `make init` generates one"]);
  const log = oneShotLog(config, "demo");
  const pool = createPool({ connectionString: config.databaseUrl, max: 2, applicationName: "twinflow-demo", log });
  try {
    const result = await seedDemo(pool, Vault.fromSpec(config.vaultKeys), config.demoPassword);
    log.info({ tenantId: result.tenantId, eventsAdded: result.eventsAdded }, result.created ? "demo organization created" : "demo organization already present");
    process.stdout.write(`Demo organization ready: sign in at ${config.publicUrl}/sign-in as ${DEMO_EMAIL} (password: DEMO_PASSWORD in .env)\n`);
  } finally {
    await pool.end();
  }
}

const isEntryPoint = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isEntryPoint) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof ConfigError) {
        process.stderr.write(`${err.message}\n`);
        process.exit(78);
      }
      createLogger({ level: "error", name: "twinflow" }).fatal({ err }, "command failed");
      process.exit(1);
    },
  );
}

import pg from "pg";

/** NOLOGIN role that holds the runtime privileges; migrations grant to it, never to a login name. */
export const RUNTIME_GROUP_ROLE = "twinflow_runtime";
/** Serializes bootstraps on one server: role DDL run concurrently fails with "tuple concurrently updated". */
const BOOTSTRAP_LOCK_KEY = 7_370_611_002;

interface RoleLogin {
  user: string;
  password: string;
}

/**
 * Creates (or updates) the owner and runtime roles and the database, as a superuser.
 * Idempotent: passwords are set to the configured ones on every run, nothing else changes.
 */
export async function bootstrapDatabase(adminUrl: string, ownerUrl: string, runtimeUrl: string): Promise<void> {
  const owner = loginOf(ownerUrl, "DATABASE_OWNER_URL");
  const runtime = loginOf(runtimeUrl, "DATABASE_URL");
  const database = databaseOf(ownerUrl);
  if (databaseOf(runtimeUrl) !== database) throw new Error("DATABASE_URL and DATABASE_OWNER_URL must name the same database");
  if (owner.user === runtime.user) throw new Error("DATABASE_URL must use a different role than DATABASE_OWNER_URL: the runtime role must not own the tables");

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query("SELECT pg_advisory_lock($1)", [BOOTSTRAP_LOCK_KEY]);
    await ensureRole(admin, RUNTIME_GROUP_ROLE, "NOLOGIN NOBYPASSRLS");
    // CREATEDB: the restore drill restores into a scratch database of its own, then drops it.
    await ensureLoginRole(admin, owner, "NOBYPASSRLS CREATEDB");
    await ensureLoginRole(admin, runtime, "NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE");
    await admin.query(`GRANT ${ident(RUNTIME_GROUP_ROLE)} TO ${ident(runtime.user)}`);
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${ident(database)} OWNER ${ident(owner.user)}`);
    await admin.query(`REVOKE ALL ON DATABASE ${ident(database)} FROM PUBLIC`);
    await admin.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${ident(database)} TO ${ident(RUNTIME_GROUP_ROLE)}`);
  } finally {
    await admin.end();
  }
}

async function ensureRole(admin: pg.Client, name: string, attributes: string): Promise<void> {
  const found = await admin.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [name]);
  const verb = found.rowCount === 0 ? "CREATE" : "ALTER";
  await admin.query(`${verb} ROLE ${ident(name)} ${attributes}`);
}

async function ensureLoginRole(admin: pg.Client, login: RoleLogin, attributes: string): Promise<void> {
  await ensureRole(admin, login.user, `LOGIN ${attributes} PASSWORD ${pg.escapeLiteral(login.password)}`);
}

function loginOf(url: string, variable: string): RoleLogin {
  const parsed = new URL(url);
  const user = decodeURIComponent(parsed.username);
  if (!user) throw new Error(`${variable} must name a role (postgres://ROLE:PASSWORD@host/db)`);
  return { user, password: decodeURIComponent(parsed.password) };
}

export function databaseOf(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ""));
  if (!name) throw new Error(`the database URL must name a database (postgres://…/twinflow)`);
  return name;
}

function ident(name: string): string {
  return pg.escapeIdentifier(name);
}

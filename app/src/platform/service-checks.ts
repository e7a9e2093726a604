/**
 * Start-up checks of the services a process needs. A process that cannot sign in to
 * Postgres or Redis stops with one line that names the setting to fix, instead of
 * starting and answering every request with an error (half-running, hard to diagnose).
 * Refused or unreachable connections are retried for a while: in compose the database
 * may still be starting.
 */
import { Redis } from "ioredis";
import pg from "pg";

export class ServiceCheckError extends Error {
  override name = "ServiceCheckError";
}

export interface ServiceCheckOptions {
  /** How long to keep retrying a service that does not answer yet. */
  waitMs?: number;
  retryEveryMs?: number;
}

interface Failure {
  /** True when retrying cannot help (wrong password, missing database). */
  final: boolean;
  message: string;
}

/** Signs in to Postgres with `url` and runs one query. `variable` names the setting in messages. */
export async function checkPostgres(url: string, variable: string, options: ServiceCheckOptions = {}): Promise<void> {
  const { username, hostname, port, pathname } = new URL(url);
  const where = `${hostname}:${port || "5432"}`;
  const role = decodeURIComponent(username);
  const database = decodeURIComponent(pathname.slice(1));
  await retrying(options, async (): Promise<Failure | null> => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    try {
      await client.connect();
      await client.query("SELECT 1");
      return null;
    } catch (err) {
      return postgresFailure(err, { variable, where, role, database });
    } finally {
      await client.end().catch(() => undefined);
    }
  });
}

function postgresFailure(err: unknown, at: { variable: string; where: string; role: string; database: string }): Failure {
  const code = (err as { code?: string }).code;
  switch (code) {
    case "28P01":
      return { final: true, message: `${at.variable}: Postgres at ${at.where} refused the password of role ${at.role}: set the password the database has for that role` };
    case "28000":
      return { final: true, message: `${at.variable}: Postgres at ${at.where} refused role ${at.role} (${describe(err)}): check the role name, or run \`twinflow prepare-db\`` };
    case "3D000":
      return { final: true, message: `${at.variable}: database ${at.database} does not exist on ${at.where}: run \`twinflow prepare-db\`` };
    case "57P03":
      return { final: false, message: `${at.variable}: Postgres at ${at.where} is still starting` };
    default:
      return { final: false, message: `${at.variable}: Postgres at ${at.where} does not answer (${describe(err)})` };
  }
}

/** Signs in to Redis with `url` and sends PING. */
export async function checkRedis(url: string, variable: string, options: ServiceCheckOptions = {}): Promise<void> {
  const { hostname, port } = new URL(url);
  const where = `${hostname}:${port || "6379"}`;
  await retrying(options, async (): Promise<Failure | null> => {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, connectTimeout: 5_000 });
    // A refused AUTH (or the ready check's NOAUTH) arrives as an error event, and connect()
    // then only says the connection closed: keep the event's words.
    const events: unknown[] = [];
    redis.on("error", (err: unknown) => events.push(err));
    try {
      await redis.connect();
      await redis.ping();
      return null;
    } catch (err) {
      const text = [...events, err].map(describe).join("; ");
      if (/NOAUTH|WRONGPASS|invalid password|invalid username/i.test(text)) {
        return { final: true, message: `${variable}: Redis at ${where} refused the password: set the password Redis requires (REDIS_PASSWORD)` };
      }
      return { final: false, message: `${variable}: Redis at ${where} does not answer (${text})` };
    } finally {
      redis.disconnect();
    }
  });
}

async function retrying(options: ServiceCheckOptions, attempt: () => Promise<Failure | null>): Promise<void> {
  const deadline = Date.now() + (options.waitMs ?? 30_000);
  for (;;) {
    const failure = await attempt();
    if (!failure) return;
    if (failure.final || Date.now() >= deadline) throw new ServiceCheckError(failure.message);
    await new Promise((resolve) => setTimeout(resolve, options.retryEveryMs ?? 1_000));
  }
}

/** The error's own words, never a connection string (which would carry the password). */
function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\b(postgres(ql)?|rediss?):\/\/\S+/gi, "<url>");
}

/** Where tests find Postgres (a superuser URL) and Redis: the TEST_* variables, else the local defaults. */
export const ADMIN_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export const TEST_OWNER = { user: "twinflow_test_owner", password: "test-owner-password" };
export const TEST_RUNTIME = { user: "twinflow_test_app", password: "test-app-password" };
/** Every test database starts with this, then the run id. */
export const TEST_DATABASE_PREFIX = "twinflow_test_";

export function databaseUrl(login: { user: string; password: string }, database: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.username = login.user;
  url.password = login.password;
  url.pathname = `/${database}`;
  return url.toString();
}

/** Where the tools' fakes listen: the hosts a test instance lets connections reach (CONNECTOR_EXTRA_HOSTS). */
export const LOCAL_FAKE_HOSTS: readonly string[] = ["127.0.0.1", "localhost"];

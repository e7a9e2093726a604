import { describe, expect, it } from "vitest";
import { pgRestoreErrorSummary, pgRestoreInvocation } from "./drill-pg-restore.js";

describe("pgRestoreInvocation", () => {
  it("restores with --exit-on-error into the named database, the password only in PGPASSWORD", () => {
    const { args, env } = pgRestoreInvocation("/var/backups/twinflow/t.dump", "postgres://owner:p%40ss%20word@db:5432/twinflow_drill_1?sslmode=require");

    expect(args).toEqual(["--exit-on-error", "--no-password", "--dbname=postgres://owner@db:5432/twinflow_drill_1?sslmode=require", "/var/backups/twinflow/t.dump"]);
    expect(env).toEqual({ PGPASSWORD: "p@ss word" });
  });

  it("makes a relative dump path absolute, so it cannot pass for an option", () => {
    expect(pgRestoreInvocation("-x.dump", "postgres://postgres@127.0.0.1:5432/scratch").args.at(-1)).toMatch(/^\/.*\/-x\.dump$/);
  });
});

describe("pgRestoreErrorSummary", () => {
  it("keeps the first error line and leaves out the DETAIL, CONTEXT and statement lines that quote data", () => {
    const stderr = [
      'pg_restore: error: could not execute query: ERROR:  duplicate key value violates unique constraint "users_email_key"',
      "DETAIL:  Key (email)=(ada@example.com) already exists.",
      "CONTEXT:  COPY users, line 1: \"7d0c…\tada@example.com\tAda\"",
      "Command was: COPY public.users (id, email, display_name) FROM stdin;",
      "pg_restore: warning: errors ignored on restore: 1",
    ].join(" / ");

    expect(pgRestoreErrorSummary(stderr)).toBe('pg_restore: error: could not execute query: ERROR:  duplicate key value violates unique constraint "users_email_key"');
  });

  it("says so when no error line is left", () => {
    expect(pgRestoreErrorSummary("Command was: SELECT 1;")).toBe("its output holds no error line");
  });
});

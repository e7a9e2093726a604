import Router from "@koa/router";
import { requiredText } from "../../auth/accounts.js";
import { hashPassword, passwordProblem, verifyPassword } from "../../auth/passwords.js";
import type { Principal } from "../../auth/principal.js";
import { SIGN_IN_PER_ACCOUNT } from "../../auth/throttle.js";
import { recordAudit } from "../../platform/audit.js";
import type { PoolClient } from "../../platform/db/pool.js";
import { withTenant } from "../../platform/db/tenant.js";
import { badRequest, tooManyRequests } from "../../platform/errors.js";
import type { WebDeps } from "../deps.js";
import { field } from "../form.js";
import { knownTimeZones } from "../../platform/local-time.js";
import { renderPage, requirePrincipal, withFormErrors, type WebContext } from "../page.js";
import type { RequestState } from "../state.js";
import { tenantSettings, updateTenantSettings } from "../tenant-settings.js";

type AccountForm = "profile" | "password" | "organization";

/** The line shown after a form was saved, by the `saved` query parameter of the redirect. */
const SAVED = new Map<string, string>([
  ["profile", "Your name is saved."],
  ["password", "Your password is changed."],
  ["organization", "The organization's name and time zone are saved."],
]);

/** What the forms show: as stored, or as typed when a form was refused. */
interface FormValues {
  displayName: string;
  organizationName: string;
  timeZone: string;
}

interface Refused {
  form: AccountForm;
  message: string;
  status: number;
  typed: Partial<FormValues>;
}

interface Account {
  email: string;
  displayName: string;
  /** A built-in account; people from an external issuer change their password there. */
  hasPassword: boolean;
}

export function accountRoutes(deps: WebDeps): Router<RequestState> {
  const router = new Router<RequestState>();
  const { pool, render } = deps;

  const showAccount = async (ctx: WebContext, refused?: Refused) => {
    const principal = requirePrincipal(ctx);
    const { account, organization } = await withTenant(
      pool,
      principal.tenantId,
      async (client) => ({ account: await accountOf(client, principal.userId), organization: await tenantSettings(client) }),
      "snapshot",
    );
    const isOwner = principal.role === "owner";
    const values: FormValues = { displayName: account.displayName, organizationName: organization.name, timeZone: organization.timeZone, ...refused?.typed };
    renderPage(
      ctx,
      render,
      "account",
      { title: "Account", account, organization, values, isOwner, timeZones: isOwner ? knownTimeZones() : [], saved: SAVED.get(String(ctx.query.saved)), refused },
      refused?.status ?? 200,
    );
  };

  /** Runs one form's change; on success redirects to the page with a confirmation, on refusal shows the page again. */
  const formAction =
    (form: AccountForm, typed: (ctx: WebContext) => Partial<FormValues>, change: (ctx: WebContext, principal: Principal) => Promise<void>) => async (ctx: WebContext) => {
      const principal = requirePrincipal(ctx);
      await withFormErrors(
        async () => {
          await change(ctx, principal);
          ctx.redirect(`/account?saved=${form}`);
        },
        (refusal) => showAccount(ctx, { form, message: refusal.message, status: refusal.status, typed: typed(ctx) }),
      );
    };

  router.get("/account", (ctx) => showAccount(ctx));

  router.post(
    "/account/profile",
    formAction(
      "profile",
      (ctx) => ({ displayName: field(ctx, "displayName") }),
      (ctx, principal) => withTenant(pool, principal.tenantId, (client) => renameSelf(client, principal, field(ctx, "displayName"))),
    ),
  );

  router.post(
    "/account/password",
    formAction(
      "password",
      () => ({}),
      (ctx, principal) => changePassword(deps, principal, { current: field(ctx, "currentPassword"), next: field(ctx, "newPassword"), again: field(ctx, "newPasswordAgain") }),
    ),
  );

  router.post(
    "/account/organization",
    formAction(
      "organization",
      (ctx) => ({ organizationName: field(ctx, "name"), timeZone: field(ctx, "timeZone") }),
      (ctx, principal) =>
        withTenant(pool, principal.tenantId, (client) => updateTenantSettings(client, principal, { name: field(ctx, "name"), timeZone: field(ctx, "timeZone") })),
    ),
  );

  return router;
}

async function accountOf(client: PoolClient, userId: string): Promise<Account> {
  const { rows } = await client.query<Account>(
    `SELECT email, display_name AS "displayName", password_hash IS NOT NULL AS "hasPassword" FROM users WHERE id = $1`,
    [userId],
  );
  if (!rows[0]) throw new Error("the signed-in person's account is not visible in their tenant");
  return rows[0];
}

/** People may change only their own row (row-level security on users checks app.user_id). */
async function actAsSelf(client: PoolClient, by: Principal): Promise<void> {
  await client.query("SELECT set_config('app.user_id', $1, true)", [by.userId]);
}

async function renameSelf(client: PoolClient, by: Principal, typed: string): Promise<void> {
  const displayName = requiredText(typed, "name");
  await actAsSelf(client, by);
  await client.query("UPDATE users SET display_name = $1 WHERE id = $2", [displayName, by.userId]);
  await recordAudit(client, { tenantId: by.tenantId, actorUserId: by.userId, action: "account.name_changed", targetType: "user", targetId: by.userId });
}

/**
 * Changes a built-in account's password after checking the current one, and ends the
 * person's other sessions. A wrong current password counts against the account like a
 * failed sign-in, so a borrowed session cannot be used to guess it.
 */
async function changePassword(deps: WebDeps, by: Principal, typed: { current: string; next: string; again: string }): Promise<void> {
  const stored = await withTenant(deps.pool, by.tenantId, async (client) => {
    const { rows } = await client.query<{ email: string; passwordHash: string | null }>(`SELECT email, password_hash AS "passwordHash" FROM users WHERE id = $1`, [by.userId]);
    return rows[0];
  });
  if (!stored?.passwordHash) throw badRequest("no_password", "You sign in through your organization's identity provider: change your password there.");
  const { email, passwordHash } = stored;
  const waitSeconds = await deps.throttle.blockedFor(SIGN_IN_PER_ACCOUNT, email);
  if (waitSeconds > 0) throw tooManyRequests(`Too many wrong passwords. Try again in ${Math.ceil(waitSeconds / 60)} minute(s).`);
  if (!(await verifyPassword(typed.current, passwordHash))) {
    await deps.throttle.recordFailure(SIGN_IN_PER_ACCOUNT, email);
    throw badRequest("wrong_password", "Your current password is not right: type the password you sign in with now.");
  }
  await deps.throttle.reset(SIGN_IN_PER_ACCOUNT, email);
  const problem = passwordProblem(typed.next);
  if (problem) throw badRequest("weak_password", problem);
  if (typed.next !== typed.again) throw badRequest("passwords_differ", "The two new passwords differ: type the same new password twice.");
  const newHash = await hashPassword(typed.next);
  await withTenant(deps.pool, by.tenantId, async (client) => {
    await actAsSelf(client, by);
    await client.query("UPDATE users SET password_hash = $1 WHERE id = $2", [newHash, by.userId]);
    // Whoever knew the old password may be signed in elsewhere: only this session stays.
    const { rows } = await client.query<{ ended: number }>("SELECT revoke_other_sessions($1) AS ended", [by.sessionId]);
    await recordAudit(client, {
      tenantId: by.tenantId,
      actorUserId: by.userId,
      action: "account.password_changed",
      targetType: "user",
      targetId: by.userId,
      details: { otherSessionsEnded: rows[0]!.ended },
    });
  });
}

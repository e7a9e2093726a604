-- People become visible to the runtime role only as themselves (app.user_id) or as members
-- of the current tenant, so no request can read another organization's people or password
-- hashes. The two look-ups that must cross tenants go through narrow definer functions.

ALTER TABLE users ENABLE ROW LEVEL SECURITY;

CREATE POLICY self_or_teammate ON users FOR SELECT USING (
  id = current_app_user_id()
  OR EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.tenant_id = current_tenant_id())
);
-- Sign-up and invitations create accounts before any membership exists.
CREATE POLICY create_account ON users FOR INSERT WITH CHECK (true);
CREATE POLICY update_self ON users FOR UPDATE USING (id = current_app_user_id()) WITH CHECK (id = current_app_user_id());

-- Sign-in: the one account with this email, and nothing else.
CREATE FUNCTION account_for_sign_in(account_email text) RETURNS TABLE (id uuid, password_hash text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$ SELECT u.id, u.password_hash FROM users u WHERE u.email = account_email $$;

-- External identities (OIDC): the person's account id, created on first sight.
CREATE FUNCTION upsert_external_user(subject text, account_email text) RETURNS uuid
  LANGUAGE sql SECURITY DEFINER SET search_path = public
  AS $$
    INSERT INTO users (email, display_name, external_subject) VALUES (account_email, account_email, subject)
    ON CONFLICT (external_subject) DO UPDATE SET email = EXCLUDED.email
    RETURNING id
  $$;

REVOKE ALL ON FUNCTION account_for_sign_in(text), upsert_external_user(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION account_for_sign_in(text), upsert_external_user(text, text) TO twinflow_runtime;

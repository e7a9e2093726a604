-- A changed password ends the person's other sessions, in every organization they belong to:
-- whoever knew the old one may be signed in somewhere. Row-level security shows the runtime
-- role one organization's sessions, so this runs as the owner, and only ever for the person
-- the transaction acts as (app.user_id), keeping the session they changed it from.
CREATE FUNCTION revoke_other_sessions(kept uuid) RETURNS integer
  LANGUAGE sql SECURITY DEFINER SET search_path = public
  AS $$
    WITH ended AS (
      UPDATE sessions SET revoked_at = now()
       WHERE user_id = current_app_user_id() AND id IS DISTINCT FROM kept AND revoked_at IS NULL
      RETURNING 1)
    SELECT count(*)::int FROM ended
  $$;
REVOKE ALL ON FUNCTION revoke_other_sessions(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION revoke_other_sessions(uuid) TO twinflow_runtime;

-- Foundation: tenants, people, sessions, connections, the event log, scan outputs, audit.
-- Every tenant table carries tenant_id and a row-level-security policy on app.tenant_id.
-- The runtime role (member of twinflow_runtime) is not the owner, so RLS binds it; the
-- owner bypasses RLS and is used only by migrate and rotate-key.

CREATE FUNCTION current_tenant_id() RETURNS uuid
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;

CREATE FUNCTION current_app_user_id() RETURNS uuid
  LANGUAGE sql STABLE
  AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;

CREATE TABLE tenants (
  id uuid PRIMARY KEY,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  external_org_id text UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- People are global (one account, many tenants); what they may see is in memberships.
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) <= 320),
  display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
  password_hash text,
  external_subject text UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (password_hash IS NOT NULL OR external_subject IS NOT NULL)
);

CREATE TABLE memberships (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL,
  user_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  FOREIGN KEY (tenant_id, user_id) REFERENCES memberships (tenant_id, user_id) ON DELETE CASCADE
);
CREATE INDEX sessions_member_idx ON sessions (tenant_id, user_id);

CREATE TABLE invitations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  email text NOT NULL CHECK (email = lower(email)),
  role text NOT NULL CHECK (role IN ('admin', 'member')),
  token_hash bytea NOT NULL UNIQUE,
  invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz
);
CREATE INDEX invitations_tenant_idx ON invitations (tenant_id);

CREATE TABLE connections (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  provider text NOT NULL CHECK (provider IN ('demo', 'jira', 'linear', 'gmail', 'salesforce', 'zendesk', 'github')),
  label text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
  config jsonb NOT NULL DEFAULT '{}',
  schedule text,
  -- AES-256-GCM envelope bound to (tenant, connection, field); the key id is inside.
  credentials text,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'error', 'disconnected')),
  last_scan_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id)
);

CREATE TABLE scans (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL,
  connection_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  queued_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  cursor_before jsonb,
  cursor_after jsonb,
  items_seen integer NOT NULL DEFAULT 0,
  events_added integer NOT NULL DEFAULT 0,
  requests_made integer NOT NULL DEFAULT 0,
  error_code text,
  error_message text,
  FOREIGN KEY (tenant_id, connection_id) REFERENCES connections (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX scans_connection_idx ON scans (tenant_id, connection_id, queued_at DESC);

CREATE TABLE actors (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL,
  connection_id uuid NOT NULL,
  external_id text NOT NULL,
  display_name text NOT NULL,
  UNIQUE (tenant_id, connection_id, external_id),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, connection_id) REFERENCES connections (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE work_items (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL,
  connection_id uuid NOT NULL,
  external_id text NOT NULL,
  container text NOT NULL,
  item_type text NOT NULL,
  created_at timestamptz NOT NULL,
  closed_at timestamptz,
  status text NOT NULL,
  priority text,
  assignee_id uuid,
  labels text[] NOT NULL DEFAULT '{}',
  UNIQUE (tenant_id, connection_id, external_id),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, connection_id) REFERENCES connections (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, assignee_id) REFERENCES actors (tenant_id, id)
);
CREATE INDEX work_items_container_idx ON work_items (tenant_id, connection_id, container);

CREATE TABLE events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL,
  connection_id uuid NOT NULL,
  work_item_id uuid NOT NULL,
  external_id text NOT NULL,
  occurred_at timestamptz NOT NULL,
  actor_id uuid,
  type text NOT NULL CHECK (type IN ('created', 'status_changed', 'assigned', 'priority_changed', 'labeled', 'unlabeled', 'closed', 'reopened')),
  field text,
  from_value text,
  to_value text,
  UNIQUE (tenant_id, connection_id, external_id),
  FOREIGN KEY (tenant_id, connection_id) REFERENCES connections (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, work_item_id) REFERENCES work_items (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, actor_id) REFERENCES actors (tenant_id, id)
);
CREATE INDEX events_item_time_idx ON events (tenant_id, work_item_id, occurred_at);
CREATE INDEX events_time_idx ON events (tenant_id, connection_id, occurred_at);

CREATE TABLE scan_outputs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  scope text NOT NULL,
  computed_at timestamptz NOT NULL DEFAULT now(),
  output jsonb NOT NULL
);
CREATE INDEX scan_outputs_scope_idx ON scan_outputs (tenant_id, scope, computed_at DESC);

CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  actor_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  action text NOT NULL,
  target_type text,
  target_id text,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_tenant_idx ON audit_log (tenant_id, occurred_at DESC);

-- Row-level security: one policy shape for every tenant table.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['sessions', 'invitations', 'connections', 'scans', 'actors', 'work_items', 'events', 'scan_outputs', 'audit_log'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id())', t);
  END LOOP;
END $$;

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants USING (id = current_tenant_id()) WITH CHECK (id = current_tenant_id());

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON memberships USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
-- At sign-in a person may list their own memberships before a tenant is chosen.
CREATE POLICY own_memberships ON memberships FOR SELECT USING (user_id = current_app_user_id());

-- Maps an external organization (OIDC claim) to its tenant without opening tenants to the runtime role.
CREATE FUNCTION tenant_id_for_external_org(org text) RETURNS uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$ SELECT id FROM tenants WHERE external_org_id = org $$;
REVOKE ALL ON FUNCTION tenant_id_for_external_org(text) FROM PUBLIC;

-- Housekeeping across tenants for the scheduler: removes only sessions that can no longer be used.
CREATE FUNCTION purge_ended_sessions() RETURNS integer
  LANGUAGE sql SECURITY DEFINER SET search_path = public
  AS $$ WITH gone AS (DELETE FROM sessions WHERE revoked_at IS NOT NULL OR expires_at < now() RETURNING 1) SELECT count(*)::int FROM gone $$;
REVOKE ALL ON FUNCTION purge_ended_sessions() FROM PUBLIC;

GRANT USAGE ON SCHEMA public TO twinflow_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, users, memberships, sessions, invitations,
  connections, scans, actors, work_items, events, scan_outputs TO twinflow_runtime;
-- The audit log is append-only for the application.
GRANT SELECT, INSERT ON audit_log TO twinflow_runtime;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO twinflow_runtime;
GRANT EXECUTE ON FUNCTION current_tenant_id(), current_app_user_id(), tenant_id_for_external_org(text), purge_ended_sessions() TO twinflow_runtime;

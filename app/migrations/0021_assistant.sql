-- The assistant: conversations about one scope (a connection, or one of its projects), each
-- person's own; every request sent to Claude, kept byte for byte with its usage, so "What was
-- sent" shows exactly what left the server and an organization's use can be counted.

-- Off by default: people appear to Claude as stable pseudonyms ("Person 3") unless the owner
-- turns their names on.
ALTER TABLE tenants ADD COLUMN ai_shows_names boolean NOT NULL DEFAULT false;

CREATE TABLE ai_conversations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  connection_id uuid NOT NULL,
  -- A project, repository or queue of the connection, or '' for all of it.
  scope text NOT NULL CHECK (length(scope) <= 300),
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, connection_id) REFERENCES connections (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX ai_conversations_person_idx ON ai_conversations (tenant_id, user_id, connection_id, updated_at DESC);

CREATE TABLE ai_requests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  purpose text NOT NULL CHECK (purpose IN ('chat', 'ticket_draft')),
  model text NOT NULL,
  -- Exactly the bytes sent as the request body.
  request_body text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  input_tokens integer,
  output_tokens integer,
  error_code text,
  -- TwinFlow's own words for the user, never the API's.
  error_message text CHECK (length(error_message) <= 500),
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  UNIQUE (tenant_id, id)
);
CREATE INDEX ai_requests_month_idx ON ai_requests (tenant_id, started_at);

CREATE TABLE ai_messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  conversation_id uuid NOT NULL,
  role text NOT NULL CHECK (role IN ('user', 'assistant')),
  content text NOT NULL CHECK (length(content) <= 100000),
  -- The request that carried the question, or that the answer came back on.
  request_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  FOREIGN KEY (tenant_id, conversation_id) REFERENCES ai_conversations (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, request_id) REFERENCES ai_requests (tenant_id, id)
);
CREATE INDEX ai_messages_conversation_idx ON ai_messages (tenant_id, conversation_id, created_at);

-- A person's pseudonym stays the same across scans and conversations.
CREATE TABLE ai_pseudonyms (
  tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  person_key text NOT NULL CHECK (length(person_key) <= 300),
  number integer NOT NULL CHECK (number > 0),
  PRIMARY KEY (tenant_id, person_key),
  UNIQUE (tenant_id, number)
);

ALTER TABLE ai_requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ai_requests USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
ALTER TABLE ai_pseudonyms ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ai_pseudonyms USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());
-- Conversations are one person's: the tenant and the person must both match.
ALTER TABLE ai_conversations ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_conversations ON ai_conversations
  USING (tenant_id = current_tenant_id() AND user_id = current_app_user_id())
  WITH CHECK (tenant_id = current_tenant_id() AND user_id = current_app_user_id());
ALTER TABLE ai_messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_messages ON ai_messages
  USING (tenant_id = current_tenant_id() AND user_id = current_app_user_id())
  WITH CHECK (tenant_id = current_tenant_id() AND user_id = current_app_user_id());

GRANT SELECT, INSERT, UPDATE, DELETE ON ai_conversations, ai_messages, ai_pseudonyms TO twinflow_runtime;
-- What was sent is a record: the application adds requests and finishes them, never rewrites the body.
GRANT SELECT, INSERT, DELETE ON ai_requests TO twinflow_runtime;
GRANT UPDATE (status, attempts, input_tokens, output_tokens, error_code, error_message, finished_at) ON ai_requests TO twinflow_runtime;

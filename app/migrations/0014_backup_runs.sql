-- What the backup process did: each dump, off-site upload and restore drill, with its outcome.
-- Not tenant data: one installation's operations record, written by the backup process as the
-- owner role. The runtime role may only read the times and sizes, for the status it shows.
CREATE TABLE backup_runs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('backup', 'offsite', 'drill')),
  status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  -- The dump's file name (backup, drill) or object key (offsite).
  target text,
  size_bytes bigint,
  -- Step outcomes and timings, e.g. {"gates": {"sizeFloor": "passed", ...}, "seconds": {...}}.
  details jsonb NOT NULL DEFAULT '{}',
  -- One scrubbed line: which step failed and why.
  error text
);
CREATE INDEX backup_runs_kind_finished_idx ON backup_runs (kind, finished_at DESC);

-- A value the backup writes before each dump; the restore drill finds it in the restored copy.
CREATE TABLE backup_canaries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  token text NOT NULL UNIQUE,
  written_at timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT (kind, status, started_at, finished_at, size_bytes) ON backup_runs TO twinflow_runtime;

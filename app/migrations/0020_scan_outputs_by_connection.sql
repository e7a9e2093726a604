-- The outputs one analysis stored for a connection (its own and each project's) share their
-- computed_at; the analytics pages list the projects from them on every view. Versions
-- accumulate with every scan, so they are found by index, not by reading every version.
CREATE INDEX scan_outputs_connection_idx ON scan_outputs (connection_id, computed_at);

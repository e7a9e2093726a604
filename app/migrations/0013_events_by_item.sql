-- One index serves what two did: a connection's events in item and time order (how the
-- analysis and the export read them, without a sort) and the cascade from a deleted item.
-- The time-only index served no query; every event paid for it at ingest.
CREATE INDEX events_connection_item_time_idx ON events (tenant_id, connection_id, work_item_id, occurred_at);
DROP INDEX events_item_time_idx;
DROP INDEX events_time_idx;

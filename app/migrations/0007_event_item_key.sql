-- An event belongs to an item of the same connection: one composite foreign key says so,
-- and replaces the two separate checks (connection, item) every ingested event paid for.
ALTER TABLE work_items ADD CONSTRAINT work_items_tenant_connection_id_key UNIQUE (tenant_id, connection_id, id);
ALTER TABLE events
  DROP CONSTRAINT events_tenant_id_connection_id_fkey,
  DROP CONSTRAINT events_tenant_id_work_item_id_fkey,
  ADD CONSTRAINT events_item_fkey FOREIGN KEY (tenant_id, connection_id, work_item_id)
    REFERENCES work_items (tenant_id, connection_id, id) ON DELETE CASCADE;

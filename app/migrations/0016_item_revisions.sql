-- An analytics cache of a connection's items needs to know which items changed since it last
-- read them, and whether any was deleted since, without reading every item again.
--
-- Every ingest page bumps its connection's data_revision in its own transaction and stamps
-- the items it upserts, or adds events to, with the new value. The row lock of that update
-- serializes one connection's pages, so revisions commit in increasing order: a reader that
-- has seen revision r finds everything since in `revision > r`. Deletes leave no row to
-- stamp; they move items_deleted_revision instead.
ALTER TABLE connections
  ADD COLUMN data_revision bigint NOT NULL DEFAULT 0,
  ADD COLUMN items_deleted_revision bigint NOT NULL DEFAULT 0;

ALTER TABLE work_items ADD COLUMN revision bigint NOT NULL DEFAULT 0;
CREATE INDEX work_items_revision_idx ON work_items (connection_id, revision);

-- As the owner, like the foreign key's cascade: the deleted items are the ones row-level
-- security let the statement delete, and their events go with them whoever deleted them.
-- Each connection that lost items gets a new revision, recorded as the one at which items
-- were last deleted. A connection being deleted itself is already gone, and is not updated.
-- The update waits for a page of that connection in progress; a page waits for the deleted
-- items' row locks. So whoever deletes items while the connection may be scanning locks the
-- connection first, as disconnecting does, or one of the two ends as a deadlock.
CREATE OR REPLACE FUNCTION delete_events_of_deleted_items() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
  AS $$
BEGIN
  DELETE FROM events e
   USING deleted_items d
   WHERE e.tenant_id = d.tenant_id AND e.connection_id = d.connection_id AND e.work_item_id = d.id;
  UPDATE connections c
     SET data_revision = c.data_revision + 1, items_deleted_revision = c.data_revision + 1
    FROM (SELECT DISTINCT tenant_id, connection_id FROM deleted_items) d
   WHERE c.tenant_id = d.tenant_id AND c.id = d.connection_id;
  RETURN NULL;
END $$;

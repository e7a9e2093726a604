-- A backfill ingests a million events. Each one paid for a lookup and a row lock on its
-- item (the foreign key) and for an index entry on a surrogate id no query looks up.
--
-- The link to the item is kept by the one code path that writes events (ingest): it names
-- only items that its own upsert returned or that it locked FOR KEY SHARE, in the same
-- transaction, as the foreign key's check did. Deleting items still deletes their events,
-- through the trigger below, once per statement rather than once per event.
ALTER TABLE events DROP CONSTRAINT events_item_fkey;

-- An event is known by its connection and its id at the provider (the unique key ingest
-- upserts on); `id` stays, unindexed, as the order in which events that share a time were
-- ingested.
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events REPLICA IDENTITY USING INDEX events_tenant_id_connection_id_external_id_key;

-- Only the events' foreign keys (this one and the first one) used these; every item paid for them.
ALTER TABLE work_items DROP CONSTRAINT work_items_tenant_connection_id_key;
ALTER TABLE work_items DROP CONSTRAINT work_items_tenant_id_id_key;

-- As the owner, like the foreign key's cascade: the deleted items are the ones row-level
-- security let the statement delete, and their events go with them whoever deleted them.
CREATE FUNCTION delete_events_of_deleted_items() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public
  AS $$
BEGIN
  DELETE FROM events e
   USING deleted_items d
   WHERE e.tenant_id = d.tenant_id AND e.connection_id = d.connection_id AND e.work_item_id = d.id;
  RETURN NULL;
END $$;

CREATE TRIGGER work_items_delete_events
  AFTER DELETE ON work_items
  REFERENCING OLD TABLE AS deleted_items
  FOR EACH STATEMENT EXECUTE FUNCTION delete_events_of_deleted_items();

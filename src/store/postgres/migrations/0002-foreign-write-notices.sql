-- What an engine must learn of at once when another writer commits it (Store.foreignWrites): an
-- engine process joining the store, and a search attribute type registered, changed or removed.
-- Each such row change sends a notice on channel reprise_writes, with the schema and the writer
-- (the reprise.writer setting each store's connections carry; empty for any other client) as its
-- payload. A transaction sends one notice for any number of equal ones, at its commit.
CREATE FUNCTION notify_foreign_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(
    'reprise_writes',
    TG_TABLE_SCHEMA || ' ' || coalesce(current_setting('reprise.writer', true), '')
  );
  RETURN NULL;
END
$$;

CREATE TRIGGER engine_process_joined AFTER INSERT ON engine_processes
  FOR EACH ROW EXECUTE FUNCTION notify_foreign_write();

CREATE TRIGGER search_attribute_type_changed AFTER INSERT OR UPDATE OR DELETE
  ON search_attribute_types FOR EACH ROW EXECUTE FUNCTION notify_foreign_write();

-- A namespace's record: what `reprise namespace describe` shows. Its description ('' when its
-- creator gave none) and when it was created (epoch ms). Namespaces from before this migration
-- take the time their database was created (migration 1's): exact for `default`, which that
-- migration made, and no database got another without its store being called by hand.
ALTER TABLE namespaces ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE namespaces ADD COLUMN created_at_ms BIGINT;
UPDATE namespaces SET created_at_ms =
  coalesce((SELECT applied_at_ms FROM schema_migrations WHERE version = 1), 0);
ALTER TABLE namespaces ALTER COLUMN created_at_ms SET NOT NULL;
-- A row written without one (by hand, or by a tool) is created now.
ALTER TABLE namespaces ALTER COLUMN created_at_ms
  SET DEFAULT (floor(extract(epoch FROM clock_timestamp()) * 1000))::bigint;

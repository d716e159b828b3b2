-- A namespace's record: what `reprise namespace describe` shows. Its description ('' when its
-- creator gave none) and when it was created (epoch ms). Namespaces from before this migration
-- take the time their database was created (migration 1's): exact for `default`, which that
-- migration made, and no database got another without its store being called by hand.
ALTER TABLE namespaces ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE namespaces ADD COLUMN created_at_ms INTEGER NOT NULL DEFAULT 0;
UPDATE namespaces SET created_at_ms =
  coalesce((SELECT applied_at_ms FROM schema_migrations WHERE version = 1), 0);

-- The custom search attributes of each namespace, each with its one type (Temporal's
-- per-namespace registry: Keyword, Int, Double, Bool, Datetime or KeywordList). The engine
-- registers a name the first time a write carries it, from its value (or its typed key), in that
-- write's transaction, and refuses a later value of another type (engine/search-attribute-types.ts).
CREATE TABLE search_attribute_types (
  namespace TEXT NOT NULL REFERENCES namespaces (name),
  name TEXT NOT NULL,
  type TEXT NOT NULL,
  PRIMARY KEY (namespace, name)
) WITHOUT ROWID;

-- A database from before the registry: each name takes the type of the first value stored,
-- the earliest started run's (then the schedules', in id order), as the operator check inferred
-- it (a string as `toISOString()` writes it is a Datetime), except that any number is a Double,
-- as a new name's number registers (protocol/search-attribute-types.ts). Where runs hold one name
-- with two types, later values of the other type are refused from now on (docs/visibility.md).
INSERT INTO search_attribute_types (namespace, name, type)
SELECT namespace, name, type FROM (
  SELECT namespace, name, type,
    row_number() OVER (PARTITION BY namespace, name ORDER BY source, position, tie) AS n
  FROM (
    SELECT namespace, name, source, position, tie, CASE json_type
        WHEN 'array' THEN 'KeywordList' WHEN 'integer' THEN 'Double' WHEN 'real' THEN 'Double'
        WHEN 'true' THEN 'Bool' WHEN 'false' THEN 'Bool'
        WHEN 'text' THEN CASE WHEN value GLOB
          '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'
          THEN 'Datetime' ELSE 'Keyword' END
      END AS type
    FROM (
      SELECT r.namespace, a.key AS name, a.type AS json_type, a.value, 0 AS source,
        r.start_time_ms AS position, r.rowid AS tie
      FROM runs r, json_each(r.search_attributes) a
      WHERE r.search_attributes IS NOT NULL
      UNION ALL
      SELECT s.namespace, a.key, a.type, a.value, 1, s.schedule_id, 0
      FROM schedules s, json_each(s.search_attributes) a
      WHERE s.search_attributes IS NOT NULL
    )
  )
  WHERE type IS NOT NULL
)
WHERE n = 1;

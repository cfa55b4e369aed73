-- bench/snapshot: the schema a copy must reproduce, one line per object: tables (with partition
-- bounds), sequences, indexes (their definitions) and constraints (definition, and whether they are
-- validated). Tools' own schemas are left out.
WITH rel AS (
    SELECT c.oid, c.relname, c.relkind, c.relpartbound, n.nspname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'sluice', 'pgcopydb')
      AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
)
SELECT line FROM (
    SELECT 'table ' || nspname || '.' || relname || ' ' || relkind::text
           || coalesce(' ' || pg_get_expr(relpartbound, oid), '') AS line
    FROM rel WHERE relkind IN ('r', 'p')
    UNION ALL
    SELECT 'sequence ' || nspname || '.' || relname FROM rel WHERE relkind = 'S'
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(rel.oid) FROM rel WHERE relkind IN ('i', 'I')
    UNION ALL
    SELECT 'constraint ' || rel.nspname || '.' || rel.relname || ' ' || con.conname || ' '
           || pg_get_constraintdef(con.oid) || CASE WHEN con.convalidated THEN '' ELSE ' NOT VALID' END
    FROM pg_constraint con JOIN rel ON rel.oid = con.conrelid
) s
ORDER BY line;

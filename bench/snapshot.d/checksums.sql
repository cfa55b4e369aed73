-- bench/snapshot: for every table that holds rows (partitions one by one), its name, row count and
-- a checksum of its rows: the sum of a 60-bit hash (the first 15 hex digits of the md5 of the row's
-- text) over all rows, so no single string holds a whole table. Tools' own schemas are left out.
SELECT format('SELECT %L, count(*), coalesce(sum((''x'' || substr(md5(t::text), 1, 15))::bit(60)::bigint), 0) FROM ONLY %s t',
              n.nspname || '.' || c.relname, c.oid::regclass)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'sluice', 'pgcopydb')
  AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
ORDER BY n.nspname, c.relname
\gexec

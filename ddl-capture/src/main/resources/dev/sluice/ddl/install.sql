-- Sluice DDL capture: event triggers that put each schema change into the WAL as a transactional
-- logical message (prefix 'sluice.ddl'), in commit order with the rows around it.
-- Installed by `sluice init`, removed by `sluice destroy`. Every statement is idempotent.

CREATE SCHEMA IF NOT EXISTS sluice;
GRANT USAGE ON SCHEMA sluice TO PUBLIC;

-- One row per publication Sluice keeps up to date: new tables matching its patterns join it.
-- Patterns are POSIX regular expressions over 'schema.table'.
CREATE TABLE IF NOT EXISTS sluice.ddl_publications (
    publication text PRIMARY KEY,
    include_patterns text[] NOT NULL,
    exclude_patterns text[] NOT NULL
);
-- Readable by all, so that a later run as a user without the installer's rights can see that it
-- is installed as it wants it (patterns are not secrets).
GRANT SELECT ON sluice.ddl_publications TO PUBLIC;

-- sql_drop fires before ddl_command_end of the same command, and is the only place that still
-- sees what was dropped: keep it for the command's message in a transaction-local setting.
CREATE OR REPLACE FUNCTION sluice.on_sql_drop() RETURNS event_trigger
LANGUAGE plpgsql AS $body$
DECLARE
    dropped jsonb;
BEGIN
    SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'type', d.object_type,
               'identity', d.object_identity,
               'schema', d.schema_name,
               'names', pg_catalog.to_jsonb(d.address_names))), '[]'::jsonb)
      INTO dropped
      FROM pg_catalog.pg_event_trigger_dropped_objects() d
     WHERE d.original
       AND NOT d.is_temporary
       AND coalesce(d.schema_name, '') <> 'sluice';
    PERFORM pg_catalog.set_config('sluice.dropped',
        (coalesce(nullif(pg_catalog.current_setting('sluice.dropped', true), ''), '[]')::jsonb
            OPERATOR(pg_catalog.||) dropped)::text,
        true);
END
$body$;

-- Runs as the user who ran the command, so that it reads that user's search_path; everything
-- else happens in sluice.capture_ddl, which runs with its owner's rights.
CREATE OR REPLACE FUNCTION sluice.on_ddl_command_end() RETURNS event_trigger
LANGUAGE plpgsql AS $body$
BEGIN
    PERFORM sluice.capture_ddl(tg_tag, pg_catalog.current_setting('search_path'));
END
$body$;

CREATE OR REPLACE FUNCTION sluice.capture_ddl(command_tag text, caller_search_path text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $body$
DECLARE
    dropped jsonb := coalesce(nullif(current_setting('sluice.dropped', true), ''), '[]')::jsonb;
    touched jsonb;
    relids oid[];
    objects jsonb;
    tables jsonb;
    published jsonb := '[]'::jsonb;
    unpublished jsonb := '[]'::jsonb;
    query_key text;
    query_text text;
    t record;
    p record;
BEGIN
    PERFORM set_config('sluice.dropped', '', true);
    -- Publications (Sluice's own among them: it adds tables to one below) and privileges are not
    -- replicated: a target has neither the publications nor the roles.
    IF command_tag IN ('CREATE PUBLICATION', 'ALTER PUBLICATION', 'DROP PUBLICATION', 'CREATE SUBSCRIPTION',
                       'ALTER SUBSCRIPTION', 'DROP SUBSCRIPTION', 'GRANT', 'REVOKE', 'ALTER DEFAULT PRIVILEGES') THEN
        RETURN;
    END IF;

    -- What the command touched, each with the table it belongs to: Sluice's own objects, temporary
    -- objects and objects of extensions are not replicated. (No temporary table here: creating one
    -- would fire this trigger again.)
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'type', c.object_type,
               'identity', c.object_identity,
               'schema', c.schema_name,
               'relid', CASE c.classid
                   WHEN 'pg_class'::regclass THEN
                       (SELECT CASE WHEN r.relkind IN ('i', 'I')
                                        THEN (SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = r.oid)
                                    WHEN r.relkind = 'S'
                                        THEN (SELECT d.refobjid FROM pg_depend d
                                               WHERE d.classid = 'pg_class'::regclass AND d.objid = r.oid
                                                 AND d.refclassid = 'pg_class'::regclass
                                                 AND d.deptype IN ('a', 'i') LIMIT 1)
                                    WHEN r.relkind = 'c' THEN NULL
                                    ELSE r.oid END
                          FROM pg_class r WHERE r.oid = c.objid)
                   WHEN 'pg_constraint'::regclass THEN
                       (SELECT nullif(k.conrelid, 0) FROM pg_constraint k WHERE k.oid = c.objid)
                   WHEN 'pg_trigger'::regclass THEN
                       (SELECT g.tgrelid FROM pg_trigger g WHERE g.oid = c.objid)
                   WHEN 'pg_rewrite'::regclass THEN
                       (SELECT w.ev_class FROM pg_rewrite w WHERE w.oid = c.objid)
                   WHEN 'pg_attrdef'::regclass THEN
                       (SELECT a.adrelid FROM pg_attrdef a WHERE a.oid = c.objid)
                   WHEN 'pg_policy'::regclass THEN
                       (SELECT o.polrelid FROM pg_policy o WHERE o.oid = c.objid)
               END)), '[]'::jsonb)
      INTO touched
      FROM pg_event_trigger_ddl_commands() c
     WHERE NOT c.in_extension
       AND coalesce(c.schema_name, '') <> 'sluice'
       AND coalesce(c.schema_name, '') NOT LIKE 'pg\_temp%';

    IF jsonb_array_length(touched) = 0 AND jsonb_array_length(dropped) = 0 THEN
        RETURN;
    END IF;

    SELECT array_agg(DISTINCT o.relid) INTO relids
      FROM jsonb_to_recordset(touched) AS o(relid oid)
     WHERE o.relid IS NOT NULL;

    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'type', o.type,
               'identity', o.identity,
               'schema', o.schema,
               'table', CASE WHEN r.oid IS NULL THEN NULL
                             ELSE jsonb_build_array(n.nspname, r.relname) END)), '[]'::jsonb)
      INTO objects
      FROM jsonb_to_recordset(touched) AS o(type text, identity text, schema text, relid oid)
      LEFT JOIN pg_class r ON r.oid = o.relid AND r.relkind IN ('r', 'p', 'v', 'm', 'f')
      LEFT JOIN pg_namespace n ON n.oid = r.relnamespace;

    -- The tables' definitions after the command.
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'schema', n.nspname,
               'name', r.relname,
               'columns', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                   'name', a.attname,
                                   'type', format_type(a.atttypid, a.atttypmod),
                                   'not_null', a.attnotnull,
                                   'default', pg_get_expr(d.adbin, d.adrelid),
                                   'identity', a.attidentity,
                                   'generated', a.attgenerated) ORDER BY a.attnum), '[]'::jsonb)
                             FROM pg_attribute a
                             LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                            WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped),
               'primary_key', (SELECT coalesce(jsonb_agg(a.attname ORDER BY k.ord), '[]'::jsonb)
                                 FROM pg_index i
                                 CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                                WHERE i.indrelid = r.oid AND i.indisprimary))), '[]'::jsonb)
      INTO tables
      FROM pg_class r
      JOIN pg_namespace n ON n.oid = r.relnamespace
     WHERE r.relkind IN ('r', 'p')
       AND r.oid = ANY (coalesce(relids, '{}'));

    -- Tables that match a publication's patterns but are not in it join it, in this transaction,
    -- so that they replicate from their first row: new tables, renamed ones, and partitions just
    -- detached (which the command does not report as touched, hence all tables, not only those).
    -- A table without a key stays out: publishing it would make its UPDATE and DELETE fail on the
    -- source.
    FOR t IN
        SELECT r.oid, n.nspname || '.' || r.relname AS name
          FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace
         WHERE command_tag IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'ALTER TABLE')
           AND r.relkind IN ('r', 'p') AND r.relpersistence = 'p' AND NOT r.relispartition
           AND n.nspname NOT IN ('sluice', 'pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
    LOOP
        FOR p IN
            SELECT d.publication FROM sluice.ddl_publications d
             WHERE (cardinality(d.include_patterns) = 0 OR t.name ~ ANY (d.include_patterns))
               AND NOT (t.name ~ ANY (d.exclude_patterns))
               AND EXISTS (SELECT 1 FROM pg_publication b WHERE b.pubname = d.publication)
               AND NOT EXISTS (SELECT 1 FROM pg_publication_rel pr
                                 JOIN pg_publication b ON b.oid = pr.prpubid
                                WHERE b.pubname = d.publication AND pr.prrelid = t.oid)
        LOOP
            IF NOT EXISTS (
                SELECT 1 FROM pg_class r
                 WHERE r.oid = t.oid
                   AND (r.relreplident = 'f'
                        OR (r.relreplident = 'd' AND EXISTS (SELECT 1 FROM pg_index i
                                                              WHERE i.indrelid = r.oid AND i.indisprimary))
                        OR (r.relreplident = 'i' AND EXISTS (SELECT 1 FROM pg_index i
                                                              WHERE i.indrelid = r.oid AND i.indisreplident)))) THEN
                -- Said once, by the command that touched it, not by every later one.
                IF t.oid = ANY (coalesce(relids, '{}')) THEN
                    unpublished := unpublished || jsonb_build_object(
                        'publication', p.publication, 'table', t.name, 'reason', 'no primary key or replica identity');
                END IF;
                CONTINUE;
            END IF;
            BEGIN
                EXECUTE format('ALTER PUBLICATION %I ADD TABLE %s', p.publication, t.oid::regclass);
                published := published || jsonb_build_object('publication', p.publication, 'table', t.name);
            EXCEPTION WHEN insufficient_privilege THEN
                unpublished := unpublished || jsonb_build_object(
                    'publication', p.publication, 'table', t.name, 'reason', SQLERRM);
                RAISE WARNING 'sluice: table % was not added to publication %: %', t.name, p.publication, SQLERRM
                    USING HINT = 'Add it as the owner of the table and the publication: ALTER PUBLICATION '
                        || quote_ident(p.publication) || ' ADD TABLE ' || t.oid::regclass::text;
            END;
        END LOOP;
    END LOOP;

    -- A query string may hold several commands, each firing this trigger: send its text once per
    -- transaction; the messages after it say it is the same.
    query_text := current_query();
    query_key := statement_timestamp()::text || ' ' || md5(coalesce(query_text, ''));
    IF current_setting('sluice.query_key', true) IS NOT DISTINCT FROM query_key THEN
        query_text := NULL;
    ELSE
        PERFORM set_config('sluice.query_key', query_key, true);
    END IF;

    PERFORM pg_logical_emit_message(true, 'sluice.ddl', jsonb_build_object(
        'version', 1,
        'tag', command_tag,
        'query', query_text,
        'query_key', query_key,
        'search_path', caller_search_path,
        'objects', objects,
        'dropped', dropped,
        'tables', tables,
        'published', published,
        'unpublished', unpublished)::text);
END
$body$;

-- The version of this script, so that a later start sees there is nothing to install.
COMMENT ON FUNCTION sluice.capture_ddl(text, text) IS 'sluice ddl capture 1';

REVOKE ALL ON FUNCTION sluice.capture_ddl(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sluice.capture_ddl(text, text) TO PUBLIC;

DO $do$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname = 'sluice_ddl_command_end') THEN
        CREATE EVENT TRIGGER sluice_ddl_command_end ON ddl_command_end
            EXECUTE FUNCTION sluice.on_ddl_command_end();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger WHERE evtname = 'sluice_sql_drop') THEN
        CREATE EVENT TRIGGER sluice_sql_drop ON sql_drop
            EXECUTE FUNCTION sluice.on_sql_drop();
    END IF;
END
$do$;

-- Removes Sluice's DDL capture from the source (run by `sluice destroy` when no other pipeline
-- of this database still uses it).
DROP EVENT TRIGGER IF EXISTS sluice_ddl_command_end;
DROP EVENT TRIGGER IF EXISTS sluice_sql_drop;
DROP FUNCTION IF EXISTS sluice.on_ddl_command_end();
DROP FUNCTION IF EXISTS sluice.on_sql_drop();
DROP FUNCTION IF EXISTS sluice.capture_ddl(text, text);
DROP TABLE IF EXISTS sluice.ddl_publications;

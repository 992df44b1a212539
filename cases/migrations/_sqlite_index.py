"""SQLite has no deferrable unique constraints; (source, case id) is enforced by this index there."""

CREATE = "CREATE UNIQUE INDEX IF NOT EXISTS case_id_unique_per_source_sqlite ON cases_caserecord (source_id, case_id)"
DROP = "DROP INDEX IF EXISTS case_id_unique_per_source_sqlite"

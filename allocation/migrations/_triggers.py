"""Trigger SQL shared by migrations (not a migration itself: the name starts with _)."""

SQLITE_RUN_TRIGGERS = [
    "DROP TRIGGER IF EXISTS allocationrun_immutable",
    """CREATE TRIGGER allocationrun_immutable BEFORE UPDATE ON allocation_allocationrun
    FOR EACH ROW WHEN OLD.is_charging
    BEGIN SELECT RAISE(ABORT, 'charging run cannot be changed'); END""",
    "DROP TRIGGER IF EXISTS runamount_immutable",
    """CREATE TRIGGER runamount_immutable BEFORE UPDATE ON allocation_runamount
    FOR EACH ROW WHEN (SELECT is_charging FROM allocation_allocationrun WHERE id = OLD.run_id)
    BEGIN SELECT RAISE(ABORT, 'the amounts of a charging run cannot be changed'); END""",
]

"""Decided effect-goal targets frozen in the database, on PostgreSQL and SQLite alike, the way
`_frozen` freezes keys (not a migration: the name starts with _). Raw SQL cannot:
- change a target set that is not a draft, except its status from proposed to approved or
  rejected, or from approved to superseded (nothing else in the row may change with it);
- delete a target set that is not a draft;
- insert, change or delete the targets of a set that is not a draft;
- change or delete a decision on a target set.
"""

from __future__ import annotations

from typing import Any

ALLOWED = "(OLD.status = 'proposed' AND NEW.status IN ('approved', 'rejected')) OR (OLD.status = 'approved' AND NEW.status = 'superseded')"
SET_OF = "(SELECT status FROM allocation_goaltargetset WHERE id = {row}.target_set_id) <> 'draft'"

PG_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION goal_frozen_set() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'allocation_goaltargetset % is decided: it cannot be deleted', OLD.id;
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status <> 'draft' AND NOT (({ALLOWED}) AND (to_jsonb(NEW) - 'status') = (to_jsonb(OLD) - 'status')) THEN
        RAISE EXCEPTION 'allocation_goaltargetset % is frozen: it cannot be changed', OLD.id;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION goal_frozen_target() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM allocation_goaltargetset s WHERE s.status <> 'draft'
        AND (s.id = CASE WHEN TG_OP = 'INSERT' THEN NEW.target_set_id ELSE OLD.target_set_id END
             OR (TG_OP = 'UPDATE' AND s.id = NEW.target_set_id))) THEN
        RAISE EXCEPTION 'the targets of a decided target set cannot be changed (%)', TG_OP;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION goal_frozen_decision() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a decision on a target set is a record: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
"""
PG_TRIGGERS = [
    ("goal_frozen_set", "allocation_goaltargetset", "UPDATE OR DELETE", "goal_frozen_set()"),
    ("goal_frozen_target", "allocation_goaltarget", "INSERT OR UPDATE OR DELETE", "goal_frozen_target()"),
    ("goal_frozen_decision", "allocation_goaltargetdecision", "UPDATE OR DELETE", "goal_frozen_decision()"),
]


def _abort(message: str) -> str:
    return f"BEGIN SELECT RAISE(ABORT, '{message}'); END"


def sqlite_triggers(cursor: Any) -> list[tuple[str, str]]:
    cursor.execute("PRAGMA table_info(allocation_goaltargetset)")
    same = " AND ".join(f"NEW.{row[1]} IS OLD.{row[1]}" for row in cursor.fetchall() if row[1] != "status")
    rules = [
        (
            "goal_frozen_set_update",
            "UPDATE ON allocation_goaltargetset",
            f"OLD.status <> 'draft' AND NOT (({ALLOWED}) AND {same})",
            "a decided target set is frozen: it cannot be changed",
        ),
        (
            "goal_frozen_set_delete",
            "DELETE ON allocation_goaltargetset",
            "OLD.status <> 'draft'",
            "a decided target set cannot be deleted",
        ),
        ("goal_frozen_target_insert", "INSERT ON allocation_goaltarget", SET_OF.format(row="NEW"), "targets frozen"),
        (
            "goal_frozen_target_update",
            "UPDATE ON allocation_goaltarget",
            f"{SET_OF.format(row='OLD')} OR {SET_OF.format(row='NEW')}",
            "targets frozen",
        ),
        ("goal_frozen_target_delete", "DELETE ON allocation_goaltarget", SET_OF.format(row="OLD"), "targets frozen"),
        ("goal_frozen_decision_update", "UPDATE ON allocation_goaltargetdecision", None, "a decision is a record"),
        ("goal_frozen_decision_delete", "DELETE ON allocation_goaltargetdecision", None, "a decision is a record"),
    ]
    return [
        (
            name,
            f"CREATE TRIGGER {name} BEFORE {event} FOR EACH ROW{f' WHEN {when}' if when else ''} {_abort(message)}",
        )
        for name, event, when, message in rules
    ]


def install(schema_editor: Any) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PG_FUNCTIONS)
            for name, table, events, call in PG_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                cursor.execute(f"CREATE TRIGGER {name} BEFORE {events} ON {table} FOR EACH ROW EXECUTE FUNCTION {call}")
        elif connection.vendor == "sqlite":
            for name, sql in sqlite_triggers(cursor):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(sql)


def remove(schema_editor: Any) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name, table, _events, _call in PG_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            for function in ("goal_frozen_set", "goal_frozen_target", "goal_frozen_decision"):
                cursor.execute(f"DROP FUNCTION IF EXISTS {function}()")
        elif connection.vendor == "sqlite":
            for name, _sql in sqlite_triggers(cursor):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")

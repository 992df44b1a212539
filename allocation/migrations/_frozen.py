"""The records that move money, frozen in the database on PostgreSQL and SQLite alike (DESIGN §4
"Frozen in the database"). Not a migration (the name starts with _): the SQL that migration 0015
installs, and that tests/allocation/test_frozen_records.py checks covers every column.

What raw SQL cannot do, whatever path it takes:
- change an allocation run at all (a simulation never becomes a charging run), or delete a
  charging run; insert an amount into a sealed run (RunSeal is written last when a run is made),
  change any run amount, or delete a charging run's amounts;
- change or delete an approved or superseded key (the one change allowed: approved → superseded,
  nothing else), or insert, change or delete its shares and load lines;
- change a settlement that is not a draft (proposed → approved/rejected is the one change), delete
  one that is not a draft, or touch the lines of a settlement that is not a draft;
- change or delete posting journal lines, postings, and the decisions on keys, settlements and prices;
- change an approved, rejected or superseded price (approved → superseded is the one change);
- delete or change a grouping-map version (or its entries) that an approved key's map date depends on:
  every non-draft version dated on or before an approved or superseded measured key's valid_from.

- empty a frozen table wholesale: on PostgreSQL a TRUNCATE (which row triggers never see) is
  refused by a statement trigger, on SQLite an unconditional DELETE meets the row triggers.

Emptying the whole database is an operator's act (Django's flush between tests, the demo's
start-over): `cases.maintenance.frozen_records_lifted` lifts the SQLite triggers and, on
PostgreSQL, sets `costshare.emptying` for the block, the one setting the TRUNCATE guard lets through.
"""

from __future__ import annotations

from typing import Any

FROZEN_KEY = "('approved', 'superseded')"
PROTECTED_VERSION = """NOT {v}.is_draft AND EXISTS (
    SELECT 1 FROM allocation_allocationkey k
    WHERE k.kind = 'measured' AND k.status IN ('approved', 'superseded') AND k.valid_from >= {v}.valid_from)"""

# The tables whose row may change in exactly one column, and the SQLite trigger that says so lists
# every other column: built from the table itself when the migration runs (a test checks coverage).
ONE_COLUMN_CHANGES = {
    "allocation_allocationkey": ("status", "OLD.status = 'approved' AND NEW.status = 'superseded'"),
    "allocation_settlement": ("status", "OLD.status = 'proposed' AND NEW.status IN ('approved', 'rejected')"),
    "allocation_poolprice": (
        "status",
        "(OLD.status = 'proposed' AND NEW.status IN ('approved', 'rejected'))"
        " OR (OLD.status = 'approved' AND NEW.status = 'superseded')",
    ),
}
FROZEN_WHEN = {
    "allocation_allocationkey": f"OLD.status IN {FROZEN_KEY}",
    "allocation_settlement": "OLD.status <> 'draft'",
    "allocation_poolprice": "1",
}
NEVER_CHANGED = [
    "allocation_posting",
    "allocation_journalline",
    "allocation_keydecision",
    "allocation_settlementdecision",
    "allocation_pricedecision",
]


def _abort(message: str) -> str:
    return f"BEGIN SELECT RAISE(ABORT, '{message}'); END"


def sqlite_columns(cursor: Any, table: str) -> list[str]:
    cursor.execute(f"PRAGMA table_info({table})")
    return [row[1] for row in cursor.fetchall()]


def sqlite_triggers(cursor: Any) -> list[tuple[str, str]]:
    """(name, CREATE TRIGGER …) for every frozen rule on SQLite."""
    out: list[tuple[str, str]] = []

    def add(name: str, table: str, event: str, when: str | None, message: str) -> None:
        condition = f" WHEN {when}" if when else ""
        out.append(
            (name, f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW{condition} {_abort(message)}")
        )

    for table, (column, allowed) in ONE_COLUMN_CHANGES.items():
        others = [c for c in sqlite_columns(cursor, table) if c != column]
        same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in others)
        short = table.removeprefix("allocation_")
        add(
            f"frozen_{short}_update",
            table,
            "UPDATE",
            f"{FROZEN_WHEN[table]} AND NOT (({allowed}) AND {same})",
            f"{short} is frozen: it cannot be changed",
        )
    add(
        "frozen_allocationkey_delete",
        "allocation_allocationkey",
        "DELETE",
        f"OLD.status IN {FROZEN_KEY}",
        "an approved key cannot be deleted",
    )
    for table in ("keyshare", "keyloadline"):
        key_of = "(SELECT status FROM allocation_allocationkey WHERE id = {row}.key_id) IN " + FROZEN_KEY
        message = "the shares and load lines of an approved key cannot be changed"
        add(f"frozen_{table}_insert", f"allocation_{table}", "INSERT", key_of.format(row="NEW"), message)
        add(
            f"frozen_{table}_update",
            f"allocation_{table}",
            "UPDATE",
            f"{key_of.format(row='OLD')} OR {key_of.format(row='NEW')}",
            message,
        )
        add(f"frozen_{table}_delete", f"allocation_{table}", "DELETE", key_of.format(row="OLD"), message)
    add("frozen_allocationrun_update", "allocation_allocationrun", "UPDATE", None, "an allocation run is never changed")
    add(
        "frozen_allocationrun_delete",
        "allocation_allocationrun",
        "DELETE",
        "OLD.is_charging",
        "a charging run is never deleted",
    )
    charging = "(SELECT is_charging FROM allocation_allocationrun WHERE id = {row}.run_id)"
    add(
        "frozen_runamount_insert",
        "allocation_runamount",
        "INSERT",
        "EXISTS (SELECT 1 FROM allocation_runseal s WHERE s.run_id = NEW.run_id)",
        "the run is sealed: no amount can be added",
    )
    add("frozen_runamount_update", "allocation_runamount", "UPDATE", None, "a run amount is never changed")
    add(
        "frozen_runamount_delete",
        "allocation_runamount",
        "DELETE",
        charging.format(row="OLD"),
        "the amounts of a charging run cannot be deleted",
    )
    add("frozen_runseal_update", "allocation_runseal", "UPDATE", None, "a run seal is never changed")
    add(
        "frozen_runseal_delete",
        "allocation_runseal",
        "DELETE",
        charging.format(row="OLD"),
        "the seal of a charging run is never removed",
    )
    add(
        "frozen_settlement_delete",
        "allocation_settlement",
        "DELETE",
        "OLD.status <> 'draft'",
        "only a draft settlement can be deleted",
    )
    line_of = "(SELECT status FROM allocation_settlement WHERE id = {row}.settlement_id) <> 'draft'"
    message = "the lines of a settlement that is not a draft cannot be changed"
    add("frozen_settlementline_insert", "allocation_settlementline", "INSERT", line_of.format(row="NEW"), message)
    add(
        "frozen_settlementline_update",
        "allocation_settlementline",
        "UPDATE",
        f"{line_of.format(row='OLD')} OR {line_of.format(row='NEW')}",
        message,
    )
    add("frozen_settlementline_delete", "allocation_settlementline", "DELETE", line_of.format(row="OLD"), message)
    add(
        "frozen_poolprice_delete", "allocation_poolprice", "DELETE", None, "a decided price is never deleted"
    )
    for table in NEVER_CHANGED:
        short = table.removeprefix("allocation_")
        add(f"frozen_{short}_update", table, "UPDATE", None, f"{short} is a record: never changed")
        add(f"frozen_{short}_delete", table, "DELETE", None, f"{short} is a record: never deleted")
    version = PROTECTED_VERSION.format(v="OLD")
    message = "the grouping map of an approved key depends on this map version"
    add("frozen_groupingmapversion_update", "cases_groupingmapversion", "UPDATE", version, message)
    add("frozen_groupingmapversion_delete", "cases_groupingmapversion", "DELETE", version, message)
    entry_of = (
        "EXISTS (SELECT 1 FROM cases_groupingmapversion v WHERE v.id = {row}.version_id AND "
        + PROTECTED_VERSION.format(v="v")
        + ")"
    )
    add("frozen_groupingmapentry_insert", "cases_groupingmapentry", "INSERT", entry_of.format(row="NEW"), message)
    add(
        "frozen_groupingmapentry_update",
        "cases_groupingmapentry",
        "UPDATE",
        f"{entry_of.format(row='OLD')} OR {entry_of.format(row='NEW')}",
        message,
    )
    add("frozen_groupingmapentry_delete", "cases_groupingmapentry", "DELETE", entry_of.format(row="OLD"), message)
    return out


# PostgreSQL: one function per rule; "only this column changed" compares the whole rows as jsonb,
# so a column added later is covered without a list.
PG_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION frozen_refuse() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is frozen: % refused (%)', TG_TABLE_NAME, TG_OP, TG_ARGV[0];
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION frozen_one_column_change() RETURNS trigger AS $$
DECLARE
    frozen boolean;
    allowed boolean;
BEGIN
    IF TG_TABLE_NAME = 'allocation_allocationkey' THEN
        frozen := OLD.status IN {FROZEN_KEY};
        allowed := OLD.status = 'approved' AND NEW.status = 'superseded';
    ELSIF TG_TABLE_NAME = 'allocation_settlement' THEN
        frozen := OLD.status <> 'draft';
        allowed := OLD.status = 'proposed' AND NEW.status IN ('approved', 'rejected');
    ELSE
        frozen := true;
        allowed := (OLD.status = 'proposed' AND NEW.status IN ('approved', 'rejected'))
                OR (OLD.status = 'approved' AND NEW.status = 'superseded');
    END IF;
    IF frozen AND NOT (allowed AND (to_jsonb(NEW) - 'status') = (to_jsonb(OLD) - 'status')) THEN
        RAISE EXCEPTION '% % is frozen: it cannot be changed', TG_TABLE_NAME, OLD.id;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION frozen_when() RETURNS trigger AS $$
DECLARE
    refuse boolean := false;
BEGIN
    IF TG_ARGV[0] = 'key' THEN
        refuse := OLD.status IN {FROZEN_KEY};
    ELSIF TG_ARGV[0] = 'key_child' THEN
        refuse := EXISTS (SELECT 1 FROM allocation_allocationkey k WHERE k.status IN {FROZEN_KEY}
            AND (k.id = CASE WHEN TG_OP = 'INSERT' THEN NEW.key_id ELSE OLD.key_id END
                 OR (TG_OP = 'UPDATE' AND k.id = NEW.key_id)));
    ELSIF TG_ARGV[0] = 'charging_run' THEN
        refuse := OLD.is_charging;
    ELSIF TG_ARGV[0] = 'charging_run_child' THEN
        refuse := EXISTS (SELECT 1 FROM allocation_allocationrun r WHERE r.id = OLD.run_id AND r.is_charging);
    ELSIF TG_ARGV[0] = 'sealed_run' THEN
        refuse := EXISTS (SELECT 1 FROM allocation_runseal s WHERE s.run_id = NEW.run_id);
    ELSIF TG_ARGV[0] = 'settlement' THEN
        refuse := OLD.status <> 'draft';
    ELSIF TG_ARGV[0] = 'settlement_child' THEN
        refuse := EXISTS (SELECT 1 FROM allocation_settlement s WHERE s.status <> 'draft'
            AND (s.id = CASE WHEN TG_OP = 'INSERT' THEN NEW.settlement_id ELSE OLD.settlement_id END
                 OR (TG_OP = 'UPDATE' AND s.id = NEW.settlement_id)));
    ELSIF TG_ARGV[0] = 'map_version' THEN
        refuse := NOT OLD.is_draft AND EXISTS (SELECT 1 FROM allocation_allocationkey k
            WHERE k.kind = 'measured' AND k.status IN {FROZEN_KEY} AND k.valid_from >= OLD.valid_from);
    ELSIF TG_ARGV[0] = 'map_entry' THEN
        refuse := EXISTS (SELECT 1 FROM cases_groupingmapversion v
            WHERE v.id IN (CASE WHEN TG_OP = 'INSERT' THEN NEW.version_id ELSE OLD.version_id END,
                           CASE WHEN TG_OP = 'UPDATE' THEN NEW.version_id ELSE NULL END)
              AND NOT v.is_draft AND EXISTS (SELECT 1 FROM allocation_allocationkey k
                  WHERE k.kind = 'measured' AND k.status IN {FROZEN_KEY} AND k.valid_from >= v.valid_from));
    END IF;
    IF refuse THEN
        RAISE EXCEPTION '% is frozen: % refused (%)', TG_TABLE_NAME, TG_OP, TG_ARGV[0];
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

# (trigger name, table, events, function call)
PG_TRIGGERS = [
    ("frozen_allocationkey_update", "allocation_allocationkey", "UPDATE", "frozen_one_column_change()"),
    ("frozen_allocationkey_delete", "allocation_allocationkey", "DELETE", "frozen_when('key')"),
    ("frozen_keyshare", "allocation_keyshare", "INSERT OR UPDATE OR DELETE", "frozen_when('key_child')"),
    ("frozen_keyloadline", "allocation_keyloadline", "INSERT OR UPDATE OR DELETE", "frozen_when('key_child')"),
    ("frozen_allocationrun_update", "allocation_allocationrun", "UPDATE", "frozen_refuse('run')"),
    ("frozen_allocationrun_delete", "allocation_allocationrun", "DELETE", "frozen_when('charging_run')"),
    ("frozen_runamount_insert", "allocation_runamount", "INSERT", "frozen_when('sealed_run')"),
    ("frozen_runamount_update", "allocation_runamount", "UPDATE", "frozen_refuse('run amount')"),
    ("frozen_runamount_delete", "allocation_runamount", "DELETE", "frozen_when('charging_run_child')"),
    ("frozen_runseal_update", "allocation_runseal", "UPDATE", "frozen_refuse('seal')"),
    ("frozen_runseal_delete", "allocation_runseal", "DELETE", "frozen_when('charging_run_child')"),
    ("frozen_settlement_update", "allocation_settlement", "UPDATE", "frozen_one_column_change()"),
    ("frozen_settlement_delete", "allocation_settlement", "DELETE", "frozen_when('settlement')"),
    (
        "frozen_settlementline",
        "allocation_settlementline",
        "INSERT OR UPDATE OR DELETE",
        "frozen_when('settlement_child')",
    ),
    ("frozen_poolprice_update", "allocation_poolprice", "UPDATE", "frozen_one_column_change()"),
    ("frozen_poolprice_delete", "allocation_poolprice", "DELETE", "frozen_refuse('price')"),
    *(
        (f"frozen_{t.removeprefix('allocation_')}", t, "UPDATE OR DELETE", "frozen_refuse('record')")
        for t in NEVER_CHANGED
    ),
    ("frozen_groupingmapversion", "cases_groupingmapversion", "UPDATE OR DELETE", "frozen_when('map_version')"),
    ("frozen_groupingmapentry", "cases_groupingmapentry", "INSERT OR UPDATE OR DELETE", "frozen_when('map_entry')"),
]
# The triggers these replace (migrations 0002 and 0007).
OLD_PG = [
    ("allocationkey_immutable", "allocation_allocationkey"),
    ("keyshare_immutable", "allocation_keyshare"),
    ("keyloadline_immutable", "allocation_keyloadline"),
    ("allocationrun_immutable", "allocation_allocationrun"),
    ("runamount_immutable", "allocation_runamount"),
]
OLD_SQLITE = ["allocationkey_immutable", "keyshare_immutable", "keyloadline_immutable"] + [
    "allocationrun_immutable",
    "runamount_immutable",
]


# PostgreSQL: TRUNCATE of a frozen table (or one whose CASCADE reaches it) is refused unless the
# operator's emptying setting is on (cases.maintenance.frozen_records_lifted).
TRUNCATE_TABLES = [
    "allocation_allocationrun",
    "allocation_runamount",
    "allocation_runseal",
    "allocation_allocationkey",
    "allocation_keyshare",
    "allocation_keyloadline",
    "allocation_settlement",
    "allocation_settlementline",
    "allocation_posting",
    "allocation_journalline",
    "allocation_keydecision",
    "allocation_settlementdecision",
    "allocation_pricedecision",
    "allocation_poolprice",
    "cases_groupingmapversion",
    "cases_groupingmapentry",
]
PG_TRUNCATE_FUNCTION = """
CREATE OR REPLACE FUNCTION frozen_truncate() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('costshare.emptying', true), '') <> 'on' THEN
        RAISE EXCEPTION '% is frozen: TRUNCATE refused (only an operator emptying the database may)',
            TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


# Made by a later migration than the first guard (allocation.migrations._frozen_goals freezes their rows).
GOAL_TRUNCATE_TABLES = ["allocation_goaltargetset", "allocation_goaltarget", "allocation_goaltargetdecision"]


def install_truncate_guard(schema_editor: Any, tables: list[str] = TRUNCATE_TABLES) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(PG_TRUNCATE_FUNCTION)
        for table in tables:
            name = f"frozen_{table.split('_', 1)[1]}_truncate"
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute(
                f"CREATE TRIGGER {name} BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION frozen_truncate()"
            )


def remove_truncate_guard(schema_editor: Any, tables: list[str] = TRUNCATE_TABLES) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DROP TRIGGER IF EXISTS frozen_{table.split('_', 1)[1]}_truncate ON {table}")
        if tables is TRUNCATE_TABLES:
            cursor.execute("DROP FUNCTION IF EXISTS frozen_truncate()")


def install(schema_editor: Any) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name, table in OLD_PG:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute(PG_FUNCTIONS)
            for name, table, events, call in PG_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                cursor.execute(f"CREATE TRIGGER {name} BEFORE {events} ON {table} FOR EACH ROW EXECUTE FUNCTION {call}")
        elif connection.vendor == "sqlite":
            for name in OLD_SQLITE:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            for name, sql in sqlite_triggers(cursor):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(sql)


def remove(schema_editor: Any) -> None:
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name, table, _events, _call in PG_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            for function in ("frozen_refuse", "frozen_one_column_change", "frozen_when"):
                cursor.execute(f"DROP FUNCTION IF EXISTS {function}()")
        elif connection.vendor == "sqlite":
            for name, _sql in sqlite_triggers(cursor):
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")

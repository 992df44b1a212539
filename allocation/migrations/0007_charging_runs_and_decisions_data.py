"""Existing data under the rules of charging and simulation, and SQLite triggers.

- A run of a pool made with a key that was never approved was no charge: it becomes a
  simulation (is_charging stays false), so statistics stop showing it as charged. Runs of a pool
  with an approved (or since superseded) key are charging runs.
- Each budget year's co-financing pool: the pool of that year whose key is measured (the largest
  gross amount if there are several). Finance staff can change it on the pool afterwards.
- Key decisions are kept as their own records, rebuilt from the audit log.
- On PostgreSQL a trigger refuses changes to charging runs and their amounts; on SQLite
  triggers refuse updates to approved keys, their shares and load lines, charging runs and their
  amounts (deletes are refused by the models and querysets; Django's test flush deletes rows).
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION allocation_refuse_charging_run_change() RETURNS trigger AS $$
BEGIN
    IF TG_TABLE_NAME = 'allocation_allocationrun' THEN
        IF OLD.is_charging THEN
            RAISE EXCEPTION 'charging run % cannot be changed or deleted', OLD.id;
        END IF;
    ELSIF EXISTS (SELECT 1 FROM allocation_allocationrun r WHERE r.id = OLD.run_id AND r.is_charging) THEN
        RAISE EXCEPTION 'the amounts of a charging run cannot be changed';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER allocationrun_immutable BEFORE UPDATE OR DELETE ON allocation_allocationrun
    FOR EACH ROW EXECUTE FUNCTION allocation_refuse_charging_run_change();
CREATE TRIGGER runamount_immutable BEFORE UPDATE OR DELETE ON allocation_runamount
    FOR EACH ROW EXECUTE FUNCTION allocation_refuse_charging_run_change();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS allocationrun_immutable ON allocation_allocationrun;
DROP TRIGGER IF EXISTS runamount_immutable ON allocation_runamount;
DROP FUNCTION IF EXISTS allocation_refuse_charging_run_change();
"""
KEY_COLUMNS = (
    "name kind basis window_from window_to valid_from map_version_id sources channel_weights central_load "
    "warnings comment created_by_id created_at decided_by_id decided_at"
).split()
SQLITE_FORWARD = [
    f"""CREATE TRIGGER allocationkey_immutable BEFORE UPDATE ON allocation_allocationkey
    FOR EACH ROW WHEN OLD.status IN ('approved', 'superseded') AND NOT (
        OLD.status = 'approved' AND NEW.status = 'superseded' AND {" AND ".join(f"NEW.{c} IS OLD.{c}" for c in KEY_COLUMNS)}
    )
    BEGIN SELECT RAISE(ABORT, 'approved allocation key cannot be changed'); END""",
    *(
        f"""CREATE TRIGGER {table}_immutable BEFORE UPDATE ON allocation_{table}
        FOR EACH ROW WHEN (SELECT status FROM allocation_allocationkey WHERE id = OLD.key_id)
            IN ('approved', 'superseded')
        BEGIN SELECT RAISE(ABORT, 'the shares of an approved allocation key cannot be changed'); END"""
        for table in ("keyshare", "keyloadline")
    ),
    """CREATE TRIGGER allocationrun_immutable BEFORE UPDATE ON allocation_allocationrun
    FOR EACH ROW WHEN OLD.is_charging
    BEGIN SELECT RAISE(ABORT, 'charging run cannot be changed'); END""",
    """CREATE TRIGGER runamount_immutable BEFORE UPDATE ON allocation_runamount
    FOR EACH ROW WHEN (SELECT is_charging FROM allocation_allocationrun WHERE id = OLD.run_id)
    BEGIN SELECT RAISE(ABORT, 'the amounts of a charging run cannot be changed'); END""",
]
SQLITE_BACKWARD = [
    f"DROP TRIGGER IF EXISTS {name}_immutable"
    for name in ("allocationkey", "keyshare", "keyloadline", "allocationrun", "runamount")
]


def classify(apps, schema_editor):
    AllocationRun = apps.get_model("allocation", "AllocationRun")
    CostPool = apps.get_model("allocation", "CostPool")
    KeyDecision = apps.get_model("allocation", "KeyDecision")
    AuditEntry = apps.get_model("cases", "AuditEntry")
    User = apps.get_model("auth", "User")
    AllocationRun.objects.filter(pool__isnull=False, key__status__in=["approved", "superseded"]).update(
        is_charging=True
    )
    for year in sorted(set(CostPool.objects.values_list("year", flat=True))):
        pool = CostPool.objects.filter(year=year, key__kind="measured").order_by("-gross_amount", "id").first()
        if pool is not None:
            CostPool.objects.filter(pk=pool.pk).update(is_co_financing=True)
    names = dict(User.objects.values_list("id", "username"))
    previous: dict[str, str] = {}
    for entry in AuditEntry.objects.filter(
        object_type="allocation_key", action__in=["key.proposed", "key.approved", "key.rejected"]
    ).order_by("at", "id"):
        to_status = entry.action.split(".", 1)[1]
        before = (entry.before or {}).get("status") or previous.get(entry.object_id, "draft")
        decision = KeyDecision.objects.create(
            key_id=int(entry.object_id),
            from_status=before,
            to_status=to_status,
            user_id=entry.user_id,
            actor=names.get(entry.user_id, "okänd"),
            comment=(entry.after or {}).get("comment", ""),
        )
        KeyDecision.objects.filter(pk=decision.pk).update(at=entry.at)  # when it was decided
        previous[entry.object_id] = to_status


def triggers_forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement, params=None)


def triggers_backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("allocation", "0006_charging_runs_co_financing_pools_key_decisions"),
        ("cases", "0011_audit_actor"),
    ]

    operations = [
        migrations.RunPython(classify, migrations.RunPython.noop),
        migrations.RunPython(triggers_forward, triggers_backward),
    ]

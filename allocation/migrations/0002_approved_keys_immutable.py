"""On PostgreSQL, an approved key and its shares and load lines cannot change, by any path.

The service and AllocationKey.save() refuse too; this trigger also stops the shell, raw SQL
and anything else that bypasses them. The only change allowed to an approved key is to be
marked superseded by a newer approved key.
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION allocation_refuse_approved_key_change() RETURNS trigger AS $$
BEGIN
    IF TG_TABLE_NAME = 'allocation_allocationkey' THEN
        IF OLD.status = 'approved' THEN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'approved allocation key % cannot be deleted', OLD.id;
            END IF;
            IF NEW.status = 'superseded'
               AND (to_jsonb(NEW) - 'status') = (to_jsonb(OLD) - 'status') THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'approved allocation key % cannot be changed', OLD.id;
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    -- Shares and load lines: refuse when their key is approved (or superseded).
    IF EXISTS (
        SELECT 1 FROM allocation_allocationkey k
        WHERE k.id = (CASE WHEN TG_OP = 'INSERT' THEN NEW.key_id ELSE OLD.key_id END)
          AND k.status IN ('approved', 'superseded')
    ) THEN
        RAISE EXCEPTION 'the shares of an approved allocation key cannot be changed';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER allocationkey_immutable BEFORE UPDATE OR DELETE ON allocation_allocationkey
    FOR EACH ROW EXECUTE FUNCTION allocation_refuse_approved_key_change();
CREATE TRIGGER keyshare_immutable BEFORE INSERT OR UPDATE OR DELETE ON allocation_keyshare
    FOR EACH ROW EXECUTE FUNCTION allocation_refuse_approved_key_change();
CREATE TRIGGER keyloadline_immutable BEFORE INSERT OR UPDATE OR DELETE ON allocation_keyloadline
    FOR EACH ROW EXECUTE FUNCTION allocation_refuse_approved_key_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS allocationkey_immutable ON allocation_allocationkey;
DROP TRIGGER IF EXISTS keyshare_immutable ON allocation_keyshare;
DROP TRIGGER IF EXISTS keyloadline_immutable ON allocation_keyloadline;
DROP FUNCTION IF EXISTS allocation_refuse_approved_key_change();
"""


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("allocation", "0001_keys_pools_runs")]
    operations = [migrations.RunPython(forward, backward)]

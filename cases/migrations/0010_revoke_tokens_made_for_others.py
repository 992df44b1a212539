from django.db import migrations


def revoke_tokens_made_for_others(apps, schema_editor):
    """A token made by one person for another lets the maker act as that person (a finance
    officer approving their own key as a steering-group member). Every such token is revoked,
    and the audit log says so; the others learn their maker from the creation record."""
    ApiToken = apps.get_model("cases", "ApiToken")
    AuditEntry = apps.get_model("cases", "AuditEntry")
    for token in ApiToken.objects.all():
        created = (
            AuditEntry.objects.filter(action="token.create", object_type="token", object_id=str(token.pk))
            .order_by("at", "id")
            .first()
        )
        maker = created.user_id if created is not None else None
        if maker is not None and maker != token.user_id:
            AuditEntry.objects.create(
                user=None,
                action="token.revoke",
                object_type="token",
                object_id=str(token.pk),
                before={"for_user_id": token.user_id, "created_by_user_id": maker, "prefix": token.prefix},
                after={
                    "reason": "Återkallad av migrering: token skapad av en annan person än den den tillhör "
                    "(en persons token skapas bara av personen själv)."
                },
            )
            token.delete()
        elif maker is not None:
            token.created_by_id = maker
            token.save(update_fields=["created_by"])


class Migration(migrations.Migration):
    dependencies = [("cases", "0009_api_token_created_by")]

    operations = [migrations.RunPython(revoke_tokens_made_for_others, migrations.RunPython.noop)]

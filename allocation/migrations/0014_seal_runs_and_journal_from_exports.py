"""Existing data under the ledger journal and run seals.

- Every run already made is sealed: its amounts are what it was made with.
- Each earlier export becomes a posting with the journal lines its file carried. The file itself
  was not kept (only its SHA-256), so its lines are rebuilt with the rule that wrote it: the run's
  months (the export's month or all), minus the months of the nearest earlier run of the chain
  that had been exported before it; the cost centres are today's.
"""

from collections import defaultdict
from decimal import Decimal

from django.db import migrations


def forward(apps, schema_editor):
    AllocationRun = apps.get_model("allocation", "AllocationRun")
    RunSeal = apps.get_model("allocation", "RunSeal")
    RunAmount = apps.get_model("allocation", "RunAmount")
    PostingExport = apps.get_model("allocation", "PostingExport")
    PostingProfile = apps.get_model("allocation", "PostingProfile")
    Posting = apps.get_model("allocation", "Posting")
    JournalLine = apps.get_model("allocation", "JournalLine")
    Administration = apps.get_model("cases", "Administration")
    RunSeal.objects.bulk_create(
        [RunSeal(run_id=pk) for pk in AllocationRun.objects.filter(seal__isnull=True).values_list("pk", flat=True)]
    )
    profile = PostingProfile.objects.first()
    exports = list(PostingExport.objects.select_related("run", "exported_by").order_by("exported_at", "id"))
    if profile is None or not exports:
        return
    admins = {a.id: a for a in Administration.objects.all()}

    def months_of(run_id):
        out = defaultdict(dict)
        for admin_id, month, amount in RunAmount.objects.filter(run_id=run_id, month__isnull=False).values_list(
            "administration_id", "month", "amount"
        ):
            out[month][admin_id] = amount
        return out

    exported_before = set()
    for export in exports:
        run = export.run
        previous = run.supersedes_id
        while previous is not None and previous not in exported_before:
            previous = AllocationRun.objects.filter(pk=previous).values_list("supersedes_id", flat=True).first()
        now, before = months_of(run.pk), months_of(previous) if previous else {}
        lines = []
        for number, month in enumerate(sorted([export.month] if export.month else set(now) | set(before)), start=1):
            total = Decimal(0)
            for admin_id in sorted(set(now.get(month, {})) | set(before.get(month, {}))):
                amount = now.get(month, {}).get(admin_id, Decimal(0)) - before.get(month, {}).get(admin_id, Decimal(0))
                if amount:
                    total += amount
                    lines.append((number, month, profile.charge_account, admins[admin_id].cost_centre, admin_id, amount))
            if total:
                lines.append((number, month, profile.credit_account, profile.centre_cost_centre, None, -total))
        posting = Posting.objects.create(
            pool_id=run.pool_id,
            run_id=run.pk,
            format=export.format,
            month=export.month,
            vouchers=len({line[0] for line in lines}),
            content=b"",
            sha256=export.sha256,
            posted_by_id=export.exported_by_id,
            actor=export.exported_by.username if export.exported_by else "okänd",
        )
        Posting.objects.filter(pk=posting.pk).update(posted_at=export.exported_at)
        JournalLine.objects.bulk_create(
            [
                JournalLine(
                    posting=posting,
                    kind="charge",
                    voucher=voucher,
                    month=month,
                    account=account,
                    cost_centre=cost_centre,
                    administration_id=admin_id,
                    amount=amount,
                )
                for voucher, month, account, cost_centre, admin_id, amount in lines
            ]
        )
        exported_before.add(run.pk)


class Migration(migrations.Migration):
    dependencies = [("allocation", "0013_ledger_journal_pool_keys_prices_seals")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]

"""A charging run as internal charges in the ledger (DESIGN.md §7 `export_postings`): vouchers
that debit each administration's cost centre and credit the contact centre, balancing to zero
to the öre, written as SIE 4, CSV or Excel. Pure: no database.

A run that supersedes a run whose vouchers were already exported gives correction vouchers with
only the differences, never a second full charge."""

from __future__ import annotations

import calendar
import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _


class PostingError(ValueError):
    """Vouchers cannot be made; the message lists what is missing."""


@dataclass(frozen=True)
class PostingSettings:
    organisation: str
    charge_account: str
    charge_account_name: str
    credit_account: str
    credit_account_name: str
    centre_cost_centre: str
    series: str
    text: str
    per_month: bool = True
    project: str = ""
    activity: str = ""


@dataclass(frozen=True)
class Line:
    account: str
    cost_centre: str
    amount: Decimal
    text: str


@dataclass
class Voucher:
    number: int
    date: date
    text: str
    lines: list[Line] = field(default_factory=list)

    @property
    def balance(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))


def make_vouchers(
    *,
    settings: PostingSettings,
    year: int,
    months: dict[int, dict[str, Decimal]],
    cost_centres: dict[str, str],
    names: dict[str, str],
    previous: dict[int, dict[str, Decimal]] | None = None,
    only_month: int | None = None,
    correction_of: int | None = None,
) -> list[Voucher]:
    """One voucher per month (or one for the year): each administration's cost centre debited
    with its amount (minus what an exported earlier run already charged), the contact centre
    credited with the total. Empty vouchers (no difference) are left out."""
    missing = sorted(code for code in {c for m in months.values() for c in m} if not cost_centres.get(code))
    if missing:
        raise PostingError(
            _("Cost centre missing for: %(codes)s. Give it under Administrations before the postings are made.")
            % {"codes": ", ".join(f"{code} {names.get(code, '')}".strip() for code in missing)}
        )
    wanted = [only_month] if only_month else sorted(months)
    periods: list[tuple[date, str, list[int]]] = []
    if settings.per_month:
        for m in wanted:
            periods.append((date(year, m, calendar.monthrange(year, m)[1]), f"{year}-{m:02d}", [m]))
    else:
        periods.append((date(year, 12, 31), str(year), wanted))
    vouchers: list[Voucher] = []
    for day, label, month_numbers in periods:
        per_admin: dict[str, Decimal] = {}
        for m in month_numbers:
            for code, amount in months.get(m, {}).items():
                before = (previous or {}).get(m, {}).get(code, Decimal(0))
                per_admin[code] = per_admin.get(code, Decimal(0)) + amount - before
            for code, before in (previous or {}).get(m, {}).items():
                if code not in months.get(m, {}):
                    per_admin[code] = per_admin.get(code, Decimal(0)) - before
        lines = [
            Line(settings.charge_account, cost_centres[code], amount, f"{code} {names.get(code, '')}".strip())
            for code, amount in sorted(per_admin.items())
            if amount != 0
        ]
        if not lines:
            continue
        total = sum((line.amount for line in lines), Decimal(0))
        lines.append(Line(settings.credit_account, settings.centre_cost_centre, -total, "Kontaktcenter"))
        # Voucher texts are the ledger's, in Swedish whatever the interface language.
        text = f"{settings.text} {label}"
        if correction_of is not None:
            text += f" (rättelse av körning #{correction_of})"
        vouchers.append(Voucher(len(vouchers) + 1, day, text, lines))
    for v in vouchers:
        assert v.balance == 0, v  # every voucher balances to the öre, by construction
    return vouchers


def _sie_text(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _sie_amount(value: Decimal) -> str:
    return f"{value:.2f}"


def sie(
    vouchers: list[Voucher],
    *,
    settings: PostingSettings,
    year: int,
    generated: date,
    cost_centre_names: dict[str, str],
) -> bytes:
    """SIE 4 (type 4i: transactions) in PC8 (code page 437), as every Swedish ledger imports it."""
    dims = "{1 %s}"
    extra = ""
    if settings.project:
        extra += f" 6 {_sie_text(settings.project)}"
    if settings.activity:
        extra += f" 20 {_sie_text(settings.activity)}"
    out = [
        "#FLAGGA 0",
        '#PROGRAM "Kontaktcenter medfinansiering" 1.0',
        "#FORMAT PC8",
        f"#GEN {generated:%Y%m%d}",
        "#SIETYP 4",
        f"#FNAMN {_sie_text(settings.organisation)}",
        f"#RAR 0 {year}0101 {year}1231",
        f"#KONTO {settings.charge_account} {_sie_text(settings.charge_account_name)}",
        f"#KONTO {settings.credit_account} {_sie_text(settings.credit_account_name)}",
        '#DIM 1 "Kostnadsställe"',
    ]
    if settings.project:
        out.append('#DIM 6 "Projekt"')
    if settings.activity:
        out.append('#DIM 20 "Verksamhet"')
    used = sorted({line.cost_centre for v in vouchers for line in v.lines})
    for cc in used:
        out.append(f"#OBJEKT 1 {_sie_text(cc)} {_sie_text(cost_centre_names.get(cc, cc))}")
    if settings.project:
        out.append(f"#OBJEKT 6 {_sie_text(settings.project)} {_sie_text(settings.project)}")
    if settings.activity:
        out.append(f"#OBJEKT 20 {_sie_text(settings.activity)} {_sie_text(settings.activity)}")
    for v in vouchers:
        out.append(f"#VER {_sie_text(settings.series)} {v.number} {v.date:%Y%m%d} {_sie_text(v.text)}")
        out.append("{")
        for line in v.lines:
            objects = dims % _sie_text(line.cost_centre)
            objects = objects[:-1] + extra + "}"
            out.append(f"   #TRANS {line.account} {objects} {_sie_amount(line.amount)} {{}} {_sie_text(line.text)}")
        out.append("}")
    return ("\r\n".join(out) + "\r\n").encode("cp437", errors="replace")


CSV_HEADER = ["serie", "verifikation", "datum", "konto", "kostnadsställe", "projekt", "verksamhet", "belopp", "text"]


def table_rows(vouchers: list[Voucher], settings: PostingSettings) -> list[list[str | Decimal]]:
    return [
        [
            settings.series,
            str(v.number),
            v.date.isoformat(),
            line.account,
            line.cost_centre,
            settings.project,
            settings.activity,
            line.amount,
            f"{v.text}: {line.text}",
        ]
        for v in vouchers
        for line in v.lines
    ]


def csv_bytes(vouchers: list[Voucher], settings: PostingSettings) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in table_rows(vouchers, settings):
        writer.writerow([f"{c:.2f}".replace(".", ",") if isinstance(c, Decimal) else c for c in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(vouchers: list[Voucher], settings: PostingSettings, *, stamp: datetime) -> bytes:
    from openpyxl import Workbook

    from cases.spreadsheet import safe_cell, workbook_bytes

    wb = Workbook()
    ws = wb.active
    ws.title = "Kontering"
    ws.append(CSV_HEADER)
    for row in table_rows(vouchers, settings):
        ws.append([safe_cell(c) if isinstance(c, str) else float(c) for c in row])
        ws.cell(row=ws.max_row, column=8).number_format = '#,##0.00 "kr"'
    ws.freeze_panes = "A2"
    return workbook_bytes(wb, stamp=stamp)

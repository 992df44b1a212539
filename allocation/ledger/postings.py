"""A charging run as internal charges in the ledger (DESIGN.md §7 `export_postings`): vouchers
that debit each administration's cost centre and credit the contact centre, balancing to zero
to the öre, written as SIE 4, CSV or Excel. Pure: no database.

The ledger journal (DESIGN §4): a posting carries, per month, account and cost centre, what the
newest charging run says minus what the journal already holds (journal_difference), so a
one-month posting posts that month only and a posting with nothing changed posts nothing."""

from __future__ import annotations

import calendar
import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from cases.ledger_fields import ACCOUNT, CONTROL, COST_CENTRE


class PostingError(ValueError):
    """Vouchers cannot be made; the message lists what is missing."""


# SIE 4 fields: a text is quoted, with \ and " escaped; control characters (CR, LF, tab …) never
# reach the file, whatever the database holds, so no field can start a record of its own.


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
    month: int = 12


@dataclass
class Voucher:
    number: int
    date: date
    text: str
    lines: list[Line] = field(default_factory=list)

    @property
    def balance(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))


# One cell of the ledger journal: (month, account, cost centre).
Cell = tuple[int, str, str]


def charge_targets(
    *, settings: PostingSettings, months: dict[int, dict[str, Decimal]], cost_centres: dict[str, str]
) -> dict[Cell, Decimal]:
    """What the ledger must hold for a charging run: each administration's cost centre debited with
    its month's amount, the contact centre credited with the month's total."""
    missing = sorted(code for code in {c for m in months.values() for c in m} if not cost_centres.get(code))
    if missing:
        raise PostingError(
            _("Cost centre missing for: %(codes)s. Give it under Administrations before the postings are made.")
            % {"codes": ", ".join(missing)}
        )
    malformed = sorted(
        code for code in {c for m in months.values() for c in m} if not COST_CENTRE.fullmatch(cost_centres[code])
    ) + ([settings.centre_cost_centre] if not COST_CENTRE.fullmatch(settings.centre_cost_centre) else [])
    if malformed:
        raise PostingError(
            _("The cost centre of %(codes)s is not in a format a ledger accepts (letters and digits, e.g. 3100).")
            % {"codes": ", ".join(malformed)}
        )
    target: dict[Cell, Decimal] = {}
    for month, row in months.items():
        total = Decimal(0)
        for code, amount in row.items():
            cell = (month, settings.charge_account, cost_centres[code])
            target[cell] = target.get(cell, Decimal(0)) + amount
            total += amount
        centre = (month, settings.credit_account, settings.centre_cost_centre)
        target[centre] = target.get(centre, Decimal(0)) - total
    return target


def journal_difference(
    *, target: dict[Cell, Decimal], held: dict[Cell, Decimal], only_month: int | None = None
) -> dict[Cell, Decimal]:
    """What a posting must carry so that the journal holds `target`: target − held per cell, for
    one month or all; cells with no difference are left out. Both sides balance per month, so the
    difference does too."""
    cells = set(target) | set(held)
    out = {}
    for cell in cells:
        if only_month is not None and cell[0] != only_month:
            continue
        amount = target.get(cell, Decimal(0)) - held.get(cell, Decimal(0))
        if amount:
            out[cell] = amount
    return out


def make_vouchers(
    *,
    settings: PostingSettings,
    year: int,
    difference: dict[Cell, Decimal],
    labels: dict[str, str],
    corrected_months: set[int],
    correction_of: int | None = None,
) -> list[Voucher]:
    """The vouchers of a journal difference: one per month (or one for the year, its lines still
    per month), the debited cost centres first and the contact centre last. A month the journal
    already held lines for is a correction. Every voucher balances to the öre."""
    months = sorted({cell[0] for cell in difference})
    groups = [[m] for m in months] if settings.per_month else ([months] if months else [])
    vouchers: list[Voucher] = []
    for group in groups:
        cells = sorted(
            (cell for cell in difference if cell[0] in group),
            key=lambda c: (c[0], c[1] == settings.credit_account and c[2] == settings.centre_cost_centre, c[2], c[1]),
        )
        lines = [
            Line(account, cost_centre, difference[(m, account, cost_centre)], labels.get(cost_centre, cost_centre), m)
            for m, account, cost_centre in cells
        ]
        if settings.per_month:
            day, label = date(year, group[0], calendar.monthrange(year, group[0])[1]), f"{year}-{group[0]:02d}"
        else:
            day, label = date(year, 12, 31), str(year)
        # Voucher texts are the ledger's, in Swedish whatever the interface language.
        text = f"{settings.text} {label}"
        if corrected_months & set(group):
            text += f" (rättelse av körning #{correction_of})" if correction_of else " (rättelse)"
        vouchers.append(Voucher(len(vouchers) + 1, day, text, lines))
    for v in vouchers:
        if v.balance != 0:  # by construction; never hand the ledger an unbalanced voucher
            raise PostingError(f"voucher {v.number} does not balance: {v.balance}")
    return vouchers


def clean_text(value: str) -> str:
    """A text field for a ledger file: control characters become spaces, runs of spaces one."""
    return " ".join(CONTROL.sub(" ", value).split())


def _sie_text(value: str) -> str:
    return '"' + clean_text(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _sie_account(value: str) -> str:
    if not ACCOUNT.fullmatch(value):
        raise PostingError(_("The account %(account)r is not an account number (4–6 digits).") % {"account": value})
    return value


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
        f"#KONTO {_sie_account(settings.charge_account)} {_sie_text(settings.charge_account_name)}",
        f"#KONTO {_sie_account(settings.credit_account)} {_sie_text(settings.credit_account_name)}",
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
            # #TRANS kontonr {objektlista} belopp transdat transtext: no date of its own ("").
            out.append(
                f'   #TRANS {_sie_account(line.account)} {objects} {_sie_amount(line.amount)} "" {_sie_text(line.text)}'
            )
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
    from cases.spreadsheet import safe_cell

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in table_rows(vouchers, settings):
        # Formula-safe and one record per line, whatever a name holds.
        writer.writerow(
            [f"{c:.2f}".replace(".", ",") if isinstance(c, Decimal) else safe_cell(clean_text(c)) for c in row]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(vouchers: list[Voucher], settings: PostingSettings, *, stamp: datetime) -> bytes:
    from openpyxl import Workbook

    from cases.spreadsheet import safe_cell, workbook_bytes

    wb = Workbook()
    ws = wb.active
    ws.title = "Kontering"
    ws.append(CSV_HEADER)
    for row in table_rows(vouchers, settings):
        ws.append([safe_cell(clean_text(c)) if isinstance(c, str) else float(c) for c in row])
        ws.cell(row=ws.max_row, column=8).number_format = '#,##0.00 "kr"'
    ws.freeze_panes = "A2"
    return workbook_bytes(wb, stamp=stamp)

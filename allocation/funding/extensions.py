"""The switchboard's extension register: the telephony system's yearly list of phone extensions
(administration, extension; CSV or XLSX) read with an error per row, column, value and reason, and
stored only when the whole file is right. Its count of extensions per administration becomes a
draft driver key (`allocation.keys.compute`), proposed and approved like any key."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from allocation.keys.compute import allocation_key_create_from_values
from allocation.models import AllocationKey, Extension, ExtensionRegister
from cases.models import Administration
from cases.services import audit_record

MAX_BYTES = 5_000_000
MAX_ROWS = 100_000
MAX_XLSX_UNPACKED = 50_000_000  # a zip bomb is refused before it is opened
HEADERS = {
    "administration": {"administration", "förvaltning", "forvaltning", "kod", "code"},
    "extension": {"extension", "anknytning", "anknytningsnummer", "nummer", "number"},
}
ALLOWED = set("0123456789+- ")
# An error list stops here: a wrong file is usually wrong on every row.
MAX_ERRORS = 50
# A register whose key is one of these may be replaced; a decided key keeps its evidence.
UNDECIDED = {AllocationKey.Status.DRAFT, AllocationKey.Status.REJECTED}


@dataclass(frozen=True)
class ExtensionRow:
    row: int
    administration: str
    extension: str


class ExtensionFileError(ValueError):
    """The file cannot be used; `errors` says why, one line per problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def row_error(row: int, column: str, value: str, reason: str) -> str:
    shown = value if len(value) <= 40 else value[:37] + "..."
    where = _("row %(row)s, column %(column)s") % {"row": row, "column": column}
    what = _("value ”%(value)s”") % {"value": shown} if value else _("empty value")
    return f"{where}, {what}: {reason}"


def _xlsx_cells(data: bytes) -> list[list[str]]:
    """The first sheet's rows as text cells; a zip bomb is refused before it is opened."""
    from openpyxl import load_workbook

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNPACKED:
            raise ExtensionFileError(
                [_("The Excel file unpacks to more than %(mb)s MB; it cannot be an extension list.") % {"mb": 50}]
            )
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = []
    try:
        for values in wb.worksheets[0].iter_rows(values_only=True):
            rows.append(
                ["" if v is None else str(int(v) if isinstance(v, float) and v.is_integer() else v) for v in values]
            )
            if len(rows) > MAX_ROWS + 1:
                break
    finally:
        wb.close()
    return rows


def _csv_cells(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = max(("\t", ";", ","), key=first.count)
    return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _cells(data: bytes) -> list[list[str]]:
    """The file's rows as text cells: XLSX (first sheet) by its zip signature, CSV otherwise. A file
    that cannot be read to its end (a cut-off sheet, a field longer than any extension list has)
    is an ExtensionFileError saying what to do, never an error page."""
    if data[:2] == b"PK":
        try:
            return _xlsx_cells(data)
        except ExtensionFileError:
            raise
        except Exception as exc:  # a broken workbook says so, whatever openpyxl or the XML parser raised
            raise ExtensionFileError(
                [
                    _("The Excel file cannot be read (%(error)s). Save it again from Excel, or as CSV, and upload it.")
                    % {"error": exc}
                ]
            ) from exc
    try:
        return _csv_cells(data)
    except csv.Error as exc:
        raise ExtensionFileError(
            [
                _(
                    "The CSV file cannot be read (%(error)s). Check that it is the telephony system's list "
                    "of extensions, one per row, with a header row."
                )
                % {"error": exc}
            ]
        ) from exc


def read_extension_list(data: bytes, *, codes: set[str]) -> list[ExtensionRow]:
    """Every row of the list, or ExtensionFileError naming each bad row (row numbers as the file
    counts them, the header being row 1). An unknown administration, an empty or malformed
    extension and an extension listed twice are errors."""
    if len(data) > MAX_BYTES:
        raise ExtensionFileError([_("The file is larger than 5 MB.")])
    rows = _cells(data)
    while rows and not any(c.strip() for c in rows[0]):
        rows.pop(0)
    if not rows:
        raise ExtensionFileError([_("The file is empty.")])
    header = [c.strip().casefold() for c in rows[0]]
    position = {}
    for column, names in HEADERS.items():
        found = [i for i, name in enumerate(header) if name in names]
        if not found:
            raise ExtensionFileError(
                [
                    _("The column %(column)s is missing (the header row has: %(header)s).")
                    % {"column": column, "header": ", ".join(rows[0]) or "–"}
                ]
            )
        position[column] = found[0]
    if len(rows) - 1 > MAX_ROWS:
        raise ExtensionFileError([_("The file has more than %(max)s rows.") % {"max": MAX_ROWS}])
    errors: list[str] = []
    out: list[ExtensionRow] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        admin = cells[position["administration"]].strip() if position["administration"] < len(cells) else ""
        ext = cells[position["extension"]].strip() if position["extension"] < len(cells) else ""
        if not admin:
            errors.append(row_error(number, "administration", admin, _("the administration is missing")))
        elif admin not in codes:
            errors.append(row_error(number, "administration", admin, _("no administration has this code")))
        if not ext:
            errors.append(row_error(number, "extension", ext, _("the extension is missing")))
        elif not set(ext) <= ALLOWED or not any(ch.isdigit() for ch in ext) or len(ext) > 32:
            errors.append(row_error(number, "extension", ext, _("an extension is digits (and + or -)")))
        else:
            key = ext.replace(" ", "").replace("-", "")
            if key in seen:
                errors.append(
                    row_error(number, "extension", ext, _("the extension is also on row %(row)s") % {"row": seen[key]})
                )
            else:
                seen[key] = number
        out.append(ExtensionRow(number, admin, ext))
    if errors:
        more = len(errors) - MAX_ERRORS
        shown = errors[:MAX_ERRORS]
        if more > 0:
            shown.append(_("… and %(n)s more errors.") % {"n": more})
        raise ExtensionFileError(shown)
    if not out:
        raise ExtensionFileError([_("The file has a header but no extensions.")])
    return out


@transaction.atomic
def extension_register_import(*, year: int, data: bytes, filename: str, user: Any) -> ExtensionRegister:
    """Replace the year's extension register with the file's list and make its draft driver key
    (quantities: extensions per administration). On any error nothing changes. Audited with the
    counts before and after."""
    admins = dict(Administration.objects.values_list("code", "id"))
    try:
        rows = read_extension_list(data, codes=set(admins))
    except ExtensionFileError as exc:
        raise ValidationError(exc.errors) from exc
    counts = Counter(r.administration for r in rows)
    old = ExtensionRegister.objects.select_related("key").filter(year=year).first()
    before = None
    if old is not None and old.key is not None and old.key.status not in UNDECIDED:
        raise ValidationError(
            _(
                "The extension list of %(year)s is the evidence behind key #%(key)s, which is %(status)s; "
                "it is kept and nothing was changed. A new list is imported when that key is a draft or rejected."
            )
            % {"year": year, "key": old.key.pk, "status": old.key.get_status_display()}
        )
    if old is not None:
        before = {"file": old.filename, "counts": extension_counts(old), "key": old.key_id}
        old.delete()
    key = allocation_key_create_from_values(
        name=_("Switchboard extensions %(year)s") % {"year": year},
        kind=AllocationKey.Kind.DRIVER,
        valid_from=date(year, 1, 1),
        values={code: Decimal(counts.get(code, 0)) for code in sorted(admins)},
        user=user,
        comment=_("Extensions per administration from %(file)s.") % {"file": filename},
    )
    register = ExtensionRegister(
        year=year,
        filename=filename[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        key=key,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    register.full_clean()
    register.save()
    Extension.objects.bulk_create(
        [Extension(register=register, administration_id=admins[r.administration], number=r.extension) for r in rows]
    )
    audit_record(
        user=user,
        action="extension_register.import",
        obj_type="extension_register",
        obj_id=register.pk,
        before=before,
        after={"file": register.filename, "counts": dict(sorted(counts.items())), "key": key.pk},
    )
    return register


def extension_counts(register: ExtensionRegister) -> dict[str, int]:
    """Extensions per administration code in a register."""
    return dict(sorted(Counter(register.extensions.values_list("administration__code", flat=True)).items()))

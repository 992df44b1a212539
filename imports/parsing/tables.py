"""Rows of the small files (a grouping map, administrations) and of aggregated statistics, checked
one row at a time into plain values and the messages a finance officer acts on. Pure: the
services turn the values into their rows and write them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from imports.parsing.columns import channel_code
from imports.parsing.errors import RowError
from imports.parsing.headers import Header, cell
from imports.parsing.rows import References
from imports.parsing.values import is_blank, parse_bool, parse_date, parse_decimal, parse_month

Rows = Iterable[tuple[int, list[str]]]


def map_file_rows(rows: Rows, header: Header) -> tuple[dict[date, list[dict[str, Any]]], list[str]]:
    """A grouping map file's rows by valid-from date (each the fields of a cases MapRow), and the
    errors; a row with an error is not kept."""
    rows_by_date: dict[date, list[dict[str, Any]]] = defaultdict(list)
    errors: list[str] = []
    for row_no, cells in rows:
        if is_blank(cells):
            continue
        grouping = cell(cells, header, "grouping").strip()
        valid_from = parse_date(cell(cells, header, "valid_from"))
        central = parse_bool(cell(cells, header, "central"))
        ended = parse_bool(cell(cells, header, "ended"))
        raw_fraction = cell(cells, header, "fraction").strip()
        fraction = parse_decimal(raw_fraction) if raw_fraction else Decimal(1)
        if not grouping:
            errors.append(_("Row %(row)s, column grouping: code missing.") % {"row": row_no})
        if valid_from is None:
            errors.append(
                _("Row %(row)s, column %(column)s: %(value)r is not a date (YYYY-MM-DD).")
                % {"row": row_no, "column": "valid_from", "value": cell(cells, header, "valid_from")}
            )
        if central is None:
            errors.append(
                _("Row %(row)s, column %(column)s: %(value)r; expected 1 or 0.")
                % {"row": row_no, "column": "central", "value": cell(cells, header, "central")}
            )
        if ended is None:
            errors.append(
                _("Row %(row)s, column %(column)s: %(value)r; expected 1 or 0.")
                % {"row": row_no, "column": "ended", "value": cell(cells, header, "ended")}
            )
        if fraction is None:
            errors.append(
                _("Row %(row)s, column fraction: %(value)r is not a number.") % {"row": row_no, "value": raw_fraction}
            )
        if grouping and valid_from and central is not None and ended is not None and fraction is not None:
            rows_by_date[valid_from].append(
                {
                    "row": row_no,
                    "grouping": grouping,
                    "name": cell(cells, header, "name").strip(),
                    "administration": cell(cells, header, "administration").strip(),
                    "fraction": fraction,
                    "central": central,
                    "ended": ended,
                }
            )
    return rows_by_date, errors


def administration_file_rows(rows: Rows, header: Header) -> tuple[list[dict[str, Any]], list[str]]:
    """An administrations file's rows (each the fields of a cases AdministrationRow), and the errors."""
    found: list[dict[str, Any]] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for row_no, cells in rows:
        if is_blank(cells):
            continue
        code = cell(cells, header, "code").strip()
        name = cell(cells, header, "name").strip()
        raw_from, raw_to = cell(cells, header, "valid_from").strip(), cell(cells, header, "valid_to").strip()
        valid_from = parse_date(raw_from) if raw_from else None
        valid_to = parse_date(raw_to) if raw_to else None
        if not code or len(code) > 20:
            errors.append(
                _("Row %(row)s, column code: %(value)r; the code must have 1–20 characters.")
                % {"row": row_no, "value": code}
            )
        elif code in seen:
            errors.append(
                _("Row %(row)s, column code: %(value)r is already on row %(other)s.")
                % {"row": row_no, "value": code, "other": seen[code]}
            )
        seen.setdefault(code, row_no)
        if not name:
            errors.append(_("Row %(row)s, column name: name missing.") % {"row": row_no})
        if raw_from and valid_from is None:
            errors.append(
                _("Row %(row)s, column %(column)s: %(value)r is not a date (YYYY-MM-DD).")
                % {"row": row_no, "column": "valid_from", "value": raw_from}
            )
        if raw_to and valid_to is None:
            errors.append(
                _("Row %(row)s, column %(column)s: %(value)r is not a date (YYYY-MM-DD).")
                % {"row": row_no, "column": "valid_to", "value": raw_to}
            )
        if valid_from and valid_to and valid_to < valid_from:
            errors.append(
                _("Row %(row)s, column valid_to: %(value)s lies before valid from %(start)s.")
                % {"row": row_no, "value": raw_to, "start": raw_from}
            )
        found.append(
            {
                "code": code,
                "name": name,
                "cost_centre": cell(cells, header, "cost_centre").strip(),
                "valid_from": valid_from,
                "valid_to": valid_to,
            }
        )
    return found, errors


@dataclass
class AggregateReading:
    """Aggregated statistics read: (month, grouping id, channel id) → (cases, handle seconds, row)."""

    cells: dict[tuple[date, int, int], tuple[int, int, int]] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    error_rows: int = 0
    rows_read: int = 0


def aggregate_file_rows(rows: Rows, header: Header, refs: References, declared_month: date | None) -> AggregateReading:
    """Check every row of an aggregated statistics file: month (inside the declared one), a known
    grouping and channel, whole numbers, and one row per month, grouping and channel."""
    reading = AggregateReading()
    cells_by_key, errors = reading.cells, reading.errors
    error_rows = rows_read = 0
    default_channel = refs.channels.get("unspecified")
    for row_no, cells in rows:
        if is_blank(cells):
            continue
        rows_read += 1
        row_errors: list[RowError] = []
        month = parse_month(cell(cells, header, "month"))
        if month is None:
            row_errors.append(RowError(row_no, "month", cell(cells, header, "month")[:200], _("expected YYYY-MM")))
        elif declared_month and month != declared_month:
            row_errors.append(
                RowError(
                    row_no,
                    "month",
                    f"{month:%Y-%m}",
                    _("outside the file's month %(month)s") % {"month": f"{declared_month:%Y-%m}"},
                )
            )
        code = cell(cells, header, "grouping").strip()
        grouping_id = refs.groupings.get(code)
        if grouping_id is None:
            row_errors.append(RowError(row_no, "grouping", code[:200], _("unknown grouping code")))
        raw_cases = cell(cells, header, "cases").strip()
        n_cases = int(raw_cases) if raw_cases.isdigit() else None
        if n_cases is None:
            row_errors.append(RowError(row_no, "cases", raw_cases[:200], _("must be a whole number ≥ 0")))
        raw_channel = cell(cells, header, "channel")
        channel_id = default_channel
        if raw_channel.strip():
            code_ch = channel_code(raw_channel)
            channel_id = refs.channels.get(code_ch) if code_ch else None
            if channel_id is None:
                row_errors.append(RowError(row_no, "channel", raw_channel[:200], _("unknown channel")))
        raw_handle = cell(cells, header, "handle_seconds").strip()
        handle = 0
        if raw_handle:
            if raw_handle.isdigit():
                handle = int(raw_handle)
            else:
                row_errors.append(RowError(row_no, "handle_seconds", raw_handle[:200], _("must be a whole number ≥ 0")))
        if not row_errors and month is not None and grouping_id is not None and n_cases is not None:
            assert channel_id is not None
            key = (month, grouping_id, channel_id)
            if key in cells_by_key:
                row_errors.append(
                    RowError(
                        row_no,
                        "grouping",
                        code,
                        _("the same month, grouping and channel are already on row %(row)s")
                        % {"row": cells_by_key[key][2]},
                    )
                )
            else:
                cells_by_key[key] = (n_cases, handle, row_no)
        if row_errors:
            error_rows += 1
            errors.extend(row_errors)
    reading.error_rows, reading.rows_read = error_rows, rows_read
    return reading

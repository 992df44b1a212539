"""Calendar months as the service counts them: the first day of the month stands for it."""

from __future__ import annotations

from datetime import date


def next_month(month: date) -> date:
    """The first of the month after `month`."""
    return date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)


def month_range(start: date, end: date) -> list[date]:
    """Every month from start to end, both included."""
    months = []
    current, last = date(start.year, start.month, 1), date(end.year, end.month, 1)
    while current <= last:
        months.append(current)
        current = next_month(current)
    return months


def months_back(last: date, count: int) -> list[date]:
    """The `count` months ending with `last`, oldest first (12 gives a rolling year)."""
    y, m = last.year, last.month - (count - 1)
    while m < 1:
        y, m = y - 1, m + 12
    return month_range(date(y, m, 1), last)


def parse_year_month(text: str) -> date | None:
    """'YYYY-MM' → the first of that month; None for anything else."""
    value = text.strip()
    if len(value) != 7 or value[4] != "-" or not (value[:4].isdigit() and value[5:].isdigit()):
        return None
    try:
        return date(int(value[:4]), int(value[5:]), 1)
    except ValueError:
        return None


def parse_day(text: str) -> date | None:
    """'YYYY-MM-DD' → that date; None for anything else (a filter left empty or mistyped)."""
    value = (text or "").strip()
    if len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def month_argument(text: str) -> date:
    """A command's YYYY-MM argument, or the usage error (exit status 2) that names it."""
    from django.core.management import CommandError

    month = parse_year_month(text or "")
    if month is None:
        raise CommandError(f"{text!r} är ingen månad; skriv ÅÅÅÅ-MM.", returncode=2)
    return month

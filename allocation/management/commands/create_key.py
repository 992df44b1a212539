"""create_key --kind driver|fixed --name NAME --valid-from YYYY-MM-DD --file PATH

The file has two columns, `administration` and `value` (e.g. phone extensions per
administration for the switchboard pool, or the council's percentages), comma or semicolon.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from allocation.keys.compute import allocation_key_create_from_values
from cases.numbers import NumberError, parse_number


def read_values(text: str) -> dict[str, Decimal]:
    """administration → value from a small CSV; every bad row is named."""
    dialect = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=dialect))
    header = [h.strip().lower() for h in rows[0]]
    names = {"administration": ("administration", "förvaltning", "code", "kod"), "value": ("value", "värde", "antal")}
    try:
        i_admin = next(i for i, h in enumerate(header) if h in names["administration"])
        i_value = next(i for i, h in enumerate(header) if h in names["value"])
    except StopIteration as exc:
        raise ValidationError("Rubrikraden ska ha kolumnerna administration och value.") from exc
    values: dict[str, Decimal] = {}
    errors = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        code = row[i_admin].strip() if len(row) > i_admin else ""
        raw = row[i_value].strip() if len(row) > i_value else ""
        try:
            value = parse_number(raw)
        except NumberError as exc:
            errors.append(f"Rad {n}, kolumn value: {exc}")
            continue
        if code in values:
            errors.append(f"Rad {n}, kolumn administration: {code} förekommer två gånger.")
        values[code] = value
    if errors:
        raise ValidationError(errors)
    return values


class Command(BaseCommand):
    help = "Create a draft driver key (quantities) or fixed key (percentages) from a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", choices=["driver", "fixed"], required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--valid-from", required=True)
        parser.add_argument("--file", required=True)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"Filen {path} finns inte.", returncode=2)
        try:
            valid_from = date.fromisoformat(options["valid_from"])
        except ValueError as exc:
            raise CommandError("--valid-from skrivs ÅÅÅÅ-MM-DD.", returncode=2) from exc
        try:
            key = allocation_key_create_from_values(
                name=options["name"],
                kind=options["kind"],
                valid_from=valid_from,
                values=read_values(path.read_text(encoding="utf-8-sig")),
            )
        except ValidationError as exc:
            raise CommandError("Nyckeln kunde inte skapas: " + " ".join(exc.messages), returncode=1) from exc
        shares = {s.administration.code: str(s.share) for s in key.shares.select_related("administration")}
        if options["json"]:
            self.stdout.write(json.dumps({"key": key.pk, "shares": shares}))
        else:
            self.stdout.write(f"Nyckel #{key.pk} {key.name} ({key.get_kind_display()}) skapad som utkast.")

"""Source profiles (DESIGN.md §6): how one export system's file is read, as configuration.

Pure: no database. A profile is validated when it is saved (DataSource.clean, add_source, the
web form) and applied when a file is read (imports.parsing.profiled_rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

CANONICAL_COLUMNS = (
    "case_id",
    "opened_at",
    "channel",
    "grouping",
    "handle_seconds",
    "wait_seconds",
    "resolved_first_contact",
    "forwarded_to",
    "outcome",
)
KEYS = ("columns", "date_format", "constants", "values", "skip", "duration_unit", "sheet")
# Joined columns: a case id from two columns is joined with "-", a date and a clock time with " ".
JOINERS = {"case_id": "-", "opened_at": " "}
DURATION_UNITS = ("seconds", "minutes")


class ProfileError(ValueError):
    """The profile cannot be used; the message names the key and what is wrong."""


@dataclass(frozen=True)
class SourceProfile:
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    date_format: str = ""
    constants: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    skip: dict[str, frozenset[str]] = field(default_factory=dict)
    duration_unit: str = "seconds"
    sheet: str = ""

    @property
    def is_plain(self) -> bool:
        """Nothing but renamed single columns and a date format: the file reads as before."""
        return not (
            self.constants
            or self.values
            or self.skip
            or self.duration_unit != "seconds"
            or any(len(headers) > 1 for headers in self.columns.values())
        )

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.columns:
            out["columns"] = {c: (h[0] if len(h) == 1 else list(h)) for c, h in self.columns.items()}
        if self.date_format:
            out["date_format"] = self.date_format
        if self.constants:
            out["constants"] = dict(self.constants)
        if self.values:
            out["values"] = {c: dict(m) for c, m in self.values.items()}
        if self.skip:
            out["skip"] = {h: sorted(v) for h, v in self.skip.items()}
        if self.duration_unit != "seconds":
            out["duration_unit"] = self.duration_unit
        if self.sheet:
            out["sheet"] = self.sheet
        return out


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ProfileError(f"{where}: väntade en text, fick {value!r}.")
    return value.strip()


def _canonical(name: Any, where: str) -> str:
    if name not in CANONICAL_COLUMNS:
        raise ProfileError(f"{where}: okänd kolumn {name!r}. Kända: {', '.join(CANONICAL_COLUMNS)}.")
    return str(name)


def profile_from_json(raw: Any) -> SourceProfile:
    """Read and check a profile; raises ProfileError naming the first problem."""
    if raw in (None, "", {}):
        return SourceProfile()
    if not isinstance(raw, dict):
        raise ProfileError('Profilen ska vara ett JSON-objekt, t.ex. {"columns": {"case_id": "call_id"}}.')
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise ProfileError(f"Okänd nyckel i profilen: {', '.join(unknown)}. Kända: {', '.join(KEYS)}.")
    columns: dict[str, tuple[str, ...]] = {}
    raw_columns = raw.get("columns", {})
    if not isinstance(raw_columns, dict):
        raise ProfileError("”columns” ska vara ett objekt: vår kolumn → filens rubrik (eller en lista av rubriker).")
    for canonical, headers in raw_columns.items():
        name = _canonical(canonical, "columns")
        if isinstance(headers, list):
            if not headers or len(headers) > 4:
                raise ProfileError(f"columns.{name}: en lista ska ha 1–4 rubriker.")
            if len(headers) > 1 and name not in JOINERS:
                raise ProfileError(f"columns.{name}: bara case_id och opened_at kan slås ihop av flera kolumner.")
            columns[name] = tuple(_text(h, f"columns.{name}") for h in headers)
        else:
            columns[name] = (_text(headers, f"columns.{name}"),)
    date_format = raw.get("date_format", "")
    if date_format:
        date_format = _text(date_format, "date_format")
        if "%" not in date_format:
            raise ProfileError(f"date_format {date_format!r}: använd strptime-koder, t.ex. %d/%m/%Y %H:%M.")
        try:
            datetime.strftime(datetime(2026, 3, 1, 9, 5, 7), date_format)
        except ValueError as exc:
            raise ProfileError(f"date_format {date_format!r} kan inte användas: {exc}.") from exc
    constants: dict[str, str] = {}
    raw_constants = raw.get("constants", {})
    if not isinstance(raw_constants, dict):
        raise ProfileError("”constants” ska vara ett objekt: vår kolumn → värdet för varje rad.")
    for canonical, value in raw_constants.items():
        name = _canonical(canonical, "constants")
        if name in columns:
            raise ProfileError(f"constants.{name}: kolumnen läses redan ur filen (columns.{name}).")
        constants[name] = _text(str(value) if isinstance(value, int | float) else value, f"constants.{name}")
    values: dict[str, dict[str, str]] = {}
    raw_values = raw.get("values", {})
    if not isinstance(raw_values, dict):
        raise ProfileError("”values” ska vara ett objekt: vår kolumn → {filens värde: vårt värde}.")
    for canonical, mapping in raw_values.items():
        name = _canonical(canonical, "values")
        if not isinstance(mapping, dict) or not mapping:
            raise ProfileError(f"values.{name}: väntade ett objekt {{filens värde: vårt värde}}.")
        values[name] = {str(k).strip(): _text(v, f"values.{name}.{k}") for k, v in mapping.items()}
    skip: dict[str, frozenset[str]] = {}
    raw_skip = raw.get("skip", {})
    if not isinstance(raw_skip, dict):
        raise ProfileError("”skip” ska vara ett objekt: filens rubrik → värden vars rader hoppas över.")
    for header, skipped in raw_skip.items():
        name = _text(header, "skip")
        if not isinstance(skipped, list) or not skipped:
            raise ProfileError(f"skip.{name}: väntade en lista av värden.")
        skip[name] = frozenset(str(v).strip() for v in skipped)
    unit = raw.get("duration_unit", "seconds")
    if unit not in DURATION_UNITS:
        raise ProfileError(f"duration_unit {unit!r}: välj seconds eller minutes.")
    sheet = raw.get("sheet", "")
    if sheet:
        sheet = _text(sheet, "sheet")
    return SourceProfile(
        columns=columns,
        date_format=date_format,
        constants=constants,
        values=values,
        skip=skip,
        duration_unit=unit,
        sheet=sheet,
    )

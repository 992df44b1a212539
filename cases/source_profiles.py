"""Source profiles (DESIGN.md §6): how one export system's file is read, as configuration.

Pure: no database. A profile is validated when it is saved (DataSource.clean, add_source, the
web form) and applied when a file is read (imports.parsing.profiled_rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext as _

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


# A profile is a few lines of JSON three levels deep. Bounding its size and nesting before it is
# parsed keeps a hostile text (100,000 nested "[": the parser's recursion limit, a 500) a 400.
PROFILE_MAX_CHARS = 100_000
PROFILE_MAX_DEPTH = 8


def profile_text_check(text: str) -> None:
    """Refuse a profile text too large or too deeply nested to be worth parsing."""
    if len(text) > PROFILE_MAX_CHARS:
        raise ProfileError(
            _("The profile has %(size)s characters; at most %(max)s are read.")
            % {"size": len(text), "max": PROFILE_MAX_CHARS}
        )
    depth = 0
    in_string = escaped = False
    for position, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > PROFILE_MAX_DEPTH:
                line = text.count("\n", 0, position) + 1
                raise ProfileError(
                    _("The profile nests more than %(max)s levels deep (row %(row)s); a profile needs at most 3.")
                    % {"max": PROFILE_MAX_DEPTH, "row": line}
                )
        elif char in "]}":
            depth -= 1


def profile_from_text(text: str) -> Any:
    """A profile's JSON text → its value (checked by profile_from_json); ProfileError names the
    row and column of bad JSON."""
    import json

    profile_text_check(text)
    if not text.strip():
        return {}
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProfileError(
            _("The profile is not valid JSON: row %(row)s, column %(column)s: %(reason)s.")
            % {"row": exc.lineno, "column": exc.colno, "reason": exc.msg}
        ) from exc


def _date_format_check(date_format: str) -> None:
    """A format strptime can compile (a repeated directive cannot: "%d %d" is a regex error, a
    500 in the preview and a batch left processing) and strftime can write."""
    import re
    from _strptime import _TimeRE_cache

    try:
        _TimeRE_cache.compile(date_format)
        datetime.strftime(datetime(2026, 3, 1, 9, 5, 7), date_format)
    except (ValueError, KeyError, re.error) as exc:
        reason = str(exc)
        if isinstance(exc, re.error) and "redefinition of group name" in reason:
            reason = _("a directive appears twice")
        elif isinstance(exc, KeyError):
            reason = _("%(directive)s is no strptime directive") % {"directive": f"%{exc.args[0]}"}
        raise ProfileError(
            _("date_format %(format)r cannot be used: %(error)s.") % {"format": date_format, "error": reason}
        ) from exc


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
        raise ProfileError(_("%(where)s: expected a text, got %(value)r.") % {"where": where, "value": value})
    return value.strip()


def _canonical(name: Any, where: str) -> str:
    if name not in CANONICAL_COLUMNS:
        raise ProfileError(
            _("%(where)s: unknown column %(name)r. Known: %(known)s.")
            % {"where": where, "name": name, "known": ", ".join(CANONICAL_COLUMNS)}
        )
    return str(name)


def profile_from_json(raw: Any) -> SourceProfile:
    """Read and check a profile; raises ProfileError naming the first problem."""
    if raw in (None, "", {}):
        return SourceProfile()
    if not isinstance(raw, dict):
        raise ProfileError(
            _("The profile must be a JSON object, e.g. %(example)s.")
            % {"example": '{"columns": {"case_id": "call_id"}}'}
        )
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise ProfileError(
            _("Unknown key in the profile: %(unknown)s. Known: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(KEYS)}
        )
    columns: dict[str, tuple[str, ...]] = {}
    raw_columns = raw.get("columns", {})
    if not isinstance(raw_columns, dict):
        raise ProfileError(_("”columns” must be an object: our column → the file's header (or a list of headers)."))
    for canonical, headers in raw_columns.items():
        name = _canonical(canonical, "columns")
        if isinstance(headers, list):
            if not headers or len(headers) > 4:
                raise ProfileError(_("columns.%(name)s: a list must have 1–4 headers.") % {"name": name})
            if len(headers) > 1 and name not in JOINERS:
                raise ProfileError(
                    _("columns.%(name)s: only case_id and opened_at can be joined from several columns.")
                    % {"name": name}
                )
            columns[name] = tuple(_text(h, f"columns.{name}") for h in headers)
        else:
            columns[name] = (_text(headers, f"columns.{name}"),)
    date_format = raw.get("date_format", "")
    if date_format:
        date_format = _text(date_format, "date_format")
        if "%" not in date_format:
            raise ProfileError(
                _("date_format %(format)r: use strptime codes, e.g. %(example)s.")
                % {"format": date_format, "example": "%d/%m/%Y %H:%M"}
            )
        _date_format_check(date_format)
    constants: dict[str, str] = {}
    raw_constants = raw.get("constants", {})
    if not isinstance(raw_constants, dict):
        raise ProfileError(_("”constants” must be an object: our column → the value for every row."))
    for canonical, value in raw_constants.items():
        name = _canonical(canonical, "constants")
        if name in columns:
            raise ProfileError(
                _("constants.%(name)s: the column is already read from the file (columns.%(name)s).") % {"name": name}
            )
        constants[name] = _text(str(value) if isinstance(value, int | float) else value, f"constants.{name}")
    values: dict[str, dict[str, str]] = {}
    raw_values = raw.get("values", {})
    if not isinstance(raw_values, dict):
        raise ProfileError(_("”values” must be an object: our column → {the file's value: our value}."))
    for canonical, mapping in raw_values.items():
        name = _canonical(canonical, "values")
        if not isinstance(mapping, dict) or not mapping:
            raise ProfileError(_("values.%(name)s: expected an object {the file's value: our value}.") % {"name": name})
        values[name] = {str(k).strip(): _text(v, f"values.{name}.{k}") for k, v in mapping.items()}
    skip: dict[str, frozenset[str]] = {}
    raw_skip = raw.get("skip", {})
    if not isinstance(raw_skip, dict):
        raise ProfileError(_("”skip” must be an object: the file's header → values whose rows are skipped."))
    for header, skipped in raw_skip.items():
        name = _text(header, "skip")
        if not isinstance(skipped, list) or not skipped:
            raise ProfileError(_("skip.%(name)s: expected a list of values.") % {"name": name})
        skip[name] = frozenset(str(v).strip() for v in skipped)
    unit = raw.get("duration_unit", "seconds")
    if unit not in DURATION_UNITS:
        raise ProfileError(_("duration_unit %(unit)r: choose seconds or minutes.") % {"unit": unit})
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


class ProfileJSONField(forms.JSONField):
    """A profile's JSON text in a form (the web form and the admin): bounded before it is
    parsed, and bad JSON named by row and column."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and not self.disabled:
            try:
                return profile_from_text(value)
            except ProfileError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return super().to_python(value)

    def bound_data(self, data: Any, initial: Any) -> Any:
        # A refused text is shown again as it was typed, never parsed to be shown.
        if isinstance(data, str):
            try:
                profile_text_check(data)
            except ProfileError:
                from django.forms.fields import InvalidJSONInput

                return InvalidJSONInput(data)
        return super().bound_data(data, initial)

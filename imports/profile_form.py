"""A source profile built from a form instead of JSON (DESIGN.md §6): a sample file is read with
the upload's bounds, its headers become the drop-downs, the date formats that read every sampled
date become the choices, and the form's answers become the profile JSON that
cases.source_profiles checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from django import forms
from django.core import signing
from django.utils.formats import date_format as localised_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.source_profiles import CANONICAL_COLUMNS, JOINERS, ProfileError, profile_from_json
from imports.parsing import FileRejected, is_blank
from imports.preview import open_sample

SAMPLE_ROWS = 50
SAMPLE_CHARS = 200_000  # and fewer rows of a very wide file (the form's POST stays well under Django's bound)
CELL_CHARS = 100  # the sample travels in the form: a 1 MB cell would not (dates and codes are short)
SAMPLE_SALT = "imports.profile_form.sample"
VALUE_ROWS = 12
SKIP_ROWS = 4

FIELD_LABELS = {
    "case_id": gettext_lazy("Case id"),
    "opened_at": gettext_lazy("Opened at (date and time)"),
    "channel": gettext_lazy("Channel"),
    "grouping": gettext_lazy("Grouping"),
    "handle_seconds": gettext_lazy("Handle time"),
    "wait_seconds": gettext_lazy("Wait time"),
    "resolved_first_contact": gettext_lazy("Resolved at first contact"),
    "forwarded_to": gettext_lazy("Forwarded to"),
    "outcome": gettext_lazy("Outcome"),
}

# Candidate formats of a date (with or without a clock time); the sample decides which read.
_DATES = ("%Y-%m-%d", "%d-%m-%Y", "%m-%d-%Y", "%d/%m/%Y", "%m/%d/%Y", "%Y/%m/%d", "%d.%m.%Y", "%Y%m%d", "%y%m%d")
_TIMES = (" %H:%M:%S", " %H:%M", "T%H:%M:%S", "")


@dataclass(frozen=True)
class Sample:
    headers: list[str]
    rows: list[list[str]]

    def as_csv(self) -> bytes:
        """The sample as a tab-separated file again, for the preview."""
        import csv
        import io

        out = io.StringIO()
        csv.writer(out, delimiter="\t").writerows([self.headers, *self.rows])
        return out.getvalue().encode("utf-8")

    def signed(self) -> str:
        return signing.dumps({"h": self.headers, "r": self.rows}, salt=SAMPLE_SALT, compress=True)


def sample_read(stream: IO[bytes], size: int, sheet: str = "") -> Sample:
    """The first non-blank row of a sample as its headers and up to SAMPLE_ROWS rows after it,
    read with the bounds of an upload; raises FileRejected for a file the upload would refuse."""
    table = open_sample(stream, size=size, sheet=sheet)
    headers: list[str] = []
    rows: list[list[str]] = []
    kept = 0
    for _row_no, cells in table.rows:
        if is_blank(cells):
            continue
        if not headers:
            headers = [c.strip()[:CELL_CHARS] for c in cells]
            continue
        rows.append([c.strip()[:CELL_CHARS] for c in cells])
        kept += sum(len(c) for c in rows[-1])
        if len(rows) >= SAMPLE_ROWS or kept > SAMPLE_CHARS:
            break
    if not [h for h in headers if h]:
        raise FileRejected(_("The sample has no header row."))
    return Sample(headers=headers, rows=rows)


def sample_from_signed(token: str) -> Sample:
    """A sample carried in the form (signed, so no header can be slipped in); ValueError if not."""
    try:
        data = signing.loads(token, salt=SAMPLE_SALT)
    except signing.BadSignature as exc:
        raise ValueError(_("The sample is missing or was altered: upload it again.")) from exc
    return Sample(headers=list(data["h"]), rows=[list(r) for r in data["r"]])


def joined_values(sample: Sample, headers: list[str], joiner: str) -> list[str]:
    """The values of `headers` joined per row, as the import joins them."""
    index = [sample.headers.index(h) for h in headers]
    out = []
    for row in sample.rows:
        parts = [row[i].strip() if i < len(row) else "" for i in index]
        if any(parts):
            out.append(joiner.join(parts))
    return out


def date_format_candidates(values: list[str]) -> list[tuple[str, str]]:
    """(format, how the first value reads with it) for every candidate that reads all values."""
    found: list[tuple[str, str]] = []
    if not values:
        return found
    for date_part in _DATES:
        for time_part in _TIMES:
            fmt = date_part + time_part
            try:
                parsed = [datetime.strptime(v, fmt) for v in values]
            except ValueError:
                continue
            shown = "j F Y H:i:s" if "%S" in fmt else "j F Y H:i" if "%M" in fmt else "j F Y"
            found.append((fmt, f"{values[0]} → {localised_date(parsed[0], shown)}"))
    return found


def _header_field(headers: list[str], label: Any, required: bool = False) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        required=required,
        choices=[("", _("(not in the file)"))] + [(h, h) for h in headers if h],
        error_messages={"invalid_choice": _("%(value)s is not a column of the sample.")},
    )


class ProfileBuilderForm(forms.Form):
    """The profile's parts as drop-downs and rows; `profile` (after is_valid) is its JSON."""

    sample = forms.CharField(widget=forms.HiddenInput)
    duration_unit = forms.ChoiceField(
        label=gettext_lazy("Durations are given in"),
        choices=[("seconds", gettext_lazy("seconds")), ("minutes", gettext_lazy("minutes"))],
    )

    def __init__(self, *args: Any, sample: Sample, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.taken = sample
        self.fields["sample"].initial = sample.signed()
        headers = sample.headers
        for name in CANONICAL_COLUMNS:
            self.fields[f"column_{name}"] = _header_field(headers, FIELD_LABELS[name])
            if name in JOINERS:
                self.fields[f"column_{name}_2"] = _header_field(
                    headers, _("%(field)s, joined with") % {"field": FIELD_LABELS[name]}
                )
            self.fields[f"constant_{name}"] = forms.CharField(
                label=_("%(field)s: the same value on every row") % {"field": FIELD_LABELS[name]},
                required=False,
                max_length=100,
            )
        self.fields["date_format"] = forms.ChoiceField(
            label=_("Date format"),
            required=False,
            choices=[("", "—"), *self._date_choices()],
            error_messages={"invalid_choice": _("%(value)s does not read the sample's dates.")},
        )
        canonical = [("", "—")] + [(c, FIELD_LABELS[c]) for c in CANONICAL_COLUMNS]
        for i in range(VALUE_ROWS):
            self.fields[f"value_{i}_column"] = forms.ChoiceField(label=_("Field"), required=False, choices=canonical)
            self.fields[f"value_{i}_from"] = forms.CharField(label=_("Value in the file"), required=False)
            self.fields[f"value_{i}_to"] = forms.CharField(label=_("Our value"), required=False)
        for i in range(SKIP_ROWS):
            self.fields[f"skip_{i}_column"] = _header_field(headers, _("Column"))
            self.fields[f"skip_{i}_value"] = forms.CharField(label=_("Skip rows with the value"), required=False)
        self.profile: dict[str, Any] = {}

    def _opened_headers(self, data: Any) -> list[str]:
        return [h for h in (data.get("column_opened_at"), data.get("column_opened_at_2")) if h]

    def _date_choices(self) -> list[tuple[str, str]]:
        data = self.data if self.is_bound else self.initial
        headers = [h for h in self._opened_headers(data) if h in self.taken.headers]
        return date_format_candidates(joined_values(self.taken, headers, JOINERS["opened_at"])) if headers else []

    def column_rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        """Per canonical field: its drop-down(s) and constant, for the template."""
        out = []
        for name in CANONICAL_COLUMNS:
            names = [f"column_{name}"] + ([f"column_{name}_2"] if name in JOINERS else []) + [f"constant_{name}"]
            out.append((str(FIELD_LABELS[name]), [self[n] for n in names]))
        return out

    def value_rows(self) -> list[list[forms.BoundField]]:
        return [[self[f"value_{i}_{p}"] for p in ("column", "from", "to")] for i in range(VALUE_ROWS)]

    def skip_rows(self) -> list[list[forms.BoundField]]:
        return [[self[f"skip_{i}_{p}"] for p in ("column", "value")] for i in range(SKIP_ROWS)]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if self.errors:
            return data
        raw: dict[str, Any] = {"columns": {}, "constants": {}, "values": {}, "skip": {}}
        for name in CANONICAL_COLUMNS:
            headers = [data.get(f"column_{name}")] + ([data.get(f"column_{name}_2")] if name in JOINERS else [])
            headers = [h for h in headers if h]
            if headers:
                raw["columns"][name] = headers[0] if len(headers) == 1 else headers
            if data.get(f"constant_{name}", "").strip():
                raw["constants"][name] = data[f"constant_{name}"].strip()
        for i in range(VALUE_ROWS):
            column, value_from, value_to = (data.get(f"value_{i}_{p}", "") for p in ("column", "from", "to"))
            if column and (value_from.strip() or value_to.strip()):
                raw["values"].setdefault(column, {})[value_from.strip()] = value_to.strip()
        for i in range(SKIP_ROWS):
            column, value = data.get(f"skip_{i}_column", ""), data.get(f"skip_{i}_value", "").strip()
            if column and value:
                raw["skip"].setdefault(column, []).append(value)
        if data.get("date_format"):
            raw["date_format"] = data["date_format"]
        elif raw["columns"].get("opened_at") and len(self.fields["date_format"].choices) > 1:  # type: ignore[attr-defined]
            self.add_error("date_format", _("Choose the date format that reads the sample's dates."))
            return data
        elif raw["columns"].get("opened_at"):
            values = joined_values(self.taken, self._opened_headers(data), JOINERS["opened_at"])
            self.add_error(
                "date_format",
                _("No date format reads the sample's dates (e.g. %(value)r); check the date and time columns.")
                % {"value": values[0] if values else ""},
            )
            return data
        if data.get("duration_unit") != "seconds":
            raw["duration_unit"] = data["duration_unit"]
        try:
            self.profile = profile_from_json({k: v for k, v in raw.items() if v}).as_json()
        except ProfileError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data


def initial_from_profile(profile: Any, sample: Sample) -> dict[str, Any]:
    """The form's starting answers from a saved profile (headers the sample lacks left out)."""
    try:
        parsed = profile_from_json(profile)
    except ProfileError:
        return {"duration_unit": "seconds"}
    initial: dict[str, Any] = {"duration_unit": parsed.duration_unit, "date_format": parsed.date_format}
    for name, headers in parsed.columns.items():
        known = [h for h in headers if h in sample.headers]
        for key, header in zip((f"column_{name}", f"column_{name}_2"), known, strict=False):
            initial[key] = header
    initial.update({f"constant_{k}": v for k, v in parsed.constants.items()})
    rows = [(c, f, t) for c, m in parsed.values.items() for f, t in m.items()][:VALUE_ROWS]
    for i, (column, value_from, value_to) in enumerate(rows):
        initial.update({f"value_{i}_column": column, f"value_{i}_from": value_from, f"value_{i}_to": value_to})
    skips = [(h, v) for h, values in parsed.skip.items() if h in sample.headers for v in sorted(values)][:SKIP_ROWS]
    for i, (header, value) in enumerate(skips):
        initial.update({f"skip_{i}_column": header, f"skip_{i}_value": value})
    return initial

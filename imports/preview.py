"""Trying a source profile on a sample file before saving it: the rows as the profile shapes them,
and the errors the import would report."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

from imports.parsing import (
    CASE_COLUMNS,
    CASE_REQUIRED,
    CHANNEL_WORDS,
    COLUMN_LABELS,
    CaseRowValidator,
    FileRejected,
    RowError,
    describe_error,
    is_blank,
    locate_profiled_header,
    open_table,
    profile_row,
)
from imports.parsing.files import Table
from imports.processing import SKIPPED, through_profile
from imports.reading import Reading, csv_limits, load_references, xlsx_limits

logger = logging.getLogger(__name__)

# --- Trying a profile on a sample --------------------------------------------------------------


@dataclass
class ProfilePreview:
    """The first rows of a sample file as a profile would read them, and every problem found."""

    columns: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    file_error: str = ""


PREVIEW_ROWS = 20


def shown_in_words(columns: list[str], values: list[str]) -> list[str]:
    """A shaped row as a reader reads it: channel and outcome codes in the reader's words
    ("phone" → "telefon", "abandoned" → "avbruten"); other values as the file has them."""
    from cases.models import CaseRecord

    outcomes = dict(CaseRecord._meta.get_field("outcome").choices or [])
    words: dict[str, Any] = {"channel": CHANNEL_WORDS, "outcome": outcomes}
    return [str(words.get(c, {}).get(v, v)) for c, v in zip(columns, values, strict=False)]


def open_sample(stream: IO[bytes], *, size: int, sheet: str = "") -> Table:
    """A sample file opened with the bounds of an upload (the preview and the profile form)."""
    return open_table(
        stream,
        size=size,
        max_xlsx_bytes=settings.IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES,
        xlsx_limits=xlsx_limits(),
        csv_limits=csv_limits(),
        sheet=sheet,
    )


def source_profile_preview(
    *, profile: Any, stream: IO[bytes], size: int, user: Any = None, count_upload: bool = True
) -> ProfilePreview:
    """Read the first PREVIEW_ROWS rows of a sample through `profile` (its JSON form) without
    saving anything: the canonical values each row becomes, and every row or file problem, with
    the same messages an upload would give.

    A sample is read as an upload is (the same limits) and counts as one against the user's
    upload throttle: raises imports.services.UploadThrottled past it. The profile form's sample
    (at most profile_form.SAMPLE_ROWS rows, counted once when it was read) is tried with
    count_upload=False, so its preview can follow every answer as it is given."""
    from cases.source_profiles import ProfileError, profile_from_json
    from imports.services import upload_throttle_check

    if count_upload:
        upload_throttle_check(user=user)
    preview = ProfilePreview()
    try:
        parsed = profile_from_json(profile)
    except ProfileError as exc:
        preview.file_error = str(exc)
        return preview
    refs = load_references()
    reading = Reading()
    try:
        table = open_sample(stream, size=size, sheet=parsed.sheet)
        found = locate_profiled_header(table, profile=parsed, synonyms=CASE_COLUMNS, required=CASE_REQUIRED)
        validate_row = CaseRowValidator(
            header=found.canonical,
            refs=refs,
            date_format=parsed.date_format,
            duration_unit=parsed.duration_unit,
            cell_separator=table.delimiter or " | ",
        )
        validate = through_profile(found, validate_row, reading, table.delimiter or " | ")
        preview.columns = [str(COLUMN_LABELS.get(c, c)) for c in found.order]  # in the reader's words
        for row_no, cells in table.rows:
            if is_blank(cells):
                continue
            shaped = profile_row(found, row_no, cells, table.delimiter or " | ")
            result = validate(row_no, cells)
            if result is SKIPPED:
                continue
            if isinstance(result, list):
                preview.errors.extend(describe_error(e.row, e.column, e.value, e.reason) for e in result)
            if isinstance(shaped, list) and shaped and not isinstance(shaped[0], RowError):
                preview.rows.append((row_no, shown_in_words(list(found.order), shaped)))
            if len(preview.rows) >= PREVIEW_ROWS:
                break
    except FileRejected as exc:
        preview.file_error = str(exc)
    except Exception as exc:  # an input no check foresaw: told, logged, never a 500
        logger.exception("profile preview failed")
        preview.file_error = _("The sample cannot be read: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"}
    preview.skipped = reading.skipped
    return preview

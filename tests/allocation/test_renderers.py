"""The published workbooks open in LibreOffice (headless) and their totals match the database."""

from __future__ import annotations

import csv
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest

from allocation.publications.publishing import publication_create
from cases.models import CaseRecord
from tests.conftest import IN_CI

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
SOFFICE = shutil.which("soffice")


def _all_sheets_as_csv(xlsx, out_dir):  # type: ignore[no-untyped-def]
    # Filter options: comma, quote, UTF-8, from line 1, …, sheet -1 = every sheet to its own file.
    options = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"
    proc = subprocess.run(
        [
            SOFFICE,
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{out_dir}/profile",
            "--convert-to",
            options,
            "--outdir",
            str(out_dir),
            str(xlsx),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return {p.stem.split("-", 1)[-1]: list(csv.reader(p.open(encoding="utf-8"))) for p in out_dir.glob("*.csv")}


def test_the_workbooks_open_in_libreoffice_and_match_the_database(volumes, tmp_path):
    if SOFFICE is None:
        if IN_CI:
            pytest.fail("CI=true but LibreOffice is missing (apt-get install libreoffice-calc-nogui)")
        pytest.skip("needs LibreOffice: apt-get install libreoffice-calc-nogui")
    publication = publication_create(month=date(2026, 3, 1))
    municipality = publication.files.get(name="kommun.xlsx")
    path = tmp_path / "kommun.xlsx"
    path.write_bytes(municipality.file.read())
    sheets = _all_sheets_as_csv(path, tmp_path)
    assert {"Sammanfattning", "Kanaler", "Trend", "Förvaltningar"} <= set(sheets), sheets.keys()
    channels = sheets["Kanaler"][1:]
    assert (
        sum(Decimal(row[1]) for row in channels if row and row[1])
        == CaseRecord.objects.filter(month=date(2026, 3, 1)).count()
    )
    admins = {row[0]: row for row in sheets["Förvaltningar"][1:] if row}
    assert Decimal(admins["UF"][2]) == 3
    assert sum(Decimal(r[3]) for r in admins.values()) == Decimal(100)

"""The Swedish catalogue is complete and current: every text has its Swedish translation (none
empty, none fuzzy), `makemessages` finds nothing new, and the compiled .mo says what the .po says.

A new or changed text therefore cannot land without its Swedish (`make messages`, then write
the Swedish in locale/sv/LC_MESSAGES/django.po, then `make messages` again to compile it)."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "sv" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
# As in the Makefile's `messages`: the virtualenv, benchmarks, tests and generated folders hold no texts.
IGNORED = [f"--ignore={d}" for d in (".venv", "bench", "tests", "media", "var", "staticfiles")]


def _unquote(lines: list[str]) -> str:
    text = "".join(re.findall(r'"(.*)"', "\n".join(lines)))
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text)


def parse_po(text: str) -> list[dict[str, object]]:
    """Entries of a .po file: context, msgid, translations (one per plural form), flags."""
    entries = []
    for block in text.strip().split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        flags = {f.strip() for line in lines if line.startswith("#,") for f in line[2:].split(",")}
        fields: dict[str, list[str]] = {}
        current = None
        for line in lines:
            if line.startswith("#"):
                continue
            match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (.*)$", line)
            if match:
                current = match.group(1)
                fields[current] = [match.group(2)]
            elif current and line.startswith('"'):
                fields[current].append(line)
        if "msgid" not in fields:
            continue
        entries.append(
            {
                "context": _unquote(fields["msgctxt"]) if "msgctxt" in fields else None,
                "msgid": _unquote(fields["msgid"]),
                "plural": "msgid_plural" in fields,
                "translations": [_unquote(v) for k, v in sorted(fields.items()) if k.startswith("msgstr")],
                "fuzzy": "fuzzy" in flags,
            }
        )
    return entries


def _catalogue(text: str) -> dict[tuple[object, object], list[str]]:
    return {(e["context"], e["msgid"]): e["translations"] for e in parse_po(text) if e["msgid"]}  # type: ignore[misc]


def test_every_text_has_its_swedish_and_none_is_fuzzy():
    entries = [e for e in parse_po(PO.read_text(encoding="utf-8")) if e["msgid"]]
    assert len(entries) > 600, len(entries)
    empty = [e["msgid"] for e in entries if not all(e["translations"])]  # type: ignore[union-attr]
    fuzzy = [e["msgid"] for e in entries if e["fuzzy"]]
    assert not empty, f"without Swedish: {empty}"
    assert not fuzzy, f"fuzzy (check the Swedish, then remove the flag): {fuzzy}"
    header = parse_po(PO.read_text(encoding="utf-8"))[0]
    assert header["msgid"] == "" and not header["fuzzy"]


def test_the_parser_sees_empty_and_fuzzy_entries():
    sample = 'msgid "a"\nmsgstr ""\n\n#, fuzzy, python-format\nmsgctxt "c"\nmsgid "b %(x)s"\nmsgstr "B %(x)s"\n'
    first, second = parse_po(sample)
    assert first["translations"] == [""] and not first["fuzzy"]
    assert second["fuzzy"] and second["context"] == "c" and second["translations"] == ["B %(x)s"]


@pytest.mark.slow
def test_makemessages_finds_nothing_new():
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.fail("gettext tools (xgettext, msgmerge) are missing; .ci/run installs the gettext package")
    before = PO.read_text(encoding="utf-8")
    try:
        subprocess.run(
            [sys.executable, "manage.py", "makemessages", "-l", "sv", "--no-obsolete", *IGNORED],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        after = PO.read_text(encoding="utf-8")
    finally:
        PO.write_text(before, encoding="utf-8")
    old, new = _catalogue(before), _catalogue(after)
    added = sorted(str(k[1]) for k in set(new) - set(old))
    gone = sorted(str(k[1]) for k in set(old) - set(new))
    assert not added, f"texts in the code that the catalogue lacks (run make messages): {added}"
    assert not gone, f"texts in the catalogue that the code no longer has (run make messages): {gone}"
    fuzzy = [e["msgid"] for e in parse_po(after) if e["msgid"] and e["fuzzy"]]
    assert not fuzzy, fuzzy


def test_the_compiled_catalogue_matches_the_po():
    with MO.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    mismatched = []
    for entry in parse_po(PO.read_text(encoding="utf-8")):
        if not entry["msgid"] or entry["plural"]:
            continue
        msgid = str(entry["msgid"])
        translated = compiled.pgettext(str(entry["context"]), msgid) if entry["context"] else compiled.gettext(msgid)
        if translated != entry["translations"][0]:  # type: ignore[index]
            mismatched.append(msgid)
    assert not mismatched, f"the .mo differs from the .po (run make messages): {mismatched[:10]}"

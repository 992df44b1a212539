"""Printing a document to PDF: the decision memo and the yearly evaluation are rendered to HTML by
their pages and printed here, by headless Chromium in a child process (`memo_print`, run by its
path), one at a time on the whole service and stopped when the time limit passes."""

from __future__ import annotations

from django.utils.translation import gettext as _


class MemoPdfUnavailable(RuntimeError):
    """No PDF now: Chromium is missing, another memo is being printed, or printing took too long."""


MEMO_PDF_LOCK = "memo-pdf-printing"


def memo_pdf_command(executable: str) -> list[str]:
    """The child process that prints (allocation/keys/memo_print.py, run by its path so that it does not
    depend on the server's working directory); a test may put a slow one here."""
    import sys
    from pathlib import Path

    # -P: the script's folder is not put on sys.path (allocation/selectors.py would hide the
    # standard library's selectors from asyncio).
    return [sys.executable, "-P", str(Path(__file__).with_name("memo_print.py")), executable]


def memo_pdf(html: str) -> bytes:
    """The memo as an A4 PDF, printed by headless Chromium (MEMO_PDF_CHROMIUM; Debian's package)
    in a child process: one at a time on the whole service (a lock in the shared cache), and
    stopped with its Chromium after MEMO_PDF_SECONDS. Raises MemoPdfUnavailable with the reason."""
    import os
    import signal
    import subprocess
    import uuid

    from django.conf import settings
    from django.core.cache import cache

    executable = settings.MEMO_PDF_CHROMIUM
    if not os.path.exists(executable):
        raise MemoPdfUnavailable(
            _(
                "A PDF cannot be made on the server (Chromium is missing); print the page or save it as PDF "
                "in the browser."
            )
        )
    seconds = settings.MEMO_PDF_SECONDS
    token = uuid.uuid4().hex
    # The lock outlives a killed child by a little, never a crashed web worker by long.
    if not cache.add(MEMO_PDF_LOCK, token, timeout=seconds + 30):
        raise MemoPdfUnavailable(
            _("Another memo is being printed just now; try again in a minute, or print the page in the browser.")
        )
    try:
        # The command is this Python and our module; the executable is a setting, not input.
        child = subprocess.Popen(  # noqa: S603
            memo_pdf_command(executable),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: Chromium goes with it when it is killed
        )
        try:
            pdf, _err = child.communicate(html.encode("utf-8"), timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.communicate()
            raise MemoPdfUnavailable(
                _(
                    "Printing the memo took more than %(seconds)s seconds and was stopped; "
                    "print the page in the browser."
                )
                % {"seconds": seconds}
            ) from None
        finally:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
        if child.returncode != 0 or not pdf.startswith(b"%PDF"):
            raise MemoPdfUnavailable(_("The memo could not be printed; print the page in the browser."))
        return pdf
    finally:
        if cache.get(MEMO_PDF_LOCK) == token:
            cache.delete(MEMO_PDF_LOCK)

"""The decision memo printed to PDF by headless Chromium, in a child process of its own.

`python allocation/keys/memo_print.py CHROMIUM` reads the memo's HTML on stdin and writes the PDF on
stdout. Run by allocation.keys.printing.memo_pdf (the memo and the yearly evaluation), which allows
one at a time and kills the whole process group when the time limit passes: a hostile or huge memo
cannot hold the web worker, its memory or the machine's Chromiums. No Django here: the page was rendered before."""

from __future__ import annotations

import sys


def print_pdf(html: str, executable: str) -> bytes:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.set_content(html, wait_until="load")
            return page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
        finally:
            browser.close()


if __name__ == "__main__":
    sys.stdout.buffer.write(print_pdf(sys.stdin.buffer.read().decode("utf-8"), sys.argv[1]))

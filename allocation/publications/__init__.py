"""Publications: a month's typed figures (`figures`), workbooks of keys and runs (`workbooks`),
charts and files from the figures alone (`renderers`), a new version exactly once (`publishing`),
a month's publication for a page or the API (`lookup`); the statistics pages (`views`, `urls`).

May import: `cases`, `allocation.models`, the base, `allocation.keys` and `allocation.runs`.
Its pages never import another page module."""

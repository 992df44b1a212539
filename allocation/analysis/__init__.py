"""Analysis: what-if of the grouping map and a key's drift against published months
(`whatif`), a key's robustness rows and chart for its review (`review`); the pages (`views`).

May import: `cases`, `allocation.models`, the base, `allocation.keys`, `allocation.runs` and
`allocation.publications`. Its pages never import another page module."""

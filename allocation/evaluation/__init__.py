"""The yearly evaluation the decision asks for: one report (page, PDF, workbook) built from the
parts every capability states about a year.

A capability contributes a `sections.Section`; this package assembles and renders them, and
states its own three: `volumes` (cases per channel and year), `shares` (the approved keys beside the
measured shares) and `costs` (the pool, cost per case and minute, the charges). `report` orders the
sections (`SECTION_PROVIDERS`) and keeps the year's text; `cells` formats a value by its column's
kind (pure); `charts` and `workbook` render; the pages are `views` (its PDF through
`allocation.keys.printing`) and `urls`.

It is the top of allocation's arrows: it may import every other capability (not `analysis`), and
none imports it.
"""

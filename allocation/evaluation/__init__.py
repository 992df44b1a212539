"""The yearly evaluation the decision asks for: one report (page, PDF, workbook) built from the
parts every capability states about a year.

A capability contributes a `sections.Section`; this package only assembles and renders them. It is
the top of allocation's arrows: it may import every other capability, and none imports it.
"""

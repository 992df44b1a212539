"""Transfers and benefit realisation (issue 31, part 1): the register of groupings moved to the
contact centre (`register`: writes, the import, hour costs; `files`: reading a transfer file, pure),
the arithmetic of what a transfer relieves (`benefit`, pure), its reads (`selectors`), the
publication's sheet (`sheets`, pure), the evaluation's part (`evaluation_part`) and the pages
(`views`, `urls`).

May import the base, `keys`, `runs` and `cases`; `publications` and the evaluation import it.
"""

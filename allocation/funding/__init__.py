"""Funding: central funding as records (`sources`: the funding sources, their amounts per year and
planned phase-out, the overview of funding by source and year beside the co-financing), the
switchboard's extension register and its driver key (`extensions`), the overview's chart
(`charts`), the evaluation's part (`evaluation_part`); pages `views`.

May import: `cases`, `allocation.models`, the base, `allocation.keys` and `allocation.evaluation.sections`.
Its pages may import any service of `allocation`, never another page module."""

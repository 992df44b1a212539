"""The ledger: a charging run's vouchers (`postings`, a pure writer), the journal of postings,
their exports and posting profiles (`journal`), the year's settlement and budget frames
(`settlements`), the centre's capacity and cost (`capacity`, pure); the ledger API (`api`) and
pages (`views`, `cost_views`).

May import: `cases`, `allocation.models`, the base, `allocation.keys`, `allocation.runs` and
`allocation.publications.workbooks`. Its pages never import another page module."""

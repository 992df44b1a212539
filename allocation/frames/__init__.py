"""Frames: frame adjustment (ramjustering) as the alternative to internal charges. A year's
co-financing amounts per administration (`adjustments.co_financing_amounts`, which the budget-frame
page also reads), a frame-adjustment run and its changes (`adjustments`, the split in
`calculation.largest_remainder`), the three models side by side (`comparison`), the run's workbook
(`workbook`), the evaluation's part (`evaluation_part`); pages `views`.

May import: `cases`, `allocation.models`, the base, `allocation.keys`, `allocation.runs`,
`allocation.funding`, `allocation.transfers` and `allocation.evaluation.sections`.
Its pages may import any service of `allocation`, never another page module."""

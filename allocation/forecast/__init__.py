"""Forecast: next year's volume per grouping, and from it each administration's share and amount,
with a range (issue 31, part 5). Never charged: nothing here makes a key, a run or a posting.

`series` (pure) fits one grouping's monthly series (trend and seasonal pattern); `projection`
(pure) turns the fits, planned transfers and digitalisation assumptions into loads, shares,
amounts and their ranges; `backtest` (pure) forecasts past years from the ones before and
measures the error; `inputs` reads what a forecast needs from the database; `assumptions`
holds the audited writes of the digitalisation assumptions; `chart` draws history and forecast;
`evaluation_part` is the forecast's section of the yearly evaluation; `views`, `api` and
`urls` are its page and endpoint.

May import: `cases`, `allocation.models`, the base, `allocation.keys`, `allocation.runs`,
`allocation.transfers`, and `allocation.evaluation.sections` (the pure shapes its evaluation part
returns). Its pages never import another page module. Its one model, `DigitalisationAssumption`,
is in `allocation/models/forecast.py`."""

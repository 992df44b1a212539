"""Runs: cost pools (`pools`), decided prices (`prices`), a run that splits a pool by its key,
charging or simulation, its amounts and its preview (`allocate`), and how an amount came about
(`explanations`); the pool and run pages (`views`).

May import: `cases`, `allocation.models`, the base and `allocation.keys`.
Its pages may import any service of `allocation`, never another page module."""

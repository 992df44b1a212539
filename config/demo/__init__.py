"""The demo municipality: its organisation and a year of synthetic case logs (`data`, `names`),
and the commands `seed_demo` and `run_demo_job`. Allowed to depend on every app."""

# Two commands for a new user: `make demo` and `make test`. Everything installs from this repo's files.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint messages venv bench-import bench-reader bench-allocation bench-source-check bench-statistics bench-batch-page bench-scale bench-forecast reliability clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

venv: $(STAMP)

# Sets up, seeds the demo municipality, runs import -> key -> allocation, then serves the site.
demo: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py seed_demo
	$(PY) manage.py run_demo_job
	@echo "Serving on http://127.0.0.1:8000/ (Ctrl-C stops)"
	$(PY) manage.py runserver 127.0.0.1:8000

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) manage.py makemigrations --check --dry-run

# After changing a text in the code: update the Swedish catalogue, write the new Swedish texts
# in locale/sv/LC_MESSAGES/django.po, then run this again to compile them.
messages: $(STAMP)
	$(PY) manage.py makemessages -l sv --no-obsolete -i .venv -i bench -i tests -i media -i var -i staticfiles
	$(PY) manage.py compilemessages -l sv -i .venv

test: lint
	$(PY) -m pytest -q -rs

bench-import: $(STAMP)
	cd bench && ../$(PY) import_bench.py

bench-reader: $(STAMP)
	cd bench && ../$(PY) reader_bench.py

bench-batch-page: $(STAMP)
	cd bench && ../$(PY) batch_page_bench.py

bench-allocation: $(STAMP)
	cd bench && ../$(PY) allocation_bench.py

# The import's wrong-source check at 5 M rows, beside plain counts of the same rows (a few minutes).
bench-source-check: $(STAMP)
	cd bench && ../$(PY) source_check_bench.py

bench-statistics: $(STAMP)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	cd bench && ../$(PY) statistics_bench.py

# Ten years of 5,000,000 cases a year through the import, measured at 5 M and at 50 M rows
# (about an hour on 2 cores and 20 GB of disk while it runs; see the README).
bench-forecast: $(STAMP)
	cd bench && ../$(PY) forecast_backtest.py

bench-scale: $(STAMP)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	cd bench && ../$(PY) scale_bench.py

# Fault suite, bad-input corpus and a bounded load run on loopback; prints one table.
reliability: $(STAMP)
	cd bench && ../$(PY) reliability.py

clean:
	rm -rf $(VENV) var media staticfiles

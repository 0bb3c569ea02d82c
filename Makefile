# The two commands: `make run` (demo site on http://127.0.0.1:8000) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install migrate messages compile-messages worker ci clean bench-photos bench-roster bench-rush bench-floor

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

compile-messages: $(STAMP)
	$(PY) manage.py compile_translations

run: $(STAMP) compile-messages
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	HOST=$(HOST) PORT=$(PORT) bash bin/run

test: $(STAMP) compile-messages
	$(PY) -m pytest $(PYTEST_ARGS)

# Regenerate the catalogue after changing interface text (needs GNU gettext's xgettext).
messages: $(STAMP)
	$(PY) manage.py makemessages -l zh_Hans -l en --no-obsolete --ignore=.venv --ignore=var

# Photo-vetting benchmark: time on one core and peak memory per input (docs/performance.md).
bench-photos: $(STAMP)
	$(PY) -m bench.photo_vetting

# Roster-export benchmark: 100,000 candidates to XLSX and CSV, time and peak memory (docs/performance.md).
# Needs PostgreSQL on 127.0.0.1:5432 (user postgres) for representative figures; falls back to SQLite.
bench-roster: $(STAMP)
	$(PY) -m bench.roster_export

# Registration-rush benchmark: gunicorn, PostgreSQL, Redis and a Celery worker under a crowd of
# candidates over HTTP on 127.0.0.1 (docs/performance.md). Needs PostgreSQL (user postgres) and Redis
# on 127.0.0.1; options through ARGS, e.g. make bench-rush ARGS="--candidates 50000".
bench-rush: $(STAMP) compile-messages
	$(PY) -m bench.rush $(ARGS)

# The floor under the rush's page target: gunicorn alone, Django anonymous, Django logged in, the
# seats page, same shape and client as bench-rush (docs/performance.md). About a minute.
bench-floor: $(STAMP) compile-messages
	$(PY) -m bench.rush.floor $(ARGS)

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) var

"""Registration-rush benchmark: `make bench-rush` (or `.venv/bin/python -m bench.rush --help`).

The production shape on this machine (gunicorn, PostgreSQL, Redis, a Celery worker), N seeded
candidates and an exam whose registration opens at the start of the run, with far fewer seats
than candidates in the hot areas; a separate asyncio load generator goes through the whole flow
over HTTP on 127.0.0.1. See bench/rush/run.py and docs/performance.md ("Registration rush").

- run.py: the launcher (database, processes, phases, audit, report)
- seed.py: bulk seeding of the exam, its seats and the candidates
- load.py: the load generator (its own process: asyncio + aiohttp)
- audit.py: what is checked in the database after the run
"""
